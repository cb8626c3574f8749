/**
 * The JSON of `/api/status`: the live figures plus the dashboard's history. The page's scripts
 * import these types (through JSDoc), so the server and the page cannot drift apart silently.
 */
import { consumerLag, type BatchEvent, type ConsumerFigures, type PartitionFigures, type PipelineMetrics, type ProducerFigures } from '../runtime/metrics.ts';
import { type CustomerChart, type DashboardHistory, type EmitSample, type LatestWindow, type SecondSample } from './dashboard-history.ts';

/** What the monitor shows about the pipeline itself (a subset of PipelineConfig). */
export interface MonitoredPipeline {
  name: string;
  source: { topic: string };
  window: { length: number; slide: number };
  aggregate: { threshold: number };
}

/** One partition of the source topic, as the consumer sees it. */
export type PartitionStatus = PartitionFigures & { partition: number; lag: number };

/** The consumer's figures, JSON-friendly (maps become lists and objects), plus the total lag. */
export type ConsumerStatus = Omit<ConsumerFigures, 'partitions' | 'invalidByReason'> & {
  lag: number;
  partitions: PartitionStatus[];
  invalidByReason: Record<string, number>;
};

/** The body of `/api/status`. */
export interface StatusSnapshot {
  /** The server's wall clock (epoch ms) when the snapshot was taken. */
  now: number;
  startedAt: number;
  uptimeMs: number;
  pipeline: { name: string; topic: string; windowLengthMs: number; windowSlideMs: number; threshold: number };
  /** Set while the broker cannot be reached. */
  brokerError: string | null;
  producer: ProducerFigures;
  consumer: ConsumerStatus;
  /** Per-second samples newer than `?since=` (all kept ones without it), oldest first. */
  samples: SecondSample[];
  /** Window writes newer than `?since=`, oldest first. */
  emits: EmitSample[];
  /** Newest first. */
  recentBatches: BatchEvent[];
  latestWindow: LatestWindow | null;
  customerChart: CustomerChart;
}

/** Builds the snapshot; `since` (epoch ms) trims the time series to what a poller has not seen. */
export function statusSnapshot(
  pipeline: MonitoredPipeline,
  metrics: PipelineMetrics,
  history: DashboardHistory,
  options: { now?: number; since?: number } = {},
): StatusSnapshot {
  const now = options.now ?? Date.now();
  const { consumer, producer } = metrics;
  return {
    now,
    startedAt: metrics.startedAt,
    uptimeMs: now - metrics.startedAt,
    pipeline: {
      name: pipeline.name,
      topic: pipeline.source.topic,
      windowLengthMs: pipeline.window.length,
      windowSlideMs: pipeline.window.slide,
      threshold: pipeline.aggregate.threshold,
    },
    brokerError: metrics.brokerError,
    producer: { ...producer },
    consumer: {
      consumed: consumer.consumed,
      valid: consumer.valid,
      invalid: consumer.invalid,
      late: consumer.late,
      replayed: consumer.replayed,
      aggregated: consumer.aggregated,
      deadLettered: consumer.deadLettered,
      windowsEmitted: consumer.windowsEmitted,
      rowsWritten: consumer.rowsWritten,
      commits: consumer.commits,
      batches: consumer.batches,
      readOnThread: consumer.readOnThread,
      lastBatchMs: consumer.lastBatchMs,
      watermark: consumer.watermark,
      openWindows: consumer.openWindows,
      keys: consumer.keys,
      lastEmitDelayMs: consumer.lastEmitDelayMs,
      lag: consumerLag(consumer),
      partitions: [...consumer.partitions]
        .sort(([a], [b]) => a - b)
        .map(([partition, figures]) => ({
          partition,
          position: figures.position,
          highWatermark: figures.highWatermark,
          lag: Math.max(0, figures.highWatermark - figures.position),
        })),
      invalidByReason: Object.fromEntries(consumer.invalidByReason),
    },
    samples: history.samples(options.since),
    emits: history.emits(options.since),
    recentBatches: history.recentBatches(),
    latestWindow: history.latestWindow(),
    customerChart: history.customerChart(),
  };
}
