/**
 * Sales are made on a worker thread while the main thread sends them. Making a sale (faker pool,
 * UUID, numbers) and writing its JSON cost the producer more than everything else it does per
 * sale; on a thread of their own they overlap with encoding, sending and the broker, instead of
 * adding to them.
 *
 *   main:   make(n, at) ──────────────► await ─► send ─► make(n, at) ─► ...
 *   thread:            createSaleChunkMaker(n, at) ─► arenas ─┘
 *
 * Requests are answered in order, so the stream of sales is the one the same seed gives on one
 * thread (sale-chunks.ts is the only code that decides it).
 */
import { type SaleChunk, type SaleChunkConfig } from './sale-chunks.ts';
import { startRequestWorker } from './worker-thread.ts';

/** Main thread -> generator thread. */
export interface ChunkRequest {
  size: number;
  at: number;
}

/** Chunks of sales made on the generator thread. */
export interface SaleChunkSource {
  /** The next `size` sales, made at `at` (epoch ms); calls are answered in call order. */
  make(size: number, at: number): Promise<SaleChunk>;
  /** Ends the thread; chunks still being made are rejected. */
  close(): Promise<void>;
}

/** Starts the generator thread; rejects with the reason when the schema cannot be generated. */
export async function startSaleGeneratorThread(config: SaleChunkConfig, partitionCount: number): Promise<SaleChunkSource> {
  const data = { config: chunkConfigOf(config), partitionCount };
  const thread = await startRequestWorker<ChunkRequest, SaleChunk>(new URL('./sale-generator-worker.ts', import.meta.url), data, 'sale generator');
  return {
    make: (size, at) => thread.request({ size, at }),
    close: () => thread.close(),
  };
}

/** Only what decides the sales crosses to the thread: a pipeline config holds more (and not only plain data). */
function chunkConfigOf({ source, producer, window }: SaleChunkConfig): SaleChunkConfig {
  return {
    source: { key: source.key, eventTime: source.eventTime, saleSchema: source.saleSchema },
    producer: {
      customers: producer.customers,
      seed: producer.seed,
      outOfOrder: producer.outOfOrder,
      late: producer.late,
      invalid: producer.invalid,
      packing: producer.packing,
    },
    window: { length: window.length, slide: window.slide, allowedLateness: window.allowedLateness },
  };
}
