/**
 * The generator thread's code (started by sale-generator-thread.ts): makes chunks of sales on
 * request, in request order, and hands them over with their bytes moved, not copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createSaleChunkMaker, type SaleChunkConfig } from './sale-chunks.ts';
import type { ChunkRequest, GeneratorMessage } from './sale-generator-thread.ts';

const port = parentPort;
if (port === null) throw new Error('sale-generator-worker.ts runs as a worker thread only');
const { config, partitionCount } = workerData as { config: SaleChunkConfig; partitionCount: number };
const post = (message: GeneratorMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

try {
  const makeChunk = createSaleChunkMaker(config, partitionCount);
  port.on('message', (request: ChunkRequest) => {
    try {
      const chunk = makeChunk(request.size, request.at);
      const { arenaOf, starts, ends, partitions, timestamps } = chunk;
      const moved = [...chunk.arenas.map((arena) => arena.buffer), arenaOf.buffer, starts.buffer, ends.buffer, partitions.buffer, timestamps.buffer];
      post({ kind: 'chunk', chunk }, moved as ArrayBuffer[]);
    } catch (error) {
      post({ kind: 'failed', message: (error as Error).message });
    }
  });
  post({ kind: 'ready' });
} catch (error) {
  post({ kind: 'failed', message: (error as Error).message });
}
