/**
 * The sink writer (src/runtime/sink-writer.ts) with fake sinks: bounded retries and the error they
 * end in, chunking, heartbeats during long writes, and the environment settings.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger, silentLogger } from '../../src/logger.ts';
import { chunksOf, createSinkSet, defaultSinkWriterSettings, sinkWriterSettingsFromEnv, type WindowSink } from '../../src/runtime/sink-writer.ts';
import { type ClosedWindow } from '../../src/window/types.ts';

const window = (end: number, rows = 1): ClosedWindow => ({
  start: end - 2_000,
  end,
  rows: Array.from({ length: rows }, (_, index) => ({ key: `k${index}`, total: 1, count: 1 })),
});
const fast = { ...defaultSinkWriterSettings, firstDelayMs: 1, attempts: 3 };

/** A sink that records what it got and fails its first `failures` writes. */
function fakeSink(failures = 0, error: Error = new Error('disk on fire')): WindowSink & { writes: number[][]; attempts: number } {
  const sink = {
    writes: [] as number[][],
    attempts: 0,
    write(windows: ClosedWindow[]) {
      sink.attempts++;
      if (sink.attempts <= failures) throw error;
      sink.writes.push(windows.map((w) => w.end));
    },
    close() {},
  };
  return sink;
}

void describe('sink set', () => {
  void test('retries a failing sink with backoff and succeeds once it recovers', async () => {
    const lines: string[] = [];
    const sink = fakeSink(2);
    const set = createSinkSet([{ name: 'text out.txt', sink }], createLogger({ write: (line) => void lines.push(line) }), fast);
    await set.write([window(1_000)]);
    assert.deepEqual(sink.writes, [[1_000]]);
    assert.equal(lines.filter((line) => line.includes('sink text out.txt failed, retrying')).length, 2);
    assert.match(lines[1] ?? '', /attempt=2 of=3 inMs=2 /);
  });

  void test('gives up after the last attempt with an error naming the sink, the cause and its code', async () => {
    const locked = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    const first = fakeSink();
    const second = fakeSink(Infinity, locked);
    const set = createSinkSet([{ name: 'text a.txt', sink: first }, { name: 'sqlite r.db', sink: second }], silentLogger, fast);
    await assert.rejects(set.write([window(1_000)]), (error: Error) => {
      assert.match(error.message, /^sink sqlite r\.db failed 3 times in \d+\.\d s: database is locked \(SQLITE_BUSY\); no offset was committed past/);
      return true;
    });
    assert.equal(second.attempts, 3);
  });

  void test('writes in chunks of whole windows bounded by rows, in order, to every sink', async () => {
    const a = fakeSink();
    const b = fakeSink();
    const set = createSinkSet([{ name: 'a', sink: a }, { name: 'b', sink: b }], silentLogger, { ...fast, maxRowsPerWrite: 3 });
    await set.write([window(1, 2), window(2, 1), window(3, 5), window(4, 1)]);
    assert.deepEqual(a.writes, [[1, 2], [3], [4]]);
    assert.deepEqual(b.writes, a.writes);
    assert.deepEqual(chunksOf([], 3), []);
  });

  void test('heartbeats while a slow write is in progress and between chunks', async () => {
    let beats = 0;
    const slow: WindowSink = { write: () => new Promise((resolve) => setTimeout(resolve, 120)), close() {} };
    const set = createSinkSet([{ name: 'slow', sink: slow }], silentLogger, { ...fast, heartbeatEveryMs: 20, maxRowsPerWrite: 1 });
    await set.write([window(1), window(2)], { heartbeat: () => Promise.resolve(void beats++) });
    assert.ok(beats >= 6, `expected a heartbeat every 20 ms over 240 ms, got ${beats}`);
  });

  void test('a failing heartbeat does not fail the write and is reported once', async () => {
    const lines: string[] = [];
    const sink = fakeSink();
    const set = createSinkSet([{ name: 's', sink }], createLogger({ write: (line) => void lines.push(line) }), { ...fast, maxRowsPerWrite: 1 });
    await set.write([window(1), window(2)], { heartbeat: () => Promise.reject(new Error('The group is rebalancing')) });
    assert.deepEqual(sink.writes, [[1], [2]]);
    assert.equal(lines.filter((line) => line.includes('heartbeat failed during a sink write')).length, 1);
  });

  void test('reads attempts, backoff and the slow-sink test hook from the environment', () => {
    assert.deepEqual(sinkWriterSettingsFromEnv({}), defaultSinkWriterSettings);
    const settings = sinkWriterSettingsFromEnv({ SALESFLOW_SINK_ATTEMPTS: '2', SALESFLOW_SINK_RETRY_MS: '50', SALESFLOW_SINK_DELAY_MS: '700' });
    assert.equal(settings.attempts, 2);
    assert.equal(settings.firstDelayMs, 50);
    assert.equal(settings.delayPerWindowMs, 700);
    assert.equal(sinkWriterSettingsFromEnv({ SALESFLOW_SINK_ATTEMPTS: '0' }).attempts, 6, 'at least one attempt');
    assert.equal(sinkWriterSettingsFromEnv({ SALESFLOW_SINK_ATTEMPTS: 'many' }).attempts, 6);
  });
});
