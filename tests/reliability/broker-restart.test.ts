/**
 * Issue 7, item 3: the broker goes away during a run, once killed (SIGKILL: a crash) and once
 * stopped cleanly (SIGTERM), and comes back on the same port and data ~5 s later. A `produce` and
 * a `consume` process ride both outages out without a restart; nothing the producer had
 * acknowledged is lost or doubled; after a `consume --drain` the SQLite table equals the oracle;
 * and while the broker was away both status lines said so.
 *
 * The broker is this test's own (see broker-fixture.ts), never the run's shared one. The allowed
 * lateness (60 s) is longer than any outage here, so no record is late and the oracle is simply
 * every window of every sale in the topic.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { compileSaleValidator } from '../../src/runtime/record-decoder.ts';
import { readTopicWithKcat, runCli, startCli, tempDir, uniqueName, writePipeline } from '../support/cli.ts';
import { diffRows, windowOracle, type OracleRecord } from '../support/window-oracle.ts';
import { ownBrokerUnavailable, startOwnBroker } from './broker-fixture.ts';
import { testPipelineYaml } from '../support/pipeline-file.ts';
import { sqliteRows, textLines } from '../support/pipeline-results.ts';

const saleSchema = JSON.parse(readFileSync(new URL('../../schemas/sale.schema.json', import.meta.url), 'utf8')) as object;
const windows = { length: 2_000, slide: 1_000, threshold: 150 };
/** 30 s of sales at 1,000/s: long enough that both outages (~15 s and ~8 s) fall inside it. */
const production = { count: 30_000, rate: 1_000 };
const outageMs = 5_000;

function pipelineYaml(topic: string, group: string): string {
  return testPipelineYaml({
    name: 'broker-restart',
    topic,
    group,
    producer: { ...production, seed: 23 },
    window: { ...windows, allowedLateness: '60s', idleTimeout: '5s' },
    threshold: windows.threshold,
  });
}

/** The last count a status line printed: `out 1,000/s (12,345)` (producer) or `in ... (n)` (consumer). */
function lastCount(stderr: string, side: 'out' | 'in'): number {
  const matches = [...stderr.matchAll(new RegExp(`\\b${side} [\\d,]+/s \\(([\\d,]+)\\)`, 'g'))];
  return Number((matches.at(-1)?.[1] ?? '0').replaceAll(',', ''));
}

/** Polls `condition` every 100 ms; resolves with the ms it took, rejects after `timeoutMs`. */
async function waitFor(what: string, condition: () => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
  return Date.now() - started;
}

/** `promise`, or a rejection naming `what` after `timeoutMs`. */
async function within<T>(what: string, timeoutMs: number, promise: Promise<T>): Promise<T> {
  const timeout = AbortSignal.timeout(timeoutMs);
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => timeout.addEventListener('abort', () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)))),
  ]);
}

test('producer and consumer ride out a killed and a cleanly stopped broker: nothing lost, nothing doubled, results equal the oracle', {
  skip: ownBrokerUnavailable() ?? false,
  timeout: 180_000,
}, async (t) => {
  const broker = await startOwnBroker((cleanup) => t.after(cleanup));
  const dir = tempDir('salesflow-broker-restart-');
  const topic = uniqueName('restart');
  const file = writePipeline(dir, pipelineYaml(topic, uniqueName('restart-group')));
  const env = { KAFKA_BROKERS: broker.bootstrap };

  const consumer = startCli([file, 'consume'], env);
  t.after(() => void consumer.child.kill('SIGKILL'));
  let consumerErr = '';
  consumer.child.stderr?.on('data', (chunk: Buffer) => (consumerErr += chunk.toString()));
  await waitFor('the consumer to join', () => consumerErr.includes('partitions assigned'), 30_000);
  const producer = startCli([file, 'produce'], env);
  t.after(() => void producer.child.kill('SIGKILL'));
  let producerErr = '';
  let producerExited = false;
  producer.child.stderr?.on('data', (chunk: Buffer) => (producerErr += chunk.toString()));
  void producer.result.then(() => (producerExited = true));

  const recoveries: string[] = [];
  let outagesWhileProducing = 0;
  /** Takes the broker away with `takeDown`, brings it back after `outageMs`, waits for both sides to move again. */
  const outage = async (name: string, takeDown: () => Promise<number> | void): Promise<void> => {
    const producing = !producerExited;
    if (producing) outagesWhileProducing++;
    const downAt = Date.now();
    const stopMs = await takeDown();
    await sleep(outageMs);
    // Nothing moves while the broker is away: these are the counts the outage froze.
    const acknowledged = lastCount(producerErr, 'out');
    const consumed = lastCount(consumerErr, 'in');
    const readyMs = await broker.start();
    const awayMs = Date.now() - downAt;
    const producerBack = producing ? await waitFor(`the producer after the ${name}`, () => lastCount(producerErr, 'out') > acknowledged, 90_000) : undefined;
    const consumerBack = await waitFor(`the consumer after the ${name}`, () => lastCount(consumerErr, 'in') > consumed, 90_000);
    recoveries.push(
      `${name}: broker away ${(awayMs / 1000).toFixed(1)} s (${stopMs ? `clean stop ${stopMs} ms, ` : ''}start ${readyMs} ms); once it answered, ` +
        `producer delivering again after ${producerBack === undefined ? '- (had finished)' : `${producerBack} ms`}, consumer reading again after ${consumerBack} ms`,
    );
  };

  await waitFor('the first sales', () => lastCount(producerErr, 'out') >= production.count * 0.15, 60_000);
  await outage('SIGKILL', () => {
    broker.kill();
  });
  await outage('SIGTERM', () => broker.stop());
  for (const line of recoveries) t.diagnostic(line);

  const produced = await within('the producer to finish', 60_000, producer.result);
  assert.equal(produced.code, 0, produced.stderr);
  const finished = /^producer finished .*\backnowledged=(\d+)/m.exec(produced.stderr);
  assert.ok(finished, 'the producer reports what it sent');
  const acknowledged = Number(finished[1]);
  assert.equal(acknowledged, production.count);

  await waitFor('the consumer to catch up', () => lastCount(consumerErr, 'in') >= acknowledged, 60_000);
  consumer.child.kill('SIGTERM');
  const consumed = await within('the consumer to stop', 30_000, consumer.result);
  assert.equal(consumed.code, 0, consumerErr);
  const drained = await within('consume --drain', 60_000, runCli([file, 'consume', '--drain', '--quiet'], env));
  assert.equal(drained.code, 0, drained.stderr);

  // Nothing acknowledged is lost, nothing doubled: each sale once in the topic.
  const validate = compileSaleValidator(saleSchema);
  const sales: OracleRecord[] = [];
  const saleIds = new Set<string>();
  const records = readTopicWithKcat(topic, broker.bootstrap);
  for (const { value } of records) {
    const sale: unknown = JSON.parse(value);
    assert.ok(validate(sale), `a valid sale: ${value}`);
    const { saleId, customerName, quantity, timestamp } = sale as { saleId: string; customerName: string; quantity: number; timestamp: number };
    saleIds.add(saleId);
    sales.push({ key: customerName, amount: quantity, eventTime: timestamp });
  }
  assert.equal(records.length, acknowledged, 'every acknowledged sale is in the topic, once');
  assert.equal(saleIds.size, records.length, 'no sale is in the topic twice');
  assert.deepEqual(readTopicWithKcat(`${topic}.dlq`, broker.bootstrap), [], 'nothing was late or invalid');

  const expected = windowOracle(sales, windows);
  assert.ok(expected.length > 0, 'the scenario produces rows over the threshold');
  assert.deepEqual(diffRows(expected, sqliteRows(dir)), []);
  assert.equal(textLines(dir).length, expected.length, 'the text file holds each row once');

  // While the broker was away, both processes said so: on the status line and once in the log.
  for (const [who, stderr] of [['producer', produced.stderr], ['consumer', consumerErr]] as const) {
    assert.match(stderr, /^BROKER UNREACHABLE: 127\.0\.0\.1:\d+: .+ \(for \d+ s\)/m, `${who}'s status line shows the outage`);
    assert.equal(stderr.match(/^warn: broker unreachable /gm)?.length, who === 'producer' ? outagesWhileProducing : 2, `${who} logs each outage once`);
    assert.match(stderr, /^broker back .*downSeconds=/m, `${who} logs the broker's return`);
  }
});
