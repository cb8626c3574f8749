/**
 * Poison input at 10 % of the records: every kind of broken record is dead-lettered with its
 * reason and counted, nothing stops the consumer, and the valid records give the oracle results.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createKafkaClient } from '../../src/broker/client.ts';
import { connectTopicProducer, type OutgoingRecord } from '../../src/broker/topic-producer.ts';
import { ensureTopics } from '../../src/broker/topics.ts';
import { silentLogger } from '../../src/logger.ts';
import { readTopicWithKcat, runCli, testBrokers } from '../support/cli.ts';
import { diffRows, windowOracle, type OracleRecord } from '../support/window-oracle.ts';
import { sqliteRows } from '../support/pipeline-results.ts';
import { reliabilityScenario } from './support.ts';

const names = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Edsger Dijkstra', 'Barbara Liskov'];
const oneMiB = 1024 * 1024;

/** Each poison kind: the record, and the reason the consumer must give. */
const poisonKinds: Array<{ reason: string; make: (i: number, base: number) => OutgoingRecord }> = [
  { reason: 'not-json', make: () => ({ key: 'Ada Lovelace', value: 'this is not json' }) },
  { reason: 'invalid-utf8', make: () => ({ key: 'Ada Lovelace', value: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }) },
  { reason: 'schema', make: (i, base) => ({ key: 'Grace Hopper', value: JSON.stringify({ ...sale(i, base), quantity: 'many' }) }) },
  { reason: 'not-json', make: () => ({ key: 'Grace Hopper', value: '{"quantity": NaN}' }) },
  { reason: 'schema', make: (i, base) => ({ key: 'Alan Turing', value: JSON.stringify({ ...sale(i, base), quantity: -5 }) }) },
  {
    reason: 'schema',
    make: (i, base) => {
      const { customerName: _dropped, ...missing } = sale(i, base);
      return { key: 'Alan Turing', value: JSON.stringify(missing) };
    },
  },
  { reason: 'null-value', make: () => ({ key: 'Barbara Liskov', value: null }) },
];
/** Rare, large poison: a 1 MiB value and a huge key (with an otherwise valid sale). */
const largeKinds: typeof poisonKinds = [
  { reason: 'too-large', make: () => ({ key: 'Ada Lovelace', value: '{' + ' '.repeat(oneMiB) + '}' }) },
  { reason: 'too-large', make: (i, base) => ({ key: 'k'.repeat(oneMiB + 10), value: JSON.stringify(sale(i, base)) }) },
];

function sale(i: number, base: number): { saleId: string; customerName: string; quantity: number; value: number; timestamp: number } {
  return { saleId: crypto.randomUUID(), customerName: names[i % names.length] ?? 'x', quantity: (i * 31) % 500, value: 12.5, timestamp: base + Math.floor(i / 2) };
}

test('10 % poison records are all dead-lettered with their reason, counted, and the valid results equal the oracle', async (t) => {
  const scenario = reliabilityScenario({ count: 0, rate: 0 });
  const client = createKafkaClient({ clientId: 'poison-test', ssl: false, sasl: null }, testBrokers().split(','), silentLogger);
  // The source topic must accept the 1 MiB records, or they could not even be produced.
  await ensureTopics(client, [{ topic: scenario.topic, partitions: 3, configs: { 'max.message.bytes': String(8 * oneMiB) } }]);
  const producer = await connectTopicProducer(client, silentLogger);
  t.after(() => producer.close());

  const base = Date.now() - 60_000;
  const records: OutgoingRecord[] = [];
  const valid: OracleRecord[] = [];
  const expectedReasons: string[] = [];
  for (let i = 0; i < 10_000; i++) {
    if (i % 10 === 5) {
      const kinds = i % 1000 === 5 ? largeKinds : poisonKinds;
      const kind = kinds[Math.floor(i / 10) % kinds.length];
      assert.ok(kind);
      records.push(kind.make(i, base));
      expectedReasons.push(kind.reason);
      continue;
    }
    const good = sale(i, base);
    records.push({ key: good.customerName, value: JSON.stringify(good) });
    valid.push({ key: good.customerName, amount: good.quantity, eventTime: good.timestamp });
  }
  for (let from = 0; from < records.length; from += 500) await producer.send(scenario.topic, records.slice(from, from + 500));

  const consumed = await runCli([scenario.file, 'consume', '--drain', '--quiet']);
  assert.equal(consumed.code, 0, consumed.stderr);

  const summary = /stopped cleanly .*consumed=(\d+) .*invalid=(\d+) late=(\d+)/.exec(consumed.stderr);
  assert.ok(summary, consumed.stderr);
  assert.deepEqual(summary.slice(1).map(Number), [10_000, expectedReasons.length, 0]);

  const deadLetters = readTopicWithKcat(scenario.topic + '.dlq');
  assert.equal(deadLetters.length, expectedReasons.length);
  const reasons = deadLetters.map((letter) => /salesflow\.reason=([a-z0-9-]+)/.exec(letter.headers)?.[1] ?? 'none');
  assert.deepEqual(reasons.sort(), [...expectedReasons].sort());
  for (const letter of deadLetters) {
    assert.match(letter.headers, new RegExp(`salesflow\\.source\\.topic=${scenario.topic}`));
    assert.match(letter.headers, /salesflow\.source\.offset=\d+/);
  }
  assert.deepEqual(diffRows(windowOracle(valid, scenario.settings), sqliteRows(scenario.dir)), []);
});
