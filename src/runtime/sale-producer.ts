/**
 * The producer loop: generated sales into the source topic at a held rate.
 *
 * Rate: the loop sends in small chunks and sizes each chunk as "what should have been sent by now
 * minus what was sent", so the rate holds over any interval (no drift from timer jitter) and a
 * slow broker is caught up without bursts above one chunk. At rate 0 it runs flat out, bounded by
 * a few sends in flight. Each record's Kafka timestamp is its event time.
 */
import { type OutgoingRecord, type TopicProducer } from '../broker/topic-producer.ts';
import { type JsonSchemaObject } from '../generator/json-schema.ts';
import { createRecordGenerator } from '../generator/record-generator.ts';
import { createFaultInjector } from './fault-plan.ts';
import { type Logger } from '../logger.ts';
import { type PipelineMetrics } from './metrics.ts';

/** The parts of the pipeline config the producer reads. */
export interface SaleProducerConfig {
  source: { topic: string; key: string; eventTime?: string | undefined; saleSchema: JsonSchemaObject };
  producer: { rate: number; count: number | null; customers: number; seed: number; outOfOrder: number; late: number; invalid: number };
  window: { length: number; slide: number; allowedLateness: number };
}

export interface SaleProducerOptions {
  config: SaleProducerConfig;
  producer: TopicProducer;
  metrics: PipelineMetrics;
  log: Logger;
  now?: () => number;
}

/** A running producer; `done` resolves once every record sent is acknowledged. */
export interface RunningProducer {
  done: Promise<void>;
  /** Stops generating; `done` resolves when what was sent is acknowledged. */
  stop(): void;
}

const maxInFlight = 4;
const flatOutChunk = 5_000;

/** Starts producing in the background. */
export function startSaleProducer(options: SaleProducerOptions): RunningProducer {
  const { config, producer, metrics, log } = options;
  const now = options.now ?? Date.now;
  const { rate, count } = config.producer;
  const generator = createRecordGenerator({
    schema: config.source.saleSchema,
    seed: config.producer.seed,
    customers: config.producer.customers,
    eventTimeField: config.source.eventTime,
  });
  const faults = createFaultInjector({
    seed: config.producer.seed,
    invalid: config.producer.invalid,
    late: config.producer.late,
    outOfOrder: config.producer.outOfOrder,
    window: config.window,
    saleSchema: config.source.saleSchema,
  });
  const figures = metrics.producer;
  let stopping = false;
  const stop = (): void => {
    stopping = true;
  };

  const chunkFor = (sent: number, startedAt: number): number => {
    const remaining = count === null ? Infinity : count - sent;
    if (rate <= 0) return Math.min(flatOutChunk, remaining);
    // A chunk is at most 50 ms of records, so the rate is smooth at any setting.
    const due = Math.floor((rate * (now() - startedAt)) / 1000) - sent;
    return Math.max(0, Math.min(due, Math.ceil(rate / 20), remaining));
  };

  const run = async (): Promise<void> => {
    const startedAt = now();
    const inFlight = new Set<Promise<void>>();
    let sent = 0;
    let failure: Error | undefined;
    while (!stopping && failure === undefined && (count === null || sent < count)) {
      const size = chunkFor(sent, startedAt);
      if (size === 0) {
        await sleep(rate > 0 ? Math.max(1, Math.min(50, 1000 / rate)) : 1);
        continue;
      }
      const records = makeChunk(size);
      sent += size;
      figures.produced += size;
      const sending: Promise<void> = producer
        .send(config.source.topic, records)
        .then(() => {
          figures.acknowledged += size;
        })
        .catch((error: unknown) => {
          failure = error instanceof Error ? error : new Error(String(error));
        })
        .finally(() => inFlight.delete(sending));
      inFlight.add(sending);
      if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    if (failure) throw new Error(`producing to ${config.source.topic} failed: ${failure.message}`);
    log.info('producer finished', { sent, acknowledged: figures.acknowledged });
  };

  const makeChunk = (size: number): OutgoingRecord[] => {
    const records: OutgoingRecord[] = new Array<OutgoingRecord>(size);
    const at = now();
    for (let i = 0; i < size; i++) {
      const planned = faults.plan(at);
      const sale = generator.next(planned.eventTime);
      const key = String(sale[config.source.key]);
      if (planned.kind === 'late') figures.injectedLate++;
      else if (planned.kind === 'out-of-order') figures.injectedOutOfOrder++;
      if (planned.kind === 'invalid') {
        figures.injectedInvalid++;
        records[i] = { key, value: faults.corrupt(sale), timestamp: at };
      } else {
        records[i] = { key, value: JSON.stringify(sale), timestamp: planned.eventTime };
      }
    }
    return records;
  };

  return { done: run(), stop };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
