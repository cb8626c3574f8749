/**
 * The engine at a realistic scale: well over 100,000 live keys, so every column and pane grows
 * many times, and keys coming and going, so forgotten keys' ids and freed panes' ids are reused
 * while other keys still hold cells. Checked against windows computed straight from the records.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRandom } from '../../src/generator/random.ts';
import { createWindowEngine } from '../../src/window/engine.ts';
import { type KeyTable } from '../../src/window/key-table.ts';
import { type ClosedWindow, type WindowRow, type WindowSettings } from '../../src/window/types.ts';

interface Fed { key: string; amount: number; t: number }

/** Every window any record falls in, from the records alone. */
function windowsOf(records: Fed[], s: WindowSettings): ClosedWindow[] {
  const windows = new Map<number, Map<string, WindowRow>>();
  for (const r of records) {
    for (let start = Math.floor(r.t / s.slide) * s.slide; start > r.t - s.length; start -= s.slide) {
      let sums = windows.get(start);
      if (sums === undefined) windows.set(start, sums = new Map<string, WindowRow>());
      const row = sums.get(r.key);
      if (row === undefined) sums.set(r.key, { key: r.key, total: r.amount, count: 1 });
      else {
        row.total += r.amount;
        row.count += 1;
      }
    }
  }
  return [...windows.entries()].sort(([a], [b]) => a - b).map(([start, sums]) => ({
    start,
    end: start + s.length,
    rows: [...sums.values()].filter((row) => row.total >= s.threshold)
      .sort((a, b) => b.total - a.total || (a.key < b.key ? -1 : 1)),
  }));
}

test('with 100,000+ live keys coming and going, the engine emits exactly the windows of all records and reuses ids', () => {
  const settings: WindowSettings = { length: 30_000, slide: 10_000, allowedLateness: 5_000, idleTimeout: 1e12, threshold: 35 };
  const engine = createWindowEngine(settings);
  const partitions = 4;
  for (let p = 0; p < partitions; p++) engine.assign(p);
  const next = createRandom(42);
  const batch = 1_000;
  const records = 600_000;
  const fed: Fed[] = [];
  const emitted: ClosedWindow[] = [];
  const offsets = new Array<number>(partitions).fill(0);
  let peakKeys = 0;
  for (let done = 0, b = 0; done < records; done += batch, b++) {
    const partition = b % partitions;
    const keys: string[] = [];
    const amounts: number[] = [];
    const eventTimes: number[] = [];
    const batchOffsets: number[] = [];
    for (let i = 0; i < batch; i++) {
      const n = done + i;
      // Event time runs 30 s per 100,000 records; the key range slides along with it, so keys
      // of old windows stop coming (and are forgotten) while well over 100,000 are live.
      const onTime = 1_000_000 + Math.floor(n * 0.3);
      const base = Math.floor(n / 4);
      const roaming = next() < 0.01;
      const key = roaming ? `roam-${Math.floor(next() * 50)}` : `k-${(base + Math.floor(next() * 120_000)) * partitions + partition}`;
      keys.push(key);
      amounts.push(1 + Math.floor(next() * 40));
      eventTimes.push(next() < 0.05 ? onTime - Math.floor(next() * 5_000) : onTime);
      batchOffsets.push(offsets[partition]!++);
    }
    keys.forEach((key, i) => fed.push({ key, amount: amounts[i]!, t: eventTimes[i]! }));
    if (b % 5 === 0) {
      for (let i = 0; i < batch; i++) {
        const outcome = engine.add({ partition, key: keys[i]!, amount: amounts[i]!, eventTime: eventTimes[i]!, offset: batchOffsets[i]!, now: 0 });
        assert.equal(outcome.status, 'counted');
      }
    } else {
      const outcome = engine.addBatch({ partition, keys, amounts, eventTimes, offsets: batchOffsets, now: 0 });
      assert.equal(outcome.counted, batch);
    }
    peakKeys = Math.max(peakKeys, engine.stats().keys);
    emitted.push(...engine.advance(0));
  }
  // New ids are made only when no forgotten one is free, so they never exceed the live peak.
  const keyTable = (engine as unknown as { keys: KeyTable }).keys;
  const idsMade = keyTable.idLimit;
  emitted.push(...engine.closeAll());
  assert.ok(peakKeys > 100_000, `expected over 100,000 live keys at the peak, got ${peakKeys}`);
  const expected = windowsOf(fed, settings);
  assert.equal(emitted.length, expected.length);
  for (let w = 0; w < expected.length; w++) assert.deepEqual(emitted[w], expected[w], `window ${w}`);
  assert.deepEqual(engine.stats(), { partitions, keys: 0, panes: 0, openWindows: 0 });
  const distinct = new Set(fed.map((r) => r.key)).size;
  assert.ok(distinct > 2 * peakKeys, `expected key churn, got ${distinct} distinct keys for a peak of ${peakKeys}`);
  assert.ok(idsMade <= peakKeys, `${idsMade} ids made for ${distinct} keys, at most ${peakKeys} live at once`);
  assert.equal(keyTable.idLimit, 0, 'closeAll() forgot every key at once');
});

test('a key reusing a forgotten key\'s id starts from zero, while keys that stayed keep their sums', () => {
  const engine = createWindowEngine({ length: 10_000, slide: 10_000, allowedLateness: 0, idleTimeout: 1e12, threshold: 0 });
  const keys = Array.from({ length: 3_000 }, (_, i) => `old-${i}`);
  engine.addBatch({ partition: 0, keys, amounts: keys.map(() => 5), eventTimes: keys.map(() => 1_000), offsets: keys.map((_, i) => i), now: 0 });
  engine.add({ partition: 1, key: 'stays', amount: 7, eventTime: 1_000, offset: 0, now: 0 });
  engine.add({ partition: 1, key: 'stays', amount: 1, eventTime: 15_000, offset: 1, now: 0 });
  engine.add({ partition: 0, key: 'old-0', amount: 2, eventTime: 25_000, offset: 3_000, now: 0 });
  const first = engine.advance(0); // partition 1 holds the watermark at 15 s
  assert.deepEqual(first.map((w) => [w.end, w.rows.length]), [[10_000, 3_001]]);
  assert.equal(engine.stats().keys, 2, 'old-1 .. old-2999 are forgotten with their pane');
  const fresh = Array.from({ length: 2_000 }, (_, i) => `new-${i}`);
  engine.addBatch({ partition: 0, keys: fresh, amounts: fresh.map(() => 3), eventTimes: fresh.map(() => 26_000), offsets: fresh.map((_, i) => 3_001 + i), now: 0 });
  engine.add({ partition: 1, key: 'stays', amount: 4, eventTime: 26_000, offset: 2, now: 0 });
  const last = engine.closeAll();
  assert.deepEqual(last[0], { start: 10_000, end: 20_000, rows: [{ key: 'stays', total: 1, count: 1 }] });
  assert.equal(last.length, 2);
  const rows = new Map(last[1]!.rows.map((row) => [row.key, row]));
  assert.equal(rows.size, 2_002);
  assert.deepEqual(rows.get('old-0'), { key: 'old-0', total: 2, count: 1 });
  assert.deepEqual(rows.get('stays'), { key: 'stays', total: 4, count: 1 });
  for (const key of fresh) assert.deepEqual(rows.get(key), { key, total: 3, count: 1 });
});
