/**
 * `/metrics`: the pipeline's figures in Prometheus' text format, through prom-client and a
 * Registry of our own (the global one would mix in whatever else the process registers, and two
 * monitors in one test process would clash on names).
 *
 * Counters and gauges are read from PipelineMetrics at scrape time (`collect`), so the loops keep
 * bumping plain numbers and pay nothing per record; only the histograms are fed as events arrive,
 * through a MetricsListener.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { type MetricsListener, type PipelineMetrics } from '../runtime/metrics.ts';

/** The registry to serve and the listener that feeds its histograms. */
export interface PrometheusMetrics {
  registry: Registry;
  listener: MetricsListener;
}

// From sub-millisecond batches up to a stalled sink; emit delay adds a long tail for slow sinks.
const batchBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const emitDelayBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

type Sample<L extends string> = [labels: Partial<Record<L, string | number>>, value: number];

/** Creates the registry for one pipeline; `defaultMetrics` adds Node's process_* and nodejs_* set. */
export function createPrometheusMetrics(options: { metrics: PipelineMetrics; topic: string; defaultMetrics?: boolean }): PrometheusMetrics {
  const { metrics, topic } = options;
  const { consumer, producer } = metrics;
  const registry = new Registry();
  const registers = [registry];

  /** A counter mirroring totals kept elsewhere: reset and re-set at every scrape. */
  const mirroredCounter = <L extends string>(name: string, help: string, labelNames: readonly L[], read: () => Array<Sample<L>>): void => {
    new Counter<L>({
      name,
      help,
      labelNames,
      registers,
      collect(this: Counter<L>) {
        this.reset();
        for (const [labels, value] of read()) this.inc(labels, value);
      },
    });
  };
  const mirroredGauge = <L extends string>(name: string, help: string, labelNames: readonly L[], read: () => Array<Sample<L>>): void => {
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers,
      collect(this: Gauge<L>) {
        // Reset first so a revoked partition or a not-yet-known watermark has no stale sample.
        this.reset();
        for (const [labels, value] of read()) this.set(labels, value);
      },
    });
  };
  const onTopic = (value: number): Array<Sample<'topic'>> => [[{ topic }, value]];

  mirroredCounter('salesflow_records_consumed_total', 'Records read from the source topic.', ['topic'], () => onTopic(consumer.consumed));
  mirroredCounter('salesflow_records_invalid_total', 'Records that failed decoding or the sale schema, by reason.', ['topic', 'reason'], () =>
    [...consumer.invalidByReason].map(([reason, value]) => [{ topic, reason }, value]),
  );
  mirroredCounter('salesflow_records_late_total', 'Valid records older than every open window (dead-lettered).', ['topic'], () => onTopic(consumer.late));
  mirroredCounter('salesflow_records_replayed_total', 'Records re-read after a restart whose windows were already written.', ['topic'], () =>
    onTopic(consumer.replayed),
  );
  mirroredCounter('salesflow_records_aggregated_total', 'Records counted in a window.', ['topic'], () => onTopic(consumer.aggregated));
  mirroredCounter('salesflow_records_dead_lettered_total', 'Records written to the dead-letter topic (invalid and late).', ['topic'], () =>
    onTopic(consumer.deadLettered),
  );
  mirroredCounter('salesflow_windows_emitted_total', 'Closed windows written to every sink.', ['topic'], () => onTopic(consumer.windowsEmitted));
  mirroredCounter('salesflow_rows_written_total', 'High-volume (window, customer) rows written to every sink.', ['topic'], () =>
    onTopic(consumer.rowsWritten),
  );
  mirroredCounter('salesflow_batches_total', 'Fetched batches processed.', ['topic'], () => onTopic(consumer.batches));
  mirroredCounter('salesflow_commits_total', 'Offset commits that the broker accepted.', ['topic'], () => onTopic(consumer.commits));
  mirroredCounter('salesflow_records_produced_total', 'Records the broker acknowledged to the built-in producer.', ['topic'], () =>
    onTopic(producer.acknowledged),
  );
  mirroredCounter('salesflow_records_sent_total', 'Records the built-in producer handed to the client (acknowledged or not).', ['topic'], () =>
    onTopic(producer.produced),
  );
  mirroredCounter('salesflow_records_injected_total', 'Faults the built-in producer injected on purpose, by kind.', ['topic', 'fault'], () => [
    [{ topic, fault: 'invalid' }, producer.injectedInvalid],
    [{ topic, fault: 'late' }, producer.injectedLate],
    [{ topic, fault: 'out_of_order' }, producer.injectedOutOfOrder],
  ]);

  mirroredGauge('salesflow_consumer_lag', 'Records on the broker not yet read, per partition.', ['topic', 'partition'], () =>
    [...consumer.partitions].map(([partition, figures]) => [{ topic, partition }, Math.max(0, figures.highWatermark - figures.position)]),
  );
  mirroredGauge('salesflow_consumer_position', 'Next offset the consumer reads, per partition.', ['topic', 'partition'], () =>
    [...consumer.partitions].map(([partition, figures]) => [{ topic, partition }, figures.position]),
  );
  mirroredGauge('salesflow_watermark_seconds', 'Event-time watermark, Unix seconds; absent before the first record.', ['topic'], () =>
    consumer.watermark === null ? [] : onTopic(consumer.watermark / 1000),
  );
  mirroredGauge('salesflow_open_windows', 'Windows holding records that have not closed yet.', ['topic'], () => onTopic(consumer.openWindows));
  mirroredGauge('salesflow_keys', 'Distinct keys holding a partial sum in an open window.', ['topic'], () => onTopic(consumer.keys));
  mirroredGauge('salesflow_broker_up', '1 while the broker answers, 0 while it is unreachable.', [], () => [[{}, metrics.brokerError === null ? 1 : 0]]);

  const batchSeconds = new Histogram<'topic' | 'partition'>({
    name: 'salesflow_batch_processing_seconds',
    help: 'Time to process one fetched batch: decode, aggregate, close windows, write sinks, commit.',
    labelNames: ['topic', 'partition'],
    buckets: batchBuckets,
    registers,
  });
  const emitDelaySeconds = new Histogram<'topic'>({
    name: 'salesflow_emit_delay_seconds',
    help: "From the watermark passing a window's end to its rows being in every sink; one observation per window.",
    labelNames: ['topic'],
    buckets: emitDelayBuckets,
    registers,
  });

  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  return {
    registry,
    listener: {
      onBatch(event) {
        batchSeconds.observe({ topic, partition: event.partition }, event.processingMs / 1000);
      },
      onWindowsWritten(event) {
        // Per window, so the histogram's _count equals salesflow_windows_emitted_total.
        for (let i = 0; i < event.windows.length; i++) emitDelaySeconds.observe({ topic }, event.emitDelayMs / 1000);
      },
    },
  };
}
