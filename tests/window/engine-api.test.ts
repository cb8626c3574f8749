/**
 * The window engine's bookkeeping around the windows: settings validation, safeOffset, closeAll,
 * stats and forgetting, the batch API's contract and its input checks.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createWindowEngine } from '../../src/window/engine.ts';
import { type WindowEngine, type WindowSettings } from '../../src/window/types.ts';

const base: WindowSettings = { length: 30_000, slide: 10_000, allowedLateness: 0, idleTimeout: 1_000_000, threshold: 10 };

function engine(settings: Partial<WindowSettings> = {}): WindowEngine {
  return createWindowEngine({ ...base, ...settings });
}

function record(partition: number, key: string, amount: number, eventTime: number, offset: number, now = 0) {
  return { partition, key, amount, eventTime, offset, now };
}

describe('createWindowEngine() settings', () => {
  const invalid: Array<[Partial<WindowSettings>, string]> = [
    [{ length: 0 }, 'window settings: length must be a positive integer number of ms, got 0'],
    [{ length: 1.5 }, 'window settings: length must be a positive integer number of ms, got 1.5'],
    [{ slide: -10 }, 'window settings: slide must be a positive integer number of ms, got -10'],
    [{ slide: 90_000 }, 'window settings: slide must not be longer than length (30000 ms), got 90000 ms'],
    [{ allowedLateness: -1 }, 'window settings: allowedLateness must be a non-negative integer number of ms, got -1'],
    [{ idleTimeout: 0 }, 'window settings: idleTimeout must be a positive integer number of ms, got 0'],
    [{ idleTimeout: Number.NaN }, 'window settings: idleTimeout must be a positive integer number of ms, got NaN'],
    [{ threshold: Number.POSITIVE_INFINITY }, 'window settings: threshold must be a finite number, got Infinity'],
  ];
  for (const [settings, message] of invalid) {
    test(`createWindowEngine() rejects ${JSON.stringify(settings)} with a RangeError saying what is wrong`, () => {
      assert.throws(() => engine(settings), { name: 'RangeError', message });
    });
  }

  test('createWindowEngine() accepts zero lateness, slide == length and a negative threshold', () => {
    assert.doesNotThrow(() => engine({ allowedLateness: 0, slide: 30_000, threshold: -5 }));
  });
});

describe('safeOffset()', () => {
  test('safeOffset() is undefined for a partition the engine has seen nothing of', () => {
    const e = engine();
    assert.equal(e.safeOffset(0), undefined);
    e.assign(0);
    assert.equal(e.safeOffset(0), undefined);
  });

  test('safeOffset() is the smallest offset still counting in an open window, then one past the highest', () => {
    const e = engine();
    e.add(record(0, 'a', 1, 101_000, 10));
    e.add(record(0, 'a', 1, 125_000, 12));
    e.add(record(0, 'a', 1, 124_000, 11));
    e.add(record(1, 'b', 1, 90_000, 3));
    assert.equal(e.safeOffset(0), 10);
    e.add(record(0, 'a', 1, 131_000, 13));
    assert.deepEqual(e.advance(0).map((w) => w.end), []); // partition 1 holds the watermark at 90 s
    e.revoke(1);
    assert.deepEqual(e.advance(0).map((w) => w.end), [110_000, 120_000, 130_000]);
    assert.equal(e.safeOffset(0), 11, 'the pane of 101 s is freed once [100 s, 130 s) closed');
    e.closeAll();
    assert.equal(e.safeOffset(0), 14);
    assert.equal(e.safeOffset(1), undefined, 'a revoked partition is forgotten');
  });

  test('safeOffset() is not held back by late or replayed records, which still count as seen', () => {
    const e = engine();
    e.assign(0, { emittedThrough: 200_000 });
    assert.equal(e.add(record(0, 'a', 1, 150_000, 40)).status, 'replayed');
    assert.equal(e.safeOffset(0), 41);
    e.add(record(1, 'b', 1, 300_000, 7));
    e.advance(0);
    assert.equal(e.add(record(1, 'b', 1, 100_000, 5)).status, 'late');
    assert.equal(e.safeOffset(1), 7);
  });
});

describe('closeAll()', () => {
  test('closeAll() closes every window holding records in order of end and raises the watermark', () => {
    const e = engine();
    e.add(record(0, 'a', 20, 101_000, 0));
    e.add(record(1, 'a', 20, 155_000, 0));
    assert.deepEqual(e.advance(0), []);
    const ends = e.closeAll().map((w) => w.end);
    assert.deepEqual(ends, [110_000, 120_000, 130_000, 160_000, 170_000, 180_000]);
    assert.equal(e.closedThrough(), 180_000);
    assert.equal(e.watermark(), 180_000);
    assert.deepEqual(e.stats(), { partitions: 2, keys: 0, panes: 0, openWindows: 0 });
    assert.deepEqual(e.closeAll(), []);
    assert.equal(e.add(record(0, 'a', 1, 150_000, 1)).status, 'late');
  });

  test('closeAll() on an engine without records closes nothing', () => {
    const e = engine();
    assert.deepEqual(e.closeAll(), []);
    assert.equal(e.closedThrough(), Number.NEGATIVE_INFINITY);
    assert.equal(e.watermark(), Number.NEGATIVE_INFINITY);
  });
});

describe('stats() and forgetting', () => {
  test('stats() counts partitions, keys, panes and open windows, and keys are forgotten with their last pane', () => {
    const e = engine();
    e.add(record(0, 'a', 1, 101_000, 0));
    e.add(record(0, 'b', 1, 105_000, 1));
    e.add(record(1, 'c', 1, 115_000, 0));
    assert.deepEqual(e.stats(), { partitions: 2, keys: 3, panes: 2, openWindows: 4 });
    e.add(record(0, 'a', 1, 131_000, 2));
    e.add(record(1, 'c', 1, 131_000, 1));
    e.advance(0); // watermark 131 s: windows ending 110, 120, 130 close; the pane [100, 110) goes
    assert.deepEqual(e.stats(), { partitions: 2, keys: 2, panes: 3, openWindows: 3 });
  });

  test('watermark() and closedThrough() never go back, even when a slower partition is assigned', () => {
    const e = engine();
    e.add(record(0, 'a', 1, 131_000, 0));
    e.advance(0);
    assert.equal(e.watermark(), 131_000);
    assert.equal(e.closedThrough(), 130_000);
    e.assign(1);
    e.add(record(1, 'b', 1, 50_000, 0));
    e.advance(0);
    assert.equal(e.watermark(), 131_000);
    assert.equal(e.closedThrough(), 130_000);
  });
});

describe('addBatch()', () => {
  test('addBatch() reports late and replayed records by index and counts the rest', () => {
    const e = engine();
    e.assign(0, { emittedThrough: 130_000 });
    e.add(record(1, 'x', 1, 200_000, 0));
    e.add(record(0, 'x', 1, 200_000, 0));
    e.advance(0); // closes through 200 s
    const outcome = e.addBatch({
      partition: 0,
      keys: ['a', 'b', 'c', 'd'],
      amounts: new Float64Array([1, 2, 3, 4]),
      eventTimes: [105_000, 150_000, 175_000, 201_000],
      offsets: [1, 2, 3, 4],
      now: 0,
    });
    assert.deepEqual(outcome, { counted: 1, late: [{ index: 1, lateBy: 30_000 }, { index: 2, lateBy: 5_000 }], replayed: [0] });
  });

  test('addBatch() rejects a batch with a non-finite value and leaves the engine untouched', () => {
    const e = engine();
    assert.throws(
      () => e.addBatch({ partition: 0, keys: ['a', 'b'], amounts: [1, Number.NaN], eventTimes: [1, 2], offsets: [0, 1], now: 0 }),
      { name: 'RangeError', message: 'window engine: record 1 of the batch has a non-finite eventTime, amount or offset' },
    );
    assert.deepEqual(e.stats(), { partitions: 0, keys: 0, panes: 0, openWindows: 0 });
  });

  test('addBatch() rejects columns of different lengths', () => {
    assert.throws(
      () => engine().addBatch({ partition: 0, keys: ['a'], amounts: [1, 2], eventTimes: [1], offsets: [0], now: 0 }),
      { name: 'RangeError', message: 'window engine: batch columns differ in length (keys 1, amounts 2, eventTimes 1, offsets 1)' },
    );
  });

  test('add() rejects a negative partition and a non-finite event time', () => {
    const e = engine();
    assert.throws(() => e.add(record(-1, 'a', 1, 0, 0)), { name: 'RangeError', message: 'window engine: partition must be a non-negative integer, got -1' });
    assert.throws(() => e.add(record(0, 'a', 1, Number.NaN, 0)), { name: 'RangeError', message: 'window engine: eventTime must be a finite number, got NaN' });
  });
});
