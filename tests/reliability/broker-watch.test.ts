/**
 * startBrokerWatch() with a scripted check: what the status line and dashboard are told
 * (metrics.brokerError) and what is logged, as the broker goes away and comes back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BrokerProblem } from '../../src/broker/broker-errors.ts';
import { createLogger } from '../../src/logger.ts';
import { startBrokerWatch } from '../../src/runtime/broker-watch.ts';

const refused: BrokerProblem = { kind: 'unreachable', cause: 'connect ECONNREFUSED 127.0.0.1:9092', message: 'cannot reach ...' };

/**
 * Runs a watch whose checks answer `script` in turn (undefined: the broker answers), each check
 * 1 s after the previous on a fake clock; returns what brokerError was after each check, and the log.
 */
async function watch(script: Array<BrokerProblem | undefined>, failuresToReport?: number): Promise<{ errors: Array<string | null>; lines: string[] }> {
  const lines: string[] = [];
  const metrics = { brokerError: null as string | null };
  const errors: Array<string | null> = [];
  let now = 0;
  let call = 0;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const stop = startBrokerWatch({
    connection: { clientId: 'test', ssl: false, sasl: null },
    brokers: ['127.0.0.1:9092'],
    metrics,
    log: createLogger({ write: (line) => lines.push(line) }),
    intervalMs: 1,
    ...(failuresToReport === undefined ? {} : { failuresToReport }),
    now: () => now,
    check: () => {
      // The previous check's outcome has been recorded by the time the next one starts.
      if (call > 0) errors.push(metrics.brokerError);
      if (call === script.length) finished();
      now += 1_000;
      return Promise.resolve(script[call++]);
    },
  });
  // The watch's own timer never holds the process open; this test's must.
  const keepAlive = setInterval(() => undefined, 1_000);
  await done;
  await stop();
  clearInterval(keepAlive);
  return { errors, lines };
}

test('startBrokerWatch() reports an outage after two failed checks, with its length, and clears it when the broker answers', async () => {
  const { errors, lines } = await watch([undefined, refused, refused, refused, undefined, undefined]);
  assert.deepEqual(errors, [
    null,
    null, // one failed check alone is not an outage
    '127.0.0.1:9092: connect ECONNREFUSED 127.0.0.1:9092 (for 1 s)',
    '127.0.0.1:9092: connect ECONNREFUSED 127.0.0.1:9092 (for 2 s)',
    null,
    null,
  ]);
  assert.deepEqual(lines, [
    'warn: broker unreachable brokers=127.0.0.1:9092 error="connect ECONNREFUSED 127.0.0.1:9092"',
    'broker back brokers=127.0.0.1:9092 downSeconds=3',
  ]);
});

test('startBrokerWatch() ignores a single failed check between good ones', async () => {
  const { errors, lines } = await watch([undefined, refused, undefined, refused, undefined]);
  assert.deepEqual(errors, [null, null, null, null, null]);
  assert.deepEqual(lines, []);
});

test('startBrokerWatch() logs each outage once, however long it lasts', async () => {
  const { lines } = await watch([refused, refused, refused, refused, undefined, refused, refused, undefined], 1);
  assert.deepEqual(
    lines.map((line) => line.split(' brokers=')[0]),
    ['warn: broker unreachable', 'broker back', 'warn: broker unreachable', 'broker back'],
  );
});
