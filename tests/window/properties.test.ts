/**
 * Property tests: the engine against a brute-force model that keeps every raw record and, when a
 * window closes, recomputes it by scanning all of them (no panes, no partial sums, no key index).
 * Random settings, keys, partitions, skew, disorder, idleness, resumes, revokes and interleavings
 * of add/addBatch/advance; amounts are integers so sums are exact in any order.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createWindowEngine } from '../../src/window/engine.ts';
import { type ClosedWindow, type WindowRow, type WindowSettings } from '../../src/window/types.ts';

interface RawRecord { partition: number; key: string; amount: number; t: number; offset: number; counted: boolean; closedAtArrival: number }
interface ModelPartition { emittedThrough: number; maxT: number; lastActivity: number | undefined; records: RawRecord[] }

/** The semantics restated the slow, obvious way. */
class Model {
  readonly partitions = new Map<number, ModelPartition>();
  watermark = -Infinity;
  /** Index of the last closed window; window k is [k * slide, k * slide + length). */
  closed = -Infinity;

  constructor(private readonly s: WindowSettings) {}

  end(k: number): number { return k * this.s.slide + this.s.length; }
  lastWindow(t: number): number { return Math.floor(t / this.s.slide); }
  closedThrough(): number { return this.closed === -Infinity ? -Infinity : this.end(this.closed); }

  assign(partition: number, emittedThrough = -Infinity): void {
    const known = this.partitions.get(partition);
    if (known) known.emittedThrough = Math.max(known.emittedThrough, emittedThrough);
    else this.partitions.set(partition, { emittedThrough, maxT: -Infinity, lastActivity: undefined, records: [] });
  }

  /** Returns 'counted', 'replayed' or the lateBy. */
  add(partition: number, key: string, amount: number, t: number, offset: number, now: number): 'counted' | 'replayed' | number {
    if (!this.partitions.has(partition)) this.assign(partition);
    const p = this.partitions.get(partition)!;
    p.lastActivity = p.lastActivity === undefined ? now : Math.max(p.lastActivity, now);
    p.maxT = Math.max(p.maxT, t);
    const last = this.lastWindow(t);
    const record = { partition, key, amount, t, offset, counted: false, closedAtArrival: this.closed };
    p.records.push(record);
    if (this.end(last) <= p.emittedThrough) return 'replayed';
    if (last <= this.closed) return (this.closed + 1) * this.s.slide - t;
    record.counted = true;
    return 'counted';
  }

  revoke(partition: number): void { this.partitions.delete(partition); }

  advance(now: number): ClosedWindow[] {
    let anyActive = false;
    let activeMin = Infinity;
    let idleMax = -Infinity;
    for (const p of this.partitions.values()) {
      p.lastActivity ??= now;
      const own = p.maxT - this.s.allowedLateness;
      if (now - p.lastActivity < this.s.idleTimeout) {
        anyActive = true;
        activeMin = Math.min(activeMin, own);
      } else {
        idleMax = Math.max(idleMax, own + now - p.lastActivity - this.s.idleTimeout);
      }
    }
    this.watermark = Math.max(this.watermark, anyActive ? activeMin : idleMax);
    return this.closeThrough(Math.floor((this.watermark - this.s.length) / this.s.slide));
  }

  closeAll(): ClosedWindow[] {
    let target = -Infinity;
    for (const r of this.live()) if (this.lastWindow(r.t) > this.closed) target = Math.max(target, this.lastWindow(r.t));
    const out = this.closeThrough(target);
    this.watermark = Math.max(this.watermark, this.closedThrough());
    return out;
  }

  safeOffset(partition: number): number | undefined {
    const p = this.partitions.get(partition);
    if (!p || p.records.length === 0) return undefined;
    const open = p.records.filter((r) => r.counted && this.lastWindow(r.t) > this.closed).map((r) => r.offset);
    return open.length > 0 ? Math.min(...open) : Math.max(...p.records.map((r) => r.offset)) + 1;
  }

  private *live(): Generator<RawRecord> {
    for (const p of this.partitions.values()) for (const r of p.records) if (r.counted) yield r;
  }

  private closeThrough(target: number): ClosedWindow[] {
    const out: ClosedWindow[] = [];
    if (target <= this.closed) return out;
    // Start at the first window of the oldest record still counting (none: nothing to emit).
    let from = Infinity;
    for (const r of this.live()) from = Math.min(from, Math.floor((r.t - this.s.length) / this.s.slide) + 1);
    from = Math.max(from, this.closed + 1);
    for (let k = from; k <= target; k++) {
      const start = k * this.s.slide;
      const sums = new Map<string, WindowRow>();
      for (const [partition, p] of this.partitions) {
        if (this.end(k) <= p.emittedThrough) continue;
        for (const r of p.records) {
          if (!r.counted || r.partition !== partition || r.t < start || r.t >= this.end(k) || k <= r.closedAtArrival) continue;
          const row = sums.get(r.key) ?? { key: r.key, total: 0, count: 0 };
          row.total += r.amount;
          row.count += 1;
          sums.set(r.key, row);
        }
      }
      if (sums.size === 0) continue;
      const rows = [...sums.values()].filter((row) => row.total >= this.s.threshold)
        .sort((a, b) => b.total - a.total || (a.key < b.key ? -1 : 1));
      out.push({ start, end: this.end(k), rows });
    }
    this.closed = target;
    return out;
  }
}

const settingsArb = fc.integer({ min: 1, max: 40 }).chain((length) => fc.record({
  length: fc.constant(length),
  slide: fc.integer({ min: 1, max: length }),
  allowedLateness: fc.integer({ min: 0, max: 30 }),
  idleTimeout: fc.integer({ min: 1, max: 60 }),
  threshold: fc.integer({ min: -5, max: 60 }),
}));

const recordArb = fc.record({
  // Mostly a few plain keys (so windows repeat them); now and then the empty key, keys that differ
  // only by a trailing NUL, and non-Latin-1 ones, lone surrogates included.
  key: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('a', 'b', 'c', 'd', 'e') },
    { weight: 1, arbitrary: fc.constantFrom('', 'ab', 'ab\u0000', 'é', 'ž', '\ud800', '\ud83d\ude00') },
  ),
  amount: fc.integer({ min: -3, max: 20 }),
  forward: fc.integer({ min: 0, max: 6 }),
  back: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 45 }) }),
});

const opArb = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('add' as const), partition: fc.integer({ min: 0, max: 2 }), records: fc.array(recordArb, { minLength: 1, maxLength: 5 }), viaBatch: fc.boolean(), nowStep: fc.integer({ min: 0, max: 15 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('advance' as const), nowStep: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('assign' as const), partition: fc.integer({ min: 0, max: 2 }), emittedThrough: fc.option(fc.integer({ min: 90, max: 250 }), { nil: undefined }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('revoke' as const), partition: fc.integer({ min: 0, max: 2 }) }) },
);

const runArb = fc.record({
  settings: settingsArb,
  skew: fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 3, maxLength: 3 }),
  /** Like Kafka's key partitioning: each key lives on one partition only (else keys roam). */
  keysByPartition: fc.boolean(),
  ops: fc.array(opArb, { maxLength: 60, size: 'max' }),
});

test('every window the engine closes equals the brute-force model, closes once and in order, and late records really are late', () => {
  fc.assert(fc.property(runArb, ({ settings, skew, keysByPartition, ops }) => {
    const engine = createWindowEngine(settings);
    const model = new Model(settings);
    const clocks = skew.map((s) => 100 + s);
    const offsets = [0, 0, 0];
    const emitted: ClosedWindow[] = [];
    let now = 0;
    for (const op of ops) {
      if (op.kind === 'assign') {
        const resume = op.emittedThrough === undefined ? undefined : { emittedThrough: op.emittedThrough };
        engine.assign(op.partition, resume);
        model.assign(op.partition, op.emittedThrough);
      } else if (op.kind === 'revoke') {
        engine.revoke(op.partition);
        model.revoke(op.partition);
      } else if (op.kind === 'advance') {
        now += op.nowStep;
        const closed = engine.advance(now);
        assert.deepEqual(closed, model.advance(now));
        emitted.push(...closed);
      } else {
        now += op.nowStep;
        const closedThrough = engine.closedThrough();
        const rows = op.records.map((r) => {
          clocks[op.partition]! += r.forward;
          const key = keysByPartition ? `${r.key}${op.partition}` : r.key;
          return { key, amount: r.amount, t: clocks[op.partition]! - r.back, offset: offsets[op.partition]!++ };
        });
        const expected = rows.map((r) => model.add(op.partition, r.key, r.amount, r.t, r.offset, now));
        let seen: Array<'counted' | 'replayed' | number>;
        if (op.viaBatch) {
          const outcome = engine.addBatch({
            partition: op.partition, keys: rows.map((r) => r.key), amounts: rows.map((r) => r.amount),
            eventTimes: rows.map((r) => r.t), offsets: rows.map((r) => r.offset), now,
          });
          seen = rows.map(() => 'counted');
          for (const late of outcome.late) seen[late.index] = late.lateBy;
          for (const index of outcome.replayed) seen[index] = 'replayed';
        } else {
          seen = rows.map((r) => {
            const outcome = engine.add({ partition: op.partition, key: r.key, amount: r.amount, eventTime: r.t, offset: r.offset, now });
            return outcome.status === 'late' ? outcome.lateBy : outcome.status;
          });
        }
        assert.deepEqual(seen, expected);
        rows.forEach((r, i) => {
          // Late means every window holding t had closed: the last one ends by closedThrough.
          const lastEnd = Math.floor(r.t / settings.slide) * settings.slide + settings.length;
          if (typeof seen[i] === 'number') assert.ok(lastEnd <= closedThrough && seen[i] >= 1);
          if (seen[i] === 'counted') assert.ok(lastEnd > closedThrough);
        });
      }
      assert.equal(engine.watermark(), model.watermark);
      assert.equal(engine.closedThrough(), model.closedThrough());
      for (const partition of [0, 1, 2]) assert.equal(engine.safeOffset(partition), model.safeOffset(partition));
    }
    const last = engine.closeAll();
    assert.deepEqual(last, model.closeAll());
    emitted.push(...last);
    const ends = emitted.map((w) => w.end);
    assert.deepEqual(ends, [...new Set(ends)].sort((a, b) => a - b), 'each window closes once, in order of end');
    assert.deepEqual(engine.stats(), { partitions: model.partitions.size, keys: 0, panes: 0, openWindows: 0 });
  }), { numRuns: 1000 });
});

/** Every window any record falls in, straight from the records (no watermark at all). */
function allWindows(records: Array<{ key: string; amount: number; t: number }>, s: WindowSettings): ClosedWindow[] {
  const windows = new Map<number, Map<string, WindowRow>>();
  for (const r of records) {
    for (let start = Math.floor(r.t / s.slide) * s.slide; start > r.t - s.length; start -= s.slide) {
      const sums = windows.get(start) ?? new Map<string, WindowRow>();
      const row = sums.get(r.key) ?? { key: r.key, total: 0, count: 0 };
      row.total += r.amount;
      row.count += 1;
      sums.set(r.key, row);
      windows.set(start, sums);
    }
  }
  return [...windows.entries()].sort(([a], [b]) => a - b).map(([start, sums]) => ({
    start,
    end: start + s.length,
    rows: [...sums.values()].filter((row) => row.total >= s.threshold)
      .sort((a, b) => b.total - a.total || (a.key < b.key ? -1 : 1)),
  }));
}

test('with allowedLateness at least the disorder nothing is late and the windows equal those of all records', () => {
  const arb = fc.record({
    settings: settingsArb,
    disorder: fc.integer({ min: 0, max: 30 }),
    partitions: fc.integer({ min: 1, max: 3 }),
    records: fc.array(fc.record({
      partition: fc.integer({ min: 0, max: 2 }), key: fc.constantFrom('a', 'b', 'c', 'd'),
      amount: fc.integer({ min: 0, max: 20 }), forward: fc.integer({ min: 0, max: 8 }), back: fc.double({ min: 0, max: 1, noNaN: true }),
      advance: fc.boolean(),
    }), { maxLength: 80, size: 'max' }),
  });
  fc.assert(fc.property(arb, ({ settings, disorder, partitions, records }) => {
    const s = { ...settings, allowedLateness: settings.allowedLateness + disorder, idleTimeout: 1e9 };
    const engine = createWindowEngine(s);
    for (let p = 0; p < partitions; p++) engine.assign(p);
    const clocks = [1000, 1000, 1000];
    const fed: Array<{ key: string; amount: number; t: number }> = [];
    const emitted: ClosedWindow[] = [];
    records.forEach((r, offset) => {
      const partition = r.partition % partitions;
      clocks[partition]! += r.forward;
      const t = clocks[partition]! - Math.floor(r.back * disorder);
      fed.push({ key: r.key, amount: r.amount, t });
      assert.equal(engine.add({ partition, key: r.key, amount: r.amount, eventTime: t, offset, now: 0 }).status, 'counted');
      if (r.advance) emitted.push(...engine.advance(0));
    });
    emitted.push(...engine.closeAll());
    assert.deepEqual(emitted, allWindows(fed, s));
  }), { numRuns: 500 });
});
