/**
 * Sales are made on a worker thread while the main thread sends them. Making a sale (faker pool,
 * UUID, numbers) and writing its JSON cost the producer about as much as everything else it does
 * per sale; on a thread of their own they overlap with encoding, sending and the broker, instead
 * of adding to them.
 *
 *   main:   make(n, at) ──────────────► await ─► send ─► make(n, at) ─► ...
 *   thread:            createSaleChunkMaker(n, at) ─► columns ─┘
 *
 * Requests are answered in order, so the stream of sales is the one the same seed gives on one
 * thread (sale-chunks.ts is the only code that decides it).
 */
import { type Worker } from 'node:worker_threads';
import { type SaleChunk, type SaleChunkConfig } from './sale-chunks.ts';
import { startModuleWorker } from './worker-thread.ts';

/** Main thread -> generator thread. */
export interface ChunkRequest {
  size: number;
  at: number;
}

/** Generator thread -> main thread. */
export type GeneratorMessage =
  | { kind: 'ready' }
  | { kind: 'failed'; message: string }
  | { kind: 'chunk'; chunk: SaleChunk };

/** Chunks of sales made on the generator thread. */
export interface SaleChunkSource {
  /** The next `size` sales, made at `at` (epoch ms); calls are answered in call order. */
  make(size: number, at: number): Promise<SaleChunk>;
  /** Ends the thread; chunks still being made are rejected. */
  close(): Promise<void>;
}

/** Starts the generator thread; rejects with the reason when the schema cannot be generated. */
export async function startSaleGeneratorThread(config: SaleChunkConfig, partitionCount: number): Promise<SaleChunkSource> {
  const worker = startModuleWorker(new URL('./sale-generator-worker.ts', import.meta.url), { config: chunkConfigOf(config), partitionCount });
  const waiting: Array<{ resolve: (chunk: SaleChunk) => void; reject: (error: Error) => void }> = [];
  let ended: Error | undefined;
  let ready: { resolve: () => void; reject: (error: Error) => void } | undefined;
  const started = new Promise<void>((resolve, reject) => {
    ready = { resolve, reject };
  });

  const end = (error: Error): void => {
    ended ??= error;
    ready?.reject(error);
    for (const request of waiting.splice(0)) request.reject(error);
  };
  worker.on('message', (message: GeneratorMessage) => {
    if (message.kind === 'ready') return ready?.resolve();
    if (message.kind === 'failed') {
      // Before `ready`: the generator could not be built (the schema). After: this chunk failed.
      const error = new Error(message.message);
      if (waiting.length === 0) return end(error);
      return waiting.shift()?.reject(error);
    }
    waiting.shift()?.resolve(message.chunk);
  });
  worker.on('error', (error) => end(new Error(`the sale generator thread failed: ${error.message}`, { cause: error })));
  worker.on('exit', (code) => end(new Error(`the sale generator thread exited (code ${code})`)));

  try {
    await started;
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  ready = undefined;
  return {
    make(size, at) {
      if (ended) return Promise.reject(ended);
      return new Promise<SaleChunk>((resolve, reject) => {
        waiting.push({ resolve, reject });
        worker.postMessage({ size, at } satisfies ChunkRequest);
      });
    },
    async close() {
      end(new Error('the sale generator thread was closed'));
      await terminate(worker);
    },
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

async function terminate(worker: Worker): Promise<void> {
  await worker.terminate().catch(() => undefined);
}
