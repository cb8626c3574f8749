/**
 * The generator thread (sale-generator-thread.ts starts it): makes chunks of sales on request,
 * in request order, and hands them over with their bytes moved, not copied.
 */
import { createSaleChunkMaker, type SaleChunk, type SaleChunkConfig } from './sale-chunks.ts';
import type { ChunkRequest } from './sale-generator-thread.ts';
import { serveRequests } from './worker-thread.ts';

serveRequests<ChunkRequest, SaleChunk>((data) => {
  const { config, partitionCount } = data as { config: SaleChunkConfig; partitionCount: number };
  const makeChunk = createSaleChunkMaker(config, partitionCount);
  return ({ size, at }) => {
    const chunk = makeChunk(size, at);
    const { arenaOf, starts, ends, partitions, timestamps } = chunk;
    const moved = [...chunk.arenas.map((arena) => arena.buffer), arenaOf.buffer, starts.buffer, ends.buffer, partitions.buffer, timestamps.buffer];
    return { response: chunk, transfer: moved as ArrayBuffer[] };
  };
});
