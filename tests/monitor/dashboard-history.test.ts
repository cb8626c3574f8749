/**
 * The dashboard's memory: per-second samples with rates, and bounded lists of batches, window
 * writes and windows, with the customer chart drawn from what is kept.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDashboardHistory, defaultHistoryLimits } from '../../src/monitor/dashboard-history.ts';
import { createMetrics, notifyBatch, notifyWindowsWritten } from '../../src/runtime/metrics.ts';
import { type WindowRow } from '../../src/window/types.ts';

test('sample() turns counters into rates per second and folds the batches of that second', () => {
  const metrics = createMetrics(10_000);
  const history = createDashboardHistory(metrics);
  metrics.listeners.push(history.listener);
  metrics.consumer.consumed = 3_000;
  metrics.producer.acknowledged = 4_000;
  metrics.consumer.watermark = 11_200;
  metrics.consumer.partitions.set(0, { position: 5, highWatermark: 9 }).set(2, { position: 7, highWatermark: 7 });
  notifyBatch(metrics, { at: 10_100, partition: 0, records: 10, invalid: 0, late: 0, processingMs: 2 });
  notifyBatch(metrics, { at: 10_200, partition: 2, records: 10, invalid: 0, late: 0, processingMs: 6 });
  history.sample(12_000);
  history.sample(13_000);
  assert.deepEqual(history.samples(), [
    { t: 12_000, inputRate: 1_500, outputRate: 2_000, lag: 4, lagByPartition: { 0: 4, 2: 0 }, watermarkDelayMs: 800, openWindows: 0, keys: 0, batches: 2, batchMsMean: 4, batchMsMax: 6 },
    { t: 13_000, inputRate: 0, outputRate: 0, lag: 4, lagByPartition: { 0: 4, 2: 0 }, watermarkDelayMs: 1_800, openWindows: 0, keys: 0, batches: 0, batchMsMean: null, batchMsMax: null },
  ]);
  assert.deepEqual(history.samples(12_000).map((sample) => sample.t), [13_000]);
});

test('the history keeps 10 minutes of samples, the last 20 batches and the last 60 windows', () => {
  const metrics = createMetrics(0);
  const history = createDashboardHistory(metrics);
  metrics.listeners.push(history.listener);
  for (let second = 1; second <= 700; second++) history.sample(second * 1_000);
  for (let i = 0; i < 50; i++) notifyBatch(metrics, { at: i, partition: 0, records: i, invalid: 0, late: 0, processingMs: 1 });
  for (let i = 0; i < 80; i++) {
    notifyWindowsWritten(metrics, { at: i, emitDelayMs: 5, windows: [{ start: i * 1_000, end: i * 1_000 + 2_000, rows: [{ key: 'a', total: i, count: 1 }] }] });
  }
  assert.equal(history.samples().length, defaultHistoryLimits.samples);
  assert.equal(history.samples()[0]?.t, 101_000);
  assert.deepEqual(history.recentBatches().map((batch) => batch.records).slice(0, 3), [49, 48, 47]);
  assert.equal(history.recentBatches().length, 20);
  assert.equal(history.customerChart().windowEnds.length, 60);
  assert.equal(history.customerChart().windowEnds[0], 22_000);
  assert.equal(history.emits().length, 80);
});

test('the customer chart follows the leaders of the latest window, topped up from earlier windows', () => {
  const metrics = createMetrics(0);
  const history = createDashboardHistory(metrics, { ...defaultHistoryLimits, chartCustomers: 3, rowsPerWindow: 2 });
  metrics.listeners.push(history.listener);
  const rows = (...pairs: Array<[string, number]>): WindowRow[] => pairs.map(([key, total]) => ({ key, total, count: 1 }));
  notifyWindowsWritten(metrics, {
    at: 1,
    emitDelayMs: 1,
    windows: [
      { start: 0, end: 2_000, rows: rows(['Cy', 900], ['Ann', 800], ['Zed', 700]) },
      { start: 1_000, end: 3_000, rows: rows(['Bo', 500]) },
    ],
  });
  assert.deepEqual(history.latestWindow(), { start: 1_000, end: 3_000, writtenAt: 1, rowCount: 1, rows: rows(['Bo', 500]) });
  assert.deepEqual(history.customerChart(), {
    windowEnds: [2_000, 3_000],
    customers: [
      { key: 'Bo', totals: [null, 500] },
      { key: 'Cy', totals: [900, null] },
      // Zed was beyond rowsPerWindow, so it is not kept and not drawn.
      { key: 'Ann', totals: [800, null] },
    ],
  });
  notifyWindowsWritten(metrics, { at: 2, emitDelayMs: 1, windows: [{ start: 2_000, end: 4_000, rows: rows(['Ann', 400], ['Bo', 300], ['Cy', 100]) }] });
  assert.equal(history.latestWindow()?.rowCount, 3, 'the count of customers is kept even when rows are trimmed');
  assert.deepEqual(history.latestWindow()?.rows.map((row) => row.key), ['Ann', 'Bo']);
});
