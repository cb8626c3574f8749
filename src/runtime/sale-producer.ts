/**
 * The producer loop: generated sales into the source topic at a held rate.
 *
 * Rate: the loop sends in small chunks and sizes each chunk as "what should have been sent by now
 * minus what was sent", so the rate holds over any interval (no drift from timer jitter) and a
 * slow broker is caught up without bursts above one chunk. At rate 0 it runs flat out, bounded by
 * a few sends in flight. Each record's Kafka timestamp is its event time.
 *
 * The sales themselves are made on the generator thread (sale-generator-thread.ts; what a chunk
 * holds, packing included, is sale-chunks.ts). Flat out, the next chunk is being made while the
 * current one is sent; at a held rate each chunk is made when due, so its event times are fresh.
 */
import { type TopicProducer } from '../broker/topic-producer.ts';
import { type Logger } from '../logger.ts';
import { type PipelineMetrics } from './metrics.ts';
import { recordsOf, type SaleChunk, type SaleChunkConfig } from './sale-chunks.ts';
import { startSaleGeneratorThread } from './sale-generator-thread.ts';

/** The parts of the pipeline config the producer reads. */
export interface SaleProducerConfig extends SaleChunkConfig {
  source: SaleChunkConfig['source'] & { topic: string };
  producer: SaleChunkConfig['producer'] & { rate: number; count: number | null };
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
 * next chunk be encoded while one is on the wire (the chunk after it is being made on the
 * generator thread meanwhile).
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
    const partitionCount = await producer.partitionCount(config.source.topic);
    const chunks = await startSaleGeneratorThread(config, partitionCount);
    try {
      await produce((size, at) => chunks.make(size, at), partitionCount);
    } finally {
      await chunks.close();
    }
  };

  const produce = async (make: (size: number, at: number) => Promise<SaleChunk>, partitionCount: number): Promise<void> => {
    const fullPacks = packing > 1 ? packing * partitionCount : 1;
    const startedAt = now();
    const inFlight = new Set<Promise<void>>();
    /**
     * Flat out: the chunk being made while the previous one is sent. It is always sent next: the
     * thread has already drawn its sales from the seeded stream, so dropping it would skip them.
     */
    let ahead: { size: number; chunk: Promise<SaleChunk> } | undefined;
    let sent = 0;
    let failure: Error | undefined;
    log.info('producer started', { topic: config.source.topic, rate, count, packing });
    while (!stopping && failure === undefined && (count === null || sent < count)) {
      const size = ahead?.size ?? chunkFor(sent, startedAt, fullPacks);
      if (size === 0) {
        await sleep(rate > 0 ? Math.max(1, Math.min(50, 1000 / rate)) : 1);
        continue;
      }
      const made = ahead?.chunk ?? make(size, now());
      ahead = undefined;
      const chunk = await made;
      const { injected } = chunk;
      sent += size;
      if (rate <= 0 && !stopping) {
        const next = chunkFor(sent, startedAt, fullPacks);
        if (next > 0) ahead = { size: next, chunk: make(next, now()) };
        // Awaited at the next turn, or dropped at a stop: never unhandled.
        ahead?.chunk.catch(() => undefined);
      }
      figures.produced += size;
      figures.injectedInvalid += injected.invalid;
      figures.injectedLate += injected.late;
      figures.injectedOutOfOrder += injected.outOfOrder;
      const sending: Promise<void> = producer
        .send(config.source.topic, recordsOf(chunk))
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

  return { done: run(), stop };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
