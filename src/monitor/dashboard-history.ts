/**
 * What the dashboard remembers beyond the live figures: a sample per second for the charts (last
 * 10 minutes), the emit delay of recent window writes, the recent batches, the latest closed
 * window's rows and the per-customer totals of the last windows. Every list is bounded, so a
 * pipeline that runs for days holds the same memory as one that runs for a minute.
 */
import {
  consumerLag,
  type BatchEvent,
  type MetricsListener,
  type PipelineMetrics,
  type WindowsWrittenEvent,
} from '../runtime/metrics.ts';
import { type WindowRow } from '../window/types.ts';

/** One second of the pipeline, as the charts plot it. */
export interface SecondSample {
  /** Wall clock (epoch ms) at the end of the second. */
  t: number;
  /** Records consumed per second over the last interval. */
  inputRate: number;
  /** Records the broker acknowledged to our producer per second (0 without a producer). */
  outputRate: number;
  lag: number;
  /** Lag per partition, keyed by partition number. */
  lagByPartition: Record<string, number>;
  /** Wall clock minus watermark (ms); null before the first watermark. */
  watermarkDelayMs: number | null;
  openWindows: number;
  keys: number;
  /** Batches processed in the interval, with their mean and slowest processing time (ms). */
  batches: number;
  batchMsMean: number | null;
  batchMsMax: number | null;
}

/** One write of closed windows to the sinks. */
export interface EmitSample {
  t: number;
  delayMs: number;
  windows: number;
  rows: number;
}

/** The newest closed window and its high-volume customers (the biggest `rowLimit` of them). */
export interface LatestWindow {
  start: number;
  end: number;
  writtenAt: number;
  /** How many customers reached the threshold; `rows` may hold fewer. */
  rowCount: number;
  rows: WindowRow[];
}

/** Windowed totals of the leading customers: one value per window end, null when under threshold. */
export interface CustomerChart {
  windowEnds: number[];
  customers: Array<{ key: string; totals: Array<number | null> }>;
}

/** Bounds of the history; the defaults suit a screen, tests shrink them. */
export interface HistoryLimits {
  /** Seconds of samples kept (600 = the 10 minutes the input-rate chart shows). */
  samples: number;
  emits: number;
  recentBatches: number;
  /** Windows kept for the customer chart. */
  windows: number;
  /** Rows kept per window (the biggest); the table and the chart read from these. */
  rowsPerWindow: number;
  /** Customers drawn in the chart. */
  chartCustomers: number;
}

export const defaultHistoryLimits: HistoryLimits = {
  samples: 600,
  emits: 600,
  recentBatches: 20,
  windows: 60,
  rowsPerWindow: 50,
  chartCustomers: 10,
};

/** The dashboard's memory: a metrics listener plus a `sample()` the server calls every second. */
export interface DashboardHistory {
  listener: MetricsListener;
  /** Records one second of figures; call it once a second. */
  sample(now?: number): void;
  samples(since?: number): SecondSample[];
  emits(since?: number): EmitSample[];
  recentBatches(): BatchEvent[];
  latestWindow(): LatestWindow | null;
  customerChart(): CustomerChart;
}

/** Creates the history for one pipeline's metrics. */
export function createDashboardHistory(metrics: PipelineMetrics, limits: HistoryLimits = defaultHistoryLimits): DashboardHistory {
  const samples: SecondSample[] = [];
  const emits: EmitSample[] = [];
  const batches: BatchEvent[] = [];
  const windows: Array<{ start: number; end: number; writtenAt: number; rowCount: number; rows: WindowRow[] }> = [];
  // Batch times of the current second, folded into the next sample.
  let pendingBatches = { count: 0, totalMs: 0, maxMs: 0 };
  let previous = { at: metrics.startedAt, consumed: metrics.consumer.consumed, acknowledged: metrics.producer.acknowledged };

  const listener: MetricsListener = {
    onBatch(event) {
      pushBounded(batches, event, limits.recentBatches);
      pendingBatches.count++;
      pendingBatches.totalMs += event.processingMs;
      pendingBatches.maxMs = Math.max(pendingBatches.maxMs, event.processingMs);
    },
    onWindowsWritten(event: WindowsWrittenEvent) {
      const rows = event.windows.reduce((sum, window) => sum + window.rows.length, 0);
      pushBounded(emits, { t: event.at, delayMs: event.emitDelayMs, windows: event.windows.length, rows }, limits.emits);
      for (const window of event.windows) {
        // Rows arrive sorted by total, so the first ones are the biggest customers.
        const kept = { start: window.start, end: window.end, writtenAt: event.at, rowCount: window.rows.length, rows: window.rows.slice(0, limits.rowsPerWindow) };
        pushBounded(windows, kept, limits.windows);
      }
    },
  };

  const sample = (now = Date.now()): void => {
    const { consumer, producer } = metrics;
    const seconds = Math.max(0.001, (now - previous.at) / 1000);
    const lagByPartition: Record<string, number> = {};
    for (const [partition, figures] of consumer.partitions) lagByPartition[partition] = Math.max(0, figures.highWatermark - figures.position);
    pushBounded(
      samples,
      {
        t: now,
        inputRate: Math.max(0, Math.round((consumer.consumed - previous.consumed) / seconds)),
        outputRate: Math.max(0, Math.round((producer.acknowledged - previous.acknowledged) / seconds)),
        lag: consumerLag(consumer),
        lagByPartition,
        watermarkDelayMs: consumer.watermark === null ? null : now - consumer.watermark,
        openWindows: consumer.openWindows,
        keys: consumer.keys,
        batches: pendingBatches.count,
        batchMsMean: pendingBatches.count === 0 ? null : pendingBatches.totalMs / pendingBatches.count,
        batchMsMax: pendingBatches.count === 0 ? null : pendingBatches.maxMs,
      },
      limits.samples,
    );
    previous = { at: now, consumed: consumer.consumed, acknowledged: producer.acknowledged };
    pendingBatches = { count: 0, totalMs: 0, maxMs: 0 };
  };

  return {
    listener,
    sample,
    samples: (since) => (since === undefined ? [...samples] : samples.filter((entry) => entry.t > since)),
    emits: (since) => (since === undefined ? [...emits] : emits.filter((entry) => entry.t > since)),
    recentBatches: () => [...batches].reverse(),
    latestWindow: () => {
      const latest = windows[windows.length - 1];
      return latest === undefined ? null : { ...latest, rows: [...latest.rows] };
    },
    customerChart: () => customerChart(windows, limits.chartCustomers),
  };
}

/**
 * The customers worth a line: the biggest of the latest window first, then (when it has fewer)
 * the biggest over the kept windows, so the chart is not empty after a quiet window.
 */
function customerChart(windows: ReadonlyArray<{ end: number; rows: WindowRow[] }>, limit: number): CustomerChart {
  const chosen: string[] = [];
  const latest = windows[windows.length - 1];
  for (const row of latest?.rows ?? []) {
    if (chosen.length >= limit) break;
    chosen.push(row.key);
  }
  if (chosen.length < limit) {
    const overall = new Map<string, number>();
    for (const window of windows) for (const row of window.rows) overall.set(row.key, (overall.get(row.key) ?? 0) + row.total);
    const ranked = [...overall].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    for (const [key] of ranked) {
      if (chosen.length >= limit) break;
      if (!chosen.includes(key)) chosen.push(key);
    }
  }
  const lookups = windows.map((window) => new Map(window.rows.map((row) => [row.key, row.total])));
  return {
    windowEnds: windows.map((window) => window.end),
    customers: chosen.map((key) => ({ key, totals: lookups.map((lookup) => lookup.get(key) ?? null) })),
  };
}

function pushBounded<T>(list: T[], item: T, limit: number): void {
  list.push(item);
  // splice, not shift in a loop: a shrunken limit trims in one step.
  if (list.length > limit) list.splice(0, list.length - limit);
}
