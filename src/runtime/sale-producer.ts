/**
 * The producer loop: generated sales into the source topic at a held rate.
 *
 * Rate: the loop sends in small chunks and sizes each chunk as "what should have been sent by now
 * minus what was sent", so the rate holds over any interval (no drift from timer jitter) and a
 * slow broker is caught up without bursts above one chunk. At rate 0 it runs flat out, bounded by
 * a few sends in flight. Each record's Kafka timestamp is its event time.
 *
 * Packing (`producer.packing` N > 1): the sales of a chunk are grouped by the partition their key
 * hashes to, and each group is written as JSON arrays of up to N sales, so a consumer still sees
 * every sale of a customer on one partition. Both client libraries cost microseconds per message
 * whatever its size, so this is what takes the producer (and the consumer) past their per-message
 * ceilings.
 */
import { createKeyPartitioner, type OutgoingRecord, type TopicProducer } from '../broker/topic-producer.ts';
import { type JsonSchemaObject } from '../generator/json-schema.ts';
import { createRecordGenerator } from '../generator/record-generator.ts';
import { createFaultInjector } from './fault-plan.ts';
import { type Logger } from '../logger.ts';
import { type PipelineMetrics } from './metrics.ts';

/** The parts of the pipeline config the producer reads. */
export interface SaleProducerConfig {
  source: { topic: string; key: string; eventTime?: string | undefined; saleSchema: JsonSchemaObject };
  producer: {
    rate: number;
    count: number | null;
    customers: number;
    seed: number;
    outOfOrder: number;
    late: number;
    invalid: number;
    /** Sales per message (JSON array when > 1); 1 when absent. */
    packing?: number | undefined;
  };
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

/**
 * Sends in flight at once. Both producers send an idempotent producer's requests one at a time
 * (src/broker/resending-queue.ts says why), so more only queue (and hold memory); two let the
 * next chunk be generated while one is on the wire.
 */
const maxInFlight = 2;
/**
 * Sales per send when running flat out. kafkajs groups a send's messages by partition by copying
 * the partition's array per message (quadratic): with 4,000 one-sale messages that was 18% of the
 * producer's CPU, with 2,000 about half that. Packed, 6,000 sales are ~850 KB, one request under
 * the broker's 1 MiB batch limit; 40,000 (several requests) measured ~30% slower.
 */
const flatOutChunk = { single: 2_000, packed: 6_000 };

/** Starts producing in the background. */
export function startSaleProducer(options: SaleProducerOptions): RunningProducer {
  const { config, producer, metrics, log } = options;
  const now = options.now ?? Date.now;
  const { rate, count } = config.producer;
  const packing = config.producer.packing ?? 1;
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
  const chunkLimit = packing > 1 ? flatOutChunk.packed : flatOutChunk.single;
  let stopping = false;
  const stop = (): void => {
    stopping = true;
  };

  /**
   * How many sales to send now. At a held rate a chunk is at most 50 ms of records, so the rate is
   * smooth at any setting; when packing, a chunk also waits (within those 50 ms) until it can fill
   * one message per partition, or packing would send arrays of one or two sales at low rates.
   */
  const chunkFor = (sent: number, startedAt: number, fullPacks: number): number => {
    const remaining = count === null ? Infinity : count - sent;
    if (rate <= 0) return Math.min(chunkLimit, remaining);
    const due = Math.floor((rate * (now() - startedAt)) / 1000) - sent;
    const most = Math.ceil(rate / 20);
    if (due < Math.min(fullPacks, most, remaining)) return 0;
    return Math.max(0, Math.min(due, most, remaining));
  };

  const run = async (): Promise<void> => {
    // The partition of each key is computed here (murmur2, as both clients and the Java client
    // would), so that a message is built for one partition: required to pack sales, and cheaper
    // than the client hashing every message.
    const partitionCount = await producer.partitionCount(config.source.topic);
    const partitionOf = createKeyPartitioner(partitionCount);
    const fullPacks = packing > 1 ? packing * partitionCount : 1;
    const startedAt = now();
    const inFlight = new Set<Promise<void>>();
    let sent = 0;
    let failure: Error | undefined;
    log.info('producer started', { topic: config.source.topic, rate, count, packing });
    while (!stopping && failure === undefined && (count === null || sent < count)) {
      const size = chunkFor(sent, startedAt, fullPacks);
      if (size === 0) {
        await sleep(rate > 0 ? Math.max(1, Math.min(50, 1000 / rate)) : 1);
        continue;
      }
      const records = makeChunk(size, partitionOf);
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
    const seconds = (now() - startedAt) / 1000;
    log.info('producer finished', {
      sent,
      acknowledged: figures.acknowledged,
      seconds: Number(seconds.toFixed(3)),
      salesPerSecond: seconds > 0 ? Math.round(figures.acknowledged / seconds) : null,
    });
  };

  /** `size` sales as records: one per sale, or packed per partition when `packing` > 1. */
  const makeChunk = (size: number, partitionOf: (key: string) => number): OutgoingRecord[] => {
    const records: OutgoingRecord[] = [];
    const packer = packing > 1 ? createSalePacker(packing, records) : undefined;
    const at = now();
    for (let i = 0; i < size; i++) {
      const planned = faults.plan(at);
      const sale = generator.next(planned.eventTime);
      const key = String(sale[config.source.key]);
      const partition = partitionOf(key);
      if (planned.kind === 'late') figures.injectedLate++;
      else if (planned.kind === 'out-of-order') figures.injectedOutOfOrder++;
      if (planned.kind === 'invalid') {
        // Alone in its message, packed or not: a broken text inside an array would break the array.
        figures.injectedInvalid++;
        records.push({ key, value: faults.corrupt(sale), timestamp: at, partition });
      } else if (packer) {
        packer.add(partition, sale, planned.eventTime);
      } else {
        records.push({ key, value: JSON.stringify(sale), timestamp: planned.eventTime, partition });
      }
    }
    packer?.flush();
    return records;
  };

  return { done: run(), stop };
}

/**
 * Packs sales into JSON arrays of up to `packing` sales, one open array per partition. A packed
 * message has no key (its sales have several) and names its partition explicitly; its timestamp
 * is its first sale's event time (what a consumer without an event-time field uses for all).
 * Each array is serialised by one JSON.stringify: no per-sale strings to join.
 */
export function createSalePacker(
  packing: number,
  into: OutgoingRecord[],
): { add(partition: number, sale: Record<string, unknown>, eventTime: number): void; flush(): void } {
  const open = new Map<number, { sales: Array<Record<string, unknown>>; timestamp: number }>();
  const emit = (partition: number, pack: { sales: Array<Record<string, unknown>>; timestamp: number }): void => {
    into.push({ key: null, value: JSON.stringify(pack.sales), timestamp: pack.timestamp, partition });
  };
  return {
    add(partition, sale, eventTime) {
      const pack = open.get(partition);
      if (pack === undefined) {
        open.set(partition, { sales: [sale], timestamp: eventTime });
      } else if (pack.sales.push(sale) >= packing) {
        emit(partition, pack);
        open.delete(partition);
      }
    },
    flush() {
      for (const [partition, pack] of open) emit(partition, pack);
      open.clear();
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
