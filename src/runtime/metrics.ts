import { type ClosedWindow } from '../window/types.ts';

/**
 * The pipeline's running figures: plain counters and gauges that the consumer and producer loops
 * bump, and that the status line, the dashboard and /metrics read. No I/O here.
 */

/** Per-partition view of the consumer. */
export interface PartitionFigures {
  /** Next offset this consumer will read. */
  position: number;
  /** The partition's end offset at the last fetch. */
  highWatermark: number;
}

/** Consumer figures. */
export interface ConsumerFigures {
  consumed: number;
  valid: number;
  invalid: number;
  late: number;
  /** Records re-read after a restart whose windows were already written: skipped, not counted. */
  replayed: number;
  aggregated: number;
  deadLettered: number;
  windowsEmitted: number;
  rowsWritten: number;
  commits: number;
  batches: number;
  /** Milliseconds spent processing the last batch. */
  lastBatchMs: number;
  /** Engine watermark (epoch ms), or null before the first record. */
  watermark: number | null;
  openWindows: number;
  keys: number;
  partitions: Map<number, PartitionFigures>;
  invalidByReason: Map<string, number>;
  /** Wall-clock delay from a window's end passing the watermark to its rows being written. */
  lastEmitDelayMs: number | null;
  /** Sales read on the reader thread (sale-reader-thread.ts) rather than the main thread. */
  readOnThread: number;
}

/** Producer figures. */
export interface ProducerFigures {
  produced: number;
  acknowledged: number;
  injectedInvalid: number;
  injectedLate: number;
  injectedOutOfOrder: number;
}

/** One processed batch, as the dashboard's table of recent batches shows it. */
export interface BatchEvent {
  at: number;
  partition: number;
  records: number;
  invalid: number;
  late: number;
  processingMs: number;
}

/** Windows just written to every sink. */
export interface WindowsWrittenEvent {
  at: number;
  windows: readonly ClosedWindow[];
  /** From the step that closed them (the watermark passing their end) to all sinks holding them. */
  emitDelayMs: number;
}

/**
 * Observers of what the figures cannot hold (distributions, the rows themselves): the monitor
 * registers one to feed histograms and the dashboard. Listeners must be cheap and never throw.
 */
export interface MetricsListener {
  onBatch?(event: BatchEvent): void;
  onWindowsWritten?(event: WindowsWrittenEvent): void;
}

/** Everything the monitor shows. */
export interface PipelineMetrics {
  startedAt: number;
  consumer: ConsumerFigures;
  producer: ProducerFigures;
  /** Set while the broker cannot be reached; the status line and dashboard show it. */
  brokerError: string | null;
  listeners: MetricsListener[];
}

/** Tells every listener about a processed batch. */
export function notifyBatch(metrics: PipelineMetrics, event: BatchEvent): void {
  for (const listener of metrics.listeners) listener.onBatch?.(event);
}

/** Tells every listener about windows written to the sinks. */
export function notifyWindowsWritten(metrics: PipelineMetrics, event: WindowsWrittenEvent): void {
  for (const listener of metrics.listeners) listener.onWindowsWritten?.(event);
}

/** Fresh, zeroed figures. */
export function createMetrics(now = Date.now()): PipelineMetrics {
  return {
    startedAt: now,
    consumer: {
      consumed: 0,
      valid: 0,
      invalid: 0,
      late: 0,
      replayed: 0,
      aggregated: 0,
      deadLettered: 0,
      windowsEmitted: 0,
      rowsWritten: 0,
      commits: 0,
      batches: 0,
      lastBatchMs: 0,
      watermark: null,
      openWindows: 0,
      keys: 0,
      partitions: new Map(),
      invalidByReason: new Map(),
      lastEmitDelayMs: null,
      readOnThread: 0,
    },
    producer: { produced: 0, acknowledged: 0, injectedInvalid: 0, injectedLate: 0, injectedOutOfOrder: 0 },
    brokerError: null,
    listeners: [],
  };
}

/** Total lag: records on the broker this consumer has not read yet. */
export function consumerLag(figures: ConsumerFigures): number {
  let lag = 0;
  for (const { position, highWatermark } of figures.partitions.values()) lag += Math.max(0, highWatermark - position);
  return lag;
}
