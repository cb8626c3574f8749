/**
 * The terminal status line: in place on a TTY, plain lines elsewhere, JSON objects with --log json,
 * and a broker outage in front where it cannot be missed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetrics, type PipelineMetrics } from '../../src/runtime/metrics.ts';
import { startStatusLine } from '../../src/runtime/status-line.ts';

/** A stand-in for process.stderr that records what is written. */
function fakeStream(options: { isTTY: boolean; columns?: number }): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = {
    isTTY: options.isTTY,
    columns: options.columns,
    write: (chunk: string) => written.push(chunk) > 0,
  } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

/** Metrics one second into a run, and a clock that says so. */
function oneSecondIn(): { metrics: PipelineMetrics; now: () => number } {
  let clock = 1_700_000_000_000;
  const metrics = createMetrics(clock);
  const now = (): number => clock;
  metrics.consumer.partitions.set(0, { position: 10, highWatermark: 25 });
  Object.assign(metrics.consumer, { watermark: clock - 500, windowsEmitted: 3, rowsWritten: 12, invalid: 1, late: 2, deadLettered: 3 });
  // The status line reads its first figures at start; these arrive during the next second.
  queueMicrotask(() => {
    clock += 1_000;
    metrics.consumer.consumed += 2_000;
    metrics.producer.acknowledged += 2_500;
  });
  return { metrics, now };
}

test('startStatusLine() prints plain lines when stderr is not a terminal', async () => {
  const { metrics, now } = oneSecondIn();
  const { stream, written } = fakeStream({ isTTY: false });
  const stop = startStatusLine({ metrics, stream, showProducer: true, showConsumer: true, now, intervalMs: 60_000 });
  await Promise.resolve();
  stop();
  assert.deepEqual(written, [
    'out 2,500/s (2,500) | in 2,000/s (2,000) | lag 15 | watermark 22:13:19 | windows 3 | rows 12 | invalid 1 | late 2 | dead-lettered 3\n',
  ]);
});

test('startStatusLine() rewrites one line in place on a terminal, cut to its width, and ends it on stop', async () => {
  const { metrics, now } = oneSecondIn();
  const { stream, written } = fakeStream({ isTTY: true, columns: 30 });
  const stop = startStatusLine({ metrics, stream, showProducer: false, showConsumer: true, now, intervalMs: 60_000 });
  await Promise.resolve();
  stop();
  assert.deepEqual(written, ['\r\x1b[2Kin 2,000/s (2,000) | lag 15 |', '\n']);
});

test('startStatusLine() prints a JSON object per line with the log format json, never in place', async () => {
  const { metrics, now } = oneSecondIn();
  metrics.brokerError = 'connect ECONNREFUSED 127.0.0.1:9092';
  const { stream, written } = fakeStream({ isTTY: true, columns: 30 });
  const stop = startStatusLine({ metrics, stream, showProducer: true, showConsumer: true, now, intervalMs: 60_000, format: 'json' });
  await Promise.resolve();
  stop();
  assert.equal(written.length, 1);
  assert.ok(written[0]?.endsWith('\n'));
  assert.deepEqual(JSON.parse(written[0] ?? ''), {
    time: '2023-11-14T22:13:21.000Z',
    level: 'warn',
    message: 'status',
    inPerSecond: 2_000,
    consumed: 2_000,
    lag: 15,
    windowsEmitted: 3,
    rowsWritten: 12,
    invalid: 1,
    late: 2,
    deadLettered: 3,
    outPerSecond: 2_500,
    acknowledged: 2_500,
    watermark: '2023-11-14T22:13:19.500Z',
    brokerError: 'connect ECONNREFUSED 127.0.0.1:9092',
  });
});

test('startStatusLine() leads with an unreachable broker, in red on a terminal', () => {
  const metrics = createMetrics();
  metrics.brokerError = 'timed out';
  const plain = fakeStream({ isTTY: false });
  startStatusLine({ metrics, stream: plain.stream, showProducer: true, showConsumer: false, intervalMs: 60_000 })();
  assert.match(plain.written[0] ?? '', /^BROKER UNREACHABLE: timed out \| out 0\/s \(0\)\n$/);
  const terminal = fakeStream({ isTTY: true, columns: 20 });
  startStatusLine({ metrics, stream: terminal.stream, showProducer: true, showConsumer: false, intervalMs: 60_000 })();
  assert.equal(terminal.written[0], '\r\x1b[2K\x1b[1;31mBROKER UNREACHABLE:\x1b[0m');
});

test('startStatusLine() prints once a second until stopped', async () => {
  const metrics = createMetrics();
  const { stream, written } = fakeStream({ isTTY: false });
  const stop = startStatusLine({ metrics, stream, showProducer: false, showConsumer: true, intervalMs: 20 });
  await new Promise((resolve) => setTimeout(resolve, 110));
  stop();
  stop();
  const count = written.length;
  assert.ok(count >= 3, `printed ${count} lines`);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(written.length, count, 'nothing after stop');
});
