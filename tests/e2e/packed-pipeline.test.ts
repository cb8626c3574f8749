/**
 * Packed messages (`producer.packing` > 1) through the real CLI and broker: keyed partitioning
 * holds for every packed sale, the windows are exactly the oracle's, and an invalid sale inside a
 * packed message is dead-lettered alone.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { createKeyPartitioner } from '../../src/broker/topic-producer.ts';
import { compileSaleValidator } from '../../src/runtime/record-decoder.ts';
import { produceWithKcat, readTopicWithKcat, runCli, tempDir, uniqueName, writePipeline } from '../support/cli.ts';
import { testPipelineYaml } from '../support/pipeline-file.ts';
import { dataClientNames } from '../../src/broker/data-clients.ts';
import { sqliteRows } from '../support/pipeline-results.ts';
import { diffRows, type OracleRecord, windowOracle } from '../support/window-oracle.ts';

const windowSettings = { length: 2_000, slide: 1_000, threshold: 150 };
const validate = compileSaleValidator(JSON.parse(readFileSync(new URL('../../schemas/sale.schema.json', import.meta.url), 'utf8')) as object);

function scenario(client: string, producerExtra: string[], producer = { rate: 5000, count: 12000 }): { dir: string; file: string; topic: string } {
  const dir = tempDir('salesflow-packed-');
  const topic = uniqueName('packed');
  const file = writePipeline(
    dir,
    testPipelineYaml({
      name: 'packed',
      topic,
      group: uniqueName('group'),
      producer: { ...producer, seed: 7, extra: producerExtra },
      window: { ...windowSettings, allowedLateness: '200ms', idleTimeout: '1s' },
      threshold: windowSettings.threshold,
      client,
    }),
  );
  return { dir, file, topic };
}

/** The topic's sales as the consumer reads them: arrays unpacked, each sale validated alone. */
function unpack(topic: string): { valid: OracleRecord[]; invalid: number; misplaced: number } {
  const partitionOf = createKeyPartitioner(3);
  const valid: OracleRecord[] = [];
  let invalid = 0;
  let misplaced = 0;
  for (const { partition, value } of readTopicWithKcat(topic)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      invalid++;
      continue;
    }
    const sales = Array.isArray(parsed) && parsed.length > 0 ? (parsed as unknown[]) : [parsed];
    for (const sale of sales) {
      if (!validate(sale)) {
        invalid++;
        continue;
      }
      const { customerName, quantity, timestamp } = sale as { customerName: string; quantity: number; timestamp: number };
      if (partitionOf(customerName) !== partition) misplaced++;
      valid.push({ key: customerName, amount: quantity, eventTime: timestamp });
    }
  }
  return { valid, invalid, misplaced };
}

/** The end-to-end tests run on both client libraries (src/broker/data-clients.ts). */
for (const client of dataClientNames) {
  describe(`with broker.client ${client}`, () => {
    test('packed produce then consume --drain: every sale on its key partition, oracle rows, one dead letter per invalid sale', async () => {
      const { dir, file, topic } = scenario(client, ['packing: 20', 'invalid: 0.01']);
      assert.equal((await runCli([file, 'produce', '--quiet'])).code, 0);
      const consumed = await runCli([file, 'consume', '--drain', '--quiet']);
      assert.equal(consumed.code, 0, consumed.stderr);
      const { valid, invalid, misplaced } = unpack(topic);
      assert.ok(readTopicWithKcat(topic).length < 12_000 / 5, 'sales are packed');
      assert.equal(misplaced, 0);
      assert.ok(invalid > 0);
      assert.deepEqual(diffRows(windowOracle(valid, windowSettings), sqliteRows(dir)), []);
      assert.equal(readTopicWithKcat(`${topic}.dlq`).length, invalid);
    });

    test('packed sales read on the reader thread give the oracle rows and the same dead letters', async () => {
      // Enough packed sales for several fetches: the ones after the thread is ready go there.
      const { dir, file, topic } = scenario(client, ['packing: 20', 'invalid: 0.01'], { rate: 0, count: 60_000 });
      assert.equal((await runCli([file, 'produce', '--quiet'])).code, 0);
      const consumed = await runCli([file, 'consume', '--drain', '--quiet'], { SALESFLOW_READER_THREAD: 'always' });
      assert.equal(consumed.code, 0, consumed.stderr);
      const readOnThread = Number(/readOnThread=(\d+)/.exec(consumed.stdout + consumed.stderr)?.[1] ?? 0);
      // Only the platformatic consumer fetches ahead and hands batches over early.
      if (client === 'platformatic') assert.ok(readOnThread > 10_000, `${readOnThread} sales read on the thread`);
      else assert.equal(readOnThread, 0);
      const { valid, invalid } = unpack(topic);
      assert.ok(invalid > 0);
      assert.deepEqual(diffRows(windowOracle(valid, windowSettings), sqliteRows(dir)), []);
      assert.equal(readTopicWithKcat(`${topic}.dlq`).length, invalid);
    });

    test('an invalid sale inside a packed message is dead-lettered alone with its index, and the others count', async () => {
      const { dir, file, topic } = scenario(client, []);
      assert.equal((await runCli([file, 'consume', '--drain', '--quiet'])).code, 0);
      const base = Date.now();
      const sale = (quantity: number, offset: number) => ({ saleId: crypto.randomUUID(), customerName: 'Ada Lovelace', quantity, value: 9.99, timestamp: base + offset });
      const broken = { ...sale(100, 1), quantity: 'many' };
      produceWithKcat(topic, [`Ada Lovelace\t${JSON.stringify([sale(100, 0), broken, sale(100, 2)])}`]);
      assert.equal((await runCli([file, 'consume', '--drain', '--quiet'])).code, 0);
      const [letter, ...more] = readTopicWithKcat(`${topic}.dlq`);
      assert.equal(more.length, 0);
      assert.equal(letter?.value, JSON.stringify(broken));
      assert.match(letter?.headers ?? '', /salesflow\.reason=schema/);
      assert.match(letter?.headers ?? '', /salesflow\.source\.index=1/);
      assert.deepEqual(sqliteRows(dir).map((row) => [row.key, row.total, row.count]).slice(0, 1), [['Ada Lovelace', 200, 2]]);
    });
  });
}
