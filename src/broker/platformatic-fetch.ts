/**
 * The fetches of the platformatic consumer: one Fetch request per partition leader, sent with the
 * library's request encoder on the consumer's fetch connections, answered through
 * fetch-response.ts (records read straight into the runtime's SourceRecords), and where each
 * partition's next fetch starts.
 *
 * The library's `Consumer.fetch()` would parse every record into an object of its own first; see
 * fetch-response.ts for why that mattered. Its retries are not needed either: the consumer's loop
 * tries a failed fetch again (platformatic-consumer.ts).
 */
import {
  type Broker,
  compressionsAlgorithmsByBitmask,
  type Connection,
  type ConnectionPool,
  type Consumer,
  fetchV13,
  fetchV14,
  fetchV15,
  fetchV16,
  fetchV17,
  type Reader,
} from '@platformatic/kafka';
import { type FetchedResponse, parseFetchResponse } from './fetch-response.ts';
import { leaderMovedErrors, protocolErrorOf } from './platformatic-connection.ts';

/** Fetch versions with topic ids (what the consumer asks by), newest first. */
const fetchApis = [fetchV17, fetchV16, fetchV15, fetchV14, fetchV13] as const;
type FetchApi = (typeof fetchApis)[number];
/** The partitions of one topic to fetch from one leader. */
type FetchRequestTopic = Parameters<typeof fetchV17.createRequest>[6][number];

/** What every fetch of one consumer shares. */
export interface FetchSettings {
  topic: string;
  maxWaitTime: number;
  minBytes: number;
  /** The smallest byte limits a fetch gets; see fetchSizeFor. */
  maxBytes: number;
  maxBytesPerPartition: number;
  /** Keep the per-partition limit at maxBytesPerPartition whatever the records' size. */
  fixedPerPartition: boolean;
  isolationLevel: number;
  connectionPool: ConnectionPool;
}

/** Records a fetch aims at, and the most bytes it may ask for. */
export const fetchSizing = { records: 2_000, ceiling: 8 * 1024 * 1024 } as const;

/**
 * The byte limits of the next fetch, for records of `bytesPerRecord` on average (0: not known
 * yet). What costs memory is the number of records a fetch holds (an object and two views each,
 * alive until handled), not its bytes; what costs time is the number of round trips. So a fetch
 * aims at a number of records: one-sale records (~180-230 bytes) keep the floor (512 KiB, 128 KiB
 * per partition), packed ones (~3.3 KB for 20 sales) get up to 8 MiB, the per-partition limit
 * growing in proportion. Measured on 2 cores, draining 4,000,000 packed sales, alternating with
 * the fixed floor, then with a 2 MiB ceiling (fewer round trips, and the reader thread gets larger
 * batches): see README "Performance". Fixed 2 MiB fetches for every record size had raised the
 * peak RSS at 1,000,000 one-sale customers by ~50 MB.
 */
export function fetchSizeFor(bytesPerRecord: number, floor: { total: number; perPartition: number }): { total: number; perPartition: number } {
  const total = Math.round(Math.min(fetchSizing.ceiling, Math.max(floor.total, bytesPerRecord * fetchSizing.records)));
  return { total, perPartition: Math.max(floor.perPartition, Math.round((floor.perPartition * total) / floor.total)) };
}

/**
 * Buffers for fetch responses, used again once their records are handled.
 *
 * A response arrives in the socket's chunks (64 KiB each) and is parsed from one contiguous
 * buffer, its records' keys and values being views of it. The library makes that buffer with
 * Buffer.concat: a fresh allocation for every fetch (512 KiB to 8 MiB), freed only when the GC
 * gets to it, so dead responses piled up between collections, and each fresh 8 MiB buffer was
 * paged in anew (see README "Performance" for what reusing them gained). Here the chunks are
 * copied into a buffer from this pool, which the
 * consumer gives back after the response's last batch has been handled (platformatic-consumer.ts),
 * when its handler keeps nothing of the records past their batch (`reuseFetchBuffers`, which the
 * runtime sets); a response dropped on the way (a rebalance, an error, a stop) is simply never
 * given back. A response that came in one chunk is parsed in place, as before.
 * With one fetch in flight while one is handled, two buffers per leader are in use at most.
 */
export class ResponseBuffers {
  private readonly free: Buffer[] = [];
  /** Buffers allocated so far (for tests). */
  allocated = 0;

  constructor(private readonly keep = 4) {}

  /** The chunks, in order, copied into one pooled buffer: a view of exactly `length` bytes. */
  join(chunks: readonly Buffer[], length: number): { bytes: Buffer; received: Buffer } {
    const received = this.take(length);
    let at = 0;
    for (const chunk of chunks) {
      received.set(chunk, at);
      at += chunk.length;
    }
    if (at !== length) throw new RangeError(`fetch response chunks hold ${at} bytes, not ${length}`);
    return { bytes: received.subarray(0, length), received };
  }

  /** Gives a buffer from join() back; nothing may read the views of it any more. */
  release(received: Buffer): void {
    if (this.free.includes(received)) return;
    this.free.push(received);
    if (this.free.length > this.keep) {
      // Keep the largest: fetches only grow towards the records' size.
      this.free.sort((a, b) => b.length - a.length);
      this.free.length = this.keep;
    }
  }

  private take(length: number): Buffer {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const candidate = this.free[i] as Buffer;
      if (candidate.length >= length && (best < 0 || candidate.length < (this.free[best] as Buffer).length)) best = i;
    }
    if (best >= 0) return this.free.splice(best, 1)[0] as Buffer;
    this.allocated++;
    // Rounded up so that responses a little larger than the last do not each need a new one.
    return Buffer.allocUnsafeSlow(Math.ceil((length + (length >> 3)) / 65_536) * 65_536);
  }
}

/** What createFetcher() gives the consumer. */
export interface Fetcher {
  /** Fetches `partitions` from the positions `from`: one request per leader, all at once. */
  fetch: (instance: Consumer, partitions: readonly number[], from: ReadonlyMap<number, bigint>) => Promise<FetchedResponse[]>;
  /** The responses' records are handled and dropped: their buffers can take the next responses. */
  release: (responses: readonly FetchedResponse[]) => void;
}

/**
 * The fetches of one consumer. The protocol version is chosen once, from the broker's ApiVersions.
 */
export function createFetcher(settings: FetchSettings, buffers?: ResponseBuffers): Fetcher {
  const { topic } = settings;
  let api: Promise<FetchApi> | undefined;
  /** Set by an answer saying a leader may have moved: the next fetch reads the metadata anew. */
  let metadataStale = false;
  /**
   * Per partition, the round in which it last brought records. Each request lists the partitions
   * least recently served first, as the Java consumer does: the broker fills a fetch in request
   * order, and a record batch larger than the per-partition limit is returned only to the first
   * partition (KIP-74). In a fixed order, the first partition took every fetch and the others,
   * whose next batch did not fit, got nothing until it was drained: in a backlog of 10 million
   * packed sales they went idle, the watermark moved on without them, and their sales came in late.
   */
  const lastServed = new Map<number, number>();
  let round = 0;
  /** Bytes per record in recent fetches, a moving average (0 until records come). */
  let bytesPerRecord = 0;
  const floor = { total: settings.maxBytes, perPartition: settings.maxBytesPerPartition };
  let limits = fetchSizeFor(0, floor);
  const chooseApi = async (instance: Consumer): Promise<FetchApi> => {
    const supported = await instance.listApis();
    const highest = supported.find((entry) => entry.apiKey === fetchV17.api.key)?.maxVersion ?? -1;
    const usable = fetchApis.find((candidate) => candidate.api.version <= highest);
    if (usable === undefined) throw new Error(`the broker supports Fetch up to version ${highest}; the platformatic consumer needs 13 or later (use broker.client: kafkajs)`);
    return usable;
  };
  /** One request to `broker`, the leader of `request`'s partitions. */
  const fetchFrom = async (instance: Consumer, broker: Broker, request: FetchRequestTopic): Promise<{ response: FetchedResponse; bytes: number }> => {
    api ??= chooseApi(instance).catch((error: unknown) => {
      api = undefined;
      throw error;
    });
    const { createRequest, api: definition } = await api;
    const connection: Connection = await settings.connectionPool.get(broker);
    const positions = new Map(request.partitions.map((partition) => [partition.partition, Number(partition.fetchOffset)]));
    let bytes = 0;
    const parse = (_correlationId: number, _apiKey: number, apiVersion: number, reader: Reader): FetchedResponse => {
      const { buffers: chunks, length } = reader.buffer;
      bytes = length - reader.position;
      if (chunks.length === 1 || buffers === undefined) return parseFetchResponse(reader.buffer.buffer, reader.position, apiVersion, (partition) => positions.get(partition) ?? 0, decompress);
      const joined = buffers.join(chunks, length);
      try {
        const response = parseFetchResponse(joined.bytes, reader.position, apiVersion, (partition) => positions.get(partition) ?? 0, decompress);
        response.received = joined.received;
        return response;
      } catch (error) {
        buffers.release(joined.received);
        throw error;
      }
    };
    const response = await new Promise<FetchedResponse>((resolve, reject) => {
      const payload = () => createRequest(settings.maxWaitTime, settings.minBytes, limits.total, settings.isolationLevel, 0, 0, [request], [], '');
      connection.send(definition.key, definition.version, payload, parse, true, true, (error, result) => {
        if (error) reject(error instanceof Error ? error : new Error(String(error)));
        else resolve(result as FetchedResponse);
      });
    });
    const failed = response.responses.flatMap((entry) => entry.partitions).filter((partition) => partition.errorCode !== 0);
    if (response.errorCode !== 0 || failed.length > 0) {
      // Not clearMetadata(): a Consumer without metadata fails to close once its topic is gone.
      if (failed.some((partition) => leaderMovedErrors.has(partition.errorCode))) metadataStale = true;
      throw fetchError(topic, response, failed.map((partition) => [partition.partitionIndex, partition.errorCode] as const));
    }
    return { response, bytes };
  };

  const release = (responses: readonly FetchedResponse[]): void => {
    for (const response of responses) {
      if (response.received !== undefined) buffers?.release(response.received);
      delete response.received;
    }
  };

  const fetch = async (instance: Consumer, partitions: readonly number[], from: ReadonlyMap<number, bigint>): Promise<FetchedResponse[]> => {
    // Read once per round, for every leader's request.
    const metadata = await instance.metadata({ topics: [topic], forceUpdate: metadataStale });
    metadataStale = false;
    const topicMetadata = metadata.topics.get(topic);
    if (!topicMetadata) throw new Error(`topic ${topic} is not in the cluster's metadata`);
    const byLeader = new Map<number, FetchRequestTopic>();
    const fairOrder = [...partitions].sort((a, b) => (lastServed.get(a) ?? -1) - (lastServed.get(b) ?? -1) || a - b);
    for (const partition of fairOrder) {
      const fetchOffset = from.get(partition);
      const leader = topicMetadata.partitions[partition]?.leader;
      if (fetchOffset === undefined || leader === undefined) continue;
      let request = byLeader.get(leader);
      if (!request) {
        request = { topicId: topicMetadata.id, partitions: [] };
        byLeader.set(leader, request);
      }
      const partitionMaxBytes = settings.fixedPerPartition ? settings.maxBytesPerPartition : limits.perPartition;
      request.partitions.push({ partition, fetchOffset, partitionMaxBytes, currentLeaderEpoch: -1, lastFetchedEpoch: -1 });
    }
    const answers = await Promise.all(
      [...byLeader].map(([node, request]) => {
        const broker = metadata.brokers.get(node);
        if (!broker) throw Object.assign(new Error(`node ${node}, the leader of ${topic}, is not in the cluster's metadata`), { retriable: true });
        return fetchFrom(instance, broker, request);
      }),
    );
    round++;
    let bytes = 0;
    let records = 0;
    for (const answer of answers) {
      bytes += answer.bytes;
      for (const topicResponse of answer.response.responses) {
        for (const partition of topicResponse.partitions) {
          records += partition.records.length;
          if (partition.records.length > 0) lastServed.set(partition.partitionIndex, round);
        }
      }
    }
    if (records > 0) {
      bytesPerRecord = bytesPerRecord === 0 ? bytes / records : 0.8 * bytesPerRecord + 0.2 * (bytes / records);
      limits = fetchSizeFor(bytesPerRecord, floor);
    }
    return answers.map((answer) => answer.response);
  };
  return { fetch, release };
}

/** Where each partition's next fetch starts once `responses` are handled: past their last batch. */
export function positionsAfter(responses: readonly FetchedResponse[], from: ReadonlyMap<number, bigint>): Map<number, bigint> {
  const next = new Map(from);
  for (const response of responses) {
    for (const topicResponse of response.responses) {
      for (const { partitionIndex, nextOffset } of topicResponse.partitions) {
        const position = from.get(partitionIndex);
        if (position === undefined || nextOffset === undefined) continue;
        if (nextOffset > position) next.set(partitionIndex, BigInt(nextOffset));
      }
    }
  }
  return next;
}

function decompress(codec: number, compressed: Buffer): Buffer {
  const algorithm = (compressionsAlgorithmsByBitmask as Record<number, { decompressSync(data: Buffer): Buffer } | undefined>)[codec];
  if (algorithm === undefined) throw new Error(`a record batch uses an unknown compression (attribute bits ${codec})`);
  return algorithm.decompressSync(compressed);
}

/** The response's errors as one Error, retriable when all of them are, carrying the response (to reset out-of-range positions). */
function fetchError(topic: string, response: FetchedResponse, failed: ReadonlyArray<readonly [number, number]>): Error {
  const codes: Array<readonly [string, number]> = [...(response.errorCode !== 0 ? [['the fetch', response.errorCode] as const] : []), ...failed.map(([partition, code]) => [`${topic} partition ${partition}`, code] as const)];
  const described = codes.map(([where, code]) => {
    const { name, canRetry } = protocolErrorOf(code);
    return { text: `${where}: ${name}`, canRetry };
  });
  return Object.assign(new Error(`fetching from ${topic} failed: ${described.map((entry) => entry.text).join(', ')}`), {
    retriable: described.every((entry) => entry.canRetry),
    response,
  });
}
