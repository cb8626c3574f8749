/**
 * The TopicProducer (topic-producer.ts) on @platformatic/kafka instead of kafkajs: the same
 * contract, selectable with `broker.client`.
 *
 * - The library connects, authenticates, keeps the cluster metadata and takes the idempotent
 *   producer id; the Produce requests themselves are encoded here (produce-request.ts: one buffer
 *   per request, ~0.3 µs a record against the library's ~5 µs) and sent on the library's
 *   connection to each partition's leader, answered by the library's own response parser.
 * - Idempotent with acks from all in-sync replicas: each partition's sequence number advances
 *   only when the broker acknowledges its batch, and sends go one at a time through the same
 *   resending queue as the kafkajs producer, so a send repeated after a failure carries the same
 *   sequence numbers and a batch the broker had already written is not written twice
 *   (DUPLICATE_SEQUENCE_NUMBER counts as acknowledged). A request whose partitions partly
 *   failed is repeated for the failed partitions only.
 * - Keys decide the partition like the Java client (murmur2, sign bit masked, modulo the
 *   partition count): the library's `compatibilityPartitioner`. Its default partitioner keeps the
 *   sign bit and disagrees with kafkajs for about half the keys.
 */
import {
  compatibilityPartitioner,
  type Connection,
  ProduceAcks,
  Producer,
  produceV7,
  produceV8,
  produceV9,
  type Reader,
  Writer,
} from '@platformatic/kafka';
import { type Logger } from '../logger.ts';
import { type BrokerConnectionConfig, defaultMaxOutageMs } from './client.ts';
import { asBrokerError, failOnBadSettings, leaderMovedErrors, platformaticBaseOptions, protocolErrorOf } from './platformatic-connection.ts';
import { createProduceEncoder, nextSequence, type PartitionRecords } from './produce-request.ts';
import { createResendingQueue } from './resending-queue.ts';
import { maxSendBytes, type OutgoingRecord, slicesOf, type TopicProducer } from './topic-producer.ts';

/**
 * Produce versions whose responses the library parses, newest first. Not 10 and 11: from 10 on,
 * a NOT_LEADER_OR_FOLLOWER answer carries the new leader in tagged fields, and the library's
 * reader skips a non-empty tagged-field section wrongly (it takes the field count for a byte
 * count), so the answer to the very request that meets a leader change cannot be read. Version
 * 9 has the same records, acks and idempotence.
 */
const produceApis = [produceV9, produceV8, produceV7] as const;
type ProduceResponse = ReturnType<typeof produceV9.parseResponse>;
/** How long the broker may wait for the in-sync replicas before answering (the Java default). */
const produceTimeoutMs = 30_000;
const duplicateSequenceNumber = 46;

/** Connects an idempotent @platformatic/kafka producer to `brokers`. */
export async function connectPlatformaticProducer(connection: BrokerConnectionConfig, brokers: string[], log: Logger): Promise<TopicProducer> {
  await failOnBadSettings(connection, brokers);
  const producer = new Producer({ ...platformaticBaseOptions(connection, brokers), idempotent: true, acks: ProduceAcks.ALL });
  let produceApi: (typeof produceApis)[number];
  try {
    // Connects and takes a producer id now: a broker that cannot be reached fails the start (after
    // the client's retries), not the first send.
    await producer.initIdempotentProducer({});
    const supported = await producer.listApis();
    const highest = supported.find((api) => api.apiKey === produceV9.api.key)?.maxVersion ?? -1;
    const usable = produceApis.find((api) => api.api.version <= highest);
    if (usable === undefined) throw new Error(`the broker supports Produce up to version ${highest}; the platformatic producer needs 7 or later (use broker.client: kafkajs)`);
    produceApi = usable;
  } catch (error) {
    await producer.close().catch(() => undefined);
    throw asBrokerError(error);
  }
  const producerId = producer.producerId ?? -1n;
  const producerEpoch = producer.producerEpoch ?? 0;
  log.debug('producer connected', { client: 'platformatic', produceVersion: produceApi.api.version });
  const requests = createResendingQueue({ log, maxOutageMs: defaultMaxOutageMs });
  const encoder = createProduceEncoder();
  /** Next sequence number per topic and partition. */
  const sequences = new Map<string, Map<number, number>>();
  let keylessRecords = 0;
  let metadataStale = false;

  const sequencesOf = (topic: string): Map<number, number> => {
    let topicSequences = sequences.get(topic);
    if (!topicSequences) sequences.set(topic, (topicSequences = new Map<number, number>()));
    return topicSequences;
  };

  /**
   * The records of one request, by partition (a record without one is placed as the Java client
   * would, which needs the topic's `partitionCount`; undefined: every record names its partition).
   */
  const byPartition = (records: readonly OutgoingRecord[], partitionCount: number | undefined): Map<number, OutgoingRecord[]> => {
    const groups = new Map<number, OutgoingRecord[]>();
    for (const record of records) {
      const partition = record.partition ?? partitionOfKey(record.key, partitionCount ?? 1, keylessRecords++);
      let group = groups.get(partition);
      if (!group) groups.set(partition, (group = []));
      group.push(record);
    }
    return groups;
  };

  const parseProduceResponse = keepPartitionErrors(produceApi.parseResponse);
  /** One Produce request on `connection`; the response comes back even when partitions failed. */
  const produce = (connection: Connection, body: Buffer): Promise<ProduceResponse> =>
    new Promise((resolve, reject) => {
      const { version } = produceApi.api;
      const flexible = version >= 9;
      connection.send(0, version, () => Writer.create().append(body), parseProduceResponse, flexible, flexible, (error, response) => {
        if (error) reject(asBrokerError(error));
        else resolve(response as ProduceResponse);
      });
    });

  /**
   * Encoding ahead. Sends go one at a time, so a request's encoding used to wait for the answer
   * to the one before: ~0.6 ms of each ~5 ms turn with 6,000 packed sales. A send whose records
   * all name their partition is encoded when it is queued, from the leaders of the last metadata
   * and the sequence numbers it will get if every send before it is acknowledged. Its attempt
   * uses those bytes only if the partitions, leaders and sequence numbers it would encode now are
   * exactly those; anything else (a failure before it, a leader move) encodes afresh.
   */
  const leadersSeen = new Map<string, Map<number, number>>();
  /** Records queued or in flight per topic and partition: what the sequence numbers will have moved by. */
  const unacknowledged = new Map<string, Map<number, number>>();
  const countsOf = (topic: string): Map<number, number> => {
    let counts = unacknowledged.get(topic);
    if (!counts) unacknowledged.set(topic, (counts = new Map<number, number>()));
    return counts;
  };
  interface EncodedAhead {
    partitions: number[];
    baseSequences: number[];
    body: Buffer;
  }
  const encodeAhead = (topic: string, groups: Map<number, OutgoingRecord[]>): Map<number, EncodedAhead> | undefined => {
    const leaders = leadersSeen.get(topic);
    if (leaders === undefined) return undefined;
    const topicSequences = sequencesOf(topic);
    const counts = countsOf(topic);
    const byLeader = new Map<number, PartitionRecords[]>();
    for (const [partition, records] of groups) {
      const leader = leaders.get(partition);
      if (leader === undefined || records.some((record) => record.timestamp === undefined)) return undefined;
      let batches = byLeader.get(leader);
      if (!batches) byLeader.set(leader, (batches = []));
      batches.push({ partition, records, baseSequence: nextSequence(topicSequences.get(partition) ?? 0, counts.get(partition) ?? 0) });
    }
    const encoded = new Map<number, EncodedAhead>();
    for (const [leader, batches] of byLeader) {
      const body = encoder.encode({ version: produceApi.api.version, topic, acks: ProduceAcks.ALL, timeoutMs: produceTimeoutMs, producerId, producerEpoch, now: Date.now() }, batches);
      encoded.set(leader, { partitions: batches.map((batch) => batch.partition), baseSequences: batches.map((batch) => batch.baseSequence), body });
    }
    return encoded;
  };
  const sameBatches = (ahead: EncodedAhead | undefined, batches: readonly PartitionRecords[]): ahead is EncodedAhead =>
    ahead !== undefined &&
    ahead.partitions.length === batches.length &&
    batches.every((batch, i) => ahead.partitions[i] === batch.partition && ahead.baseSequences[i] === batch.baseSequence);

  /** A send of `records` as a repeatable attempt: each attempt sends what is not acknowledged yet. */
  const attemptFor = (topic: string, records: readonly OutgoingRecord[]): { attempt: () => Promise<void>; settled: () => void } => {
    let pending: Map<number, OutgoingRecord[]> | undefined;
    const topicSequences = sequencesOf(topic);
    let ahead: Map<number, EncodedAhead> | undefined;
    const counts = countsOf(topic);
    const queued = new Map<number, number>();
    if (records.every((record) => record.partition !== undefined)) {
      pending = byPartition(records, undefined);
      ahead = encodeAhead(topic, pending);
      for (const [partition, group] of pending) queued.set(partition, group.length);
    }
    for (const [partition, count] of queued) counts.set(partition, (counts.get(partition) ?? 0) + count);
    /** No longer queued nor in flight (acknowledged, or failed for good); once. */
    const settled = (): void => {
      for (const [partition, count] of queued) counts.set(partition, (counts.get(partition) ?? 0) - count);
      queued.clear();
    };
    const attempt = async (): Promise<void> => {
      const metadata = await producer.metadata({ topics: [topic], forceUpdate: metadataStale }).catch((error: unknown) => {
        throw asBrokerError(error);
      });
      metadataStale = false;
      const topicMetadata = metadata.topics.get(topic);
      if (!topicMetadata || topicMetadata.partitionsCount === 0) throw Object.assign(new Error(`topic ${topic} is not in the cluster's metadata`), { retriable: true });
      pending ??= byPartition(records, topicMetadata.partitionsCount);
      const remaining = pending;
      const byLeader = new Map<number, number[]>();
      const leaders = new Map<number, number>();
      for (const [partition, { leader }] of topicMetadata.partitions.entries()) leaders.set(partition, leader);
      leadersSeen.set(topic, leaders);
      for (const partition of remaining.keys()) {
        const leader = topicMetadata.partitions[partition]?.leader ?? -1;
        let partitions = byLeader.get(leader);
        if (!partitions) byLeader.set(leader, (partitions = []));
        partitions.push(partition);
      }
      const failures: Error[] = [];
      await Promise.all(
        [...byLeader].map(async ([leader, partitions]) => {
          const broker = metadata.brokers.get(leader);
          if (!broker) {
            metadataStale = true;
            failures.push(Object.assign(new Error(`${topic} partitions ${partitions.join(',')} have no leader now`), { retriable: true }));
            return;
          }
          const batches: PartitionRecords[] = partitions.map((partition) => ({
            partition,
            records: remaining.get(partition) as OutgoingRecord[],
            baseSequence: topicSequences.get(partition) ?? 0,
          }));
          const encodedAhead = ahead?.get(leader);
          // Used once: a later attempt (after a failure) encodes what is left afresh.
          ahead?.delete(leader);
          const body = sameBatches(encodedAhead, batches)
            ? encodedAhead.body
            : encoder.encode({ version: produceApi.api.version, topic, acks: ProduceAcks.ALL, timeoutMs: produceTimeoutMs, producerId, producerEpoch, now: Date.now() }, batches);
          try {
            const connection = await producer.connections.get(broker);
            const response = await produce(connection, body);
            for (const { partitionResponses } of response.responses) {
              for (const { index, errorCode, errorMessage } of partitionResponses) {
                const sent = remaining.get(index);
                if (sent === undefined) continue;
                if (errorCode === 0 || errorCode === duplicateSequenceNumber) {
                  topicSequences.set(index, nextSequence(topicSequences.get(index) ?? 0, sent.length));
                  remaining.delete(index);
                } else {
                  if (leaderMovedErrors.has(errorCode)) metadataStale = true;
                  failures.push(partitionError(topic, index, errorCode, errorMessage));
                }
              }
            }
          } catch (error) {
            metadataStale = true;
            failures.push(asBrokerError(error));
          }
        }),
      );
      const [first] = failures;
      if (first !== undefined) throw failures.find((failure) => (failure as Error & { retriable?: boolean }).retriable !== true) ?? first;
      if (remaining.size > 0) throw Object.assign(new Error(`the broker did not answer for ${topic} partitions ${[...remaining.keys()].join(',')}`), { retriable: true });
    };
    return { attempt, settled };
  };

  return {
    send: async (topic, records) => {
      // The same slices as the kafkajs producer's: each under the broker's 1 MiB batch limit.
      // Each slice is queued (and encoded ahead) at once; they still go out one at a time.
      const sends = slicesOf(records, maxSendBytes).map((slice) => attemptFor(topic, slice));
      try {
        for (const send of sends) {
          await requests.run(topic, send.attempt);
          send.settled();
        }
      } finally {
        // A slice that failed fails the send: it and the ones after it count no more.
        for (const send of sends) send.settled();
      }
    },
    partitionCount: async (topic) => {
      const metadata = await producer.metadata({ topics: [topic], forceUpdate: true }).catch((error: unknown) => {
        throw asBrokerError(error);
      });
      const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
      if (count === 0) throw new Error(`topic ${topic} has no partitions in the cluster's metadata`);
      return count;
    },
    close: async () => {
      requests.close();
      await producer.close();
    },
  };
}

/**
 * The library's parser throws when any partition failed, with the parsed response attached;
 * the producer wants the response, to acknowledge the partitions that succeeded.
 */
function keepPartitionErrors(parse: (correlationId: number, apiKey: number, apiVersion: number, reader: Reader) => ProduceResponse) {
  return (correlationId: number, apiKey: number, apiVersion: number, reader: Reader): ProduceResponse => {
    try {
      return parse(correlationId, apiKey, apiVersion, reader);
    } catch (error) {
      const response = (error as { response?: unknown }).response;
      if (response !== undefined && Array.isArray((response as ProduceResponse).responses)) return response as ProduceResponse;
      // An answer that cannot be read leaves the outcome unknown: sending the same batches again
      // (same sequence numbers) is safe, the broker drops what it already has.
      throw Object.assign(new Error(`unreadable Produce response: ${error instanceof Error ? error.message : String(error)}`), { retriable: true });
    }
  };
}

/** A partition's error code as an Error marked retriable (or not) by the protocol's own table. */
function partitionError(topic: string, partition: number, code: number, detail: string | null | undefined): Error {
  const { name, canRetry, explanation } = protocolErrorOf(code);
  const why = detail || explanation;
  return Object.assign(new Error(`producing to ${topic} partition ${partition} failed: ${name}${why ? ` (${why})` : ''}`), { retriable: canRetry });
}

/** The Java client's partition for a key (murmur2); records without a key take turns. */
function partitionOfKey(key: Buffer | string | null, partitionCount: number, turn: number): number {
  if (key === null) return turn % partitionCount;
  const bytes = typeof key === 'string' ? Buffer.from(key) : key;
  return compatibilityPartitioner({ topic: '' }, bytes) % partitionCount;
}
