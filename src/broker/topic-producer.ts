/**
 * A producer behind an interface that knows nothing of kafkajs: the sales producer and the
 * dead-letter writer both use it.
 *
 * Idempotent with acks from all in-sync replicas, so a retried send after a broker hiccup cannot
 * duplicate or reorder records. kafkajs needs `maxInFlightRequests: 1` for that guarantee; the
 * throughput comes from large batches instead of parallel requests.
 *
 * Costs worth knowing (measured in bench/run.ts): kafkajs spends ~3-5 µs of CPU per message
 * (a 512-byte Encoder allocated per record, a pure-JS CRC32C, Long arithmetic), and groups a
 * send's messages by partition by copying the partition's array once per message, which is
 * quadratic in the messages per partition of one send. Callers that know the partition (see
 * `createKeyPartitioner`) pass it, which skips kafkajs' murmur2 per message, and keep sends to a
 * few thousand messages.
 */
import { Partitioners, type Kafka, type Message, type PartitionMetadata, type Producer } from 'kafkajs';
import { type Logger } from '../logger.ts';
import { defaultMaxOutageMs } from './client.ts';
import { createResendingQueue } from './resending-queue.ts';

/** One record to write. */
export interface OutgoingRecord {
  key: Buffer | string | null;
  value: Buffer | string | null;
  /** The Kafka record timestamp, epoch ms; the broker's append time when omitted. */
  timestamp?: number;
  headers?: Record<string, string>;
  /** Explicit partition; otherwise the key decides (murmur2, like the Java client). */
  partition?: number;
}

/** A connected producer. */
export interface TopicProducer {
  /** Resolves once every record is acknowledged by all in-sync replicas. */
  send(topic: string, records: OutgoingRecord[]): Promise<void>;
  /** How many partitions `topic` has now (from the cluster's metadata). */
  partitionCount(topic: string): Promise<number>;
  close(): Promise<void>;
}

/** Connects an idempotent producer. */
export async function connectTopicProducer(kafka: Kafka, log: Logger): Promise<TopicProducer> {
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // kafkajs retries a request for the client's ~1 min (src/broker/client.ts); a longer outage
    // is ridden out by sending the same records again (resending-queue.ts says why that doubles
    // nothing: requests go one at a time).
  });
  await producer.connect();
  log.debug('producer connected');
  const requests = createResendingQueue({ log, maxOutageMs: defaultMaxOutageMs });
  return {
    send: async (topic, records) => {
      // One request per slice, in order: a slice's partition batches stay under the broker's
      // message.max.bytes whatever the partitioning. No compression: on loopback and on a LAN it
      // costs more CPU than it saves.
      for (const slice of slicesOf(records, maxSendBytes)) {
        const messages = slice.map(toMessage);
        await requests.run(topic, () => producer.send({ topic, acks: -1, messages }));
      }
    },
    partitionCount: async (topic) => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        const count = topics[0]?.partitions.length ?? 0;
        if (count === 0) throw new Error(`topic ${topic} has no partitions in the cluster's metadata`);
        return count;
      } finally {
        await admin.disconnect();
      }
    },
    close: () => {
      requests.close();
      return producer.disconnect();
    },
  };
}

/**
 * Kafka refuses a record batch (all of one send's records for one partition) larger than
 * `message.max.bytes`, 1 MiB by default; sends of at most this many key and value bytes cannot
 * produce one, however their records are spread over the partitions.
 */
export const maxSendBytes = 900 * 1024;

/**
 * Consecutive runs of records of at most `maxBytes` key and value bytes (a larger record alone):
 * what one produce request may carry, whichever client sends it.
 */
export function slicesOf(records: readonly OutgoingRecord[], maxBytes: number): OutgoingRecord[][] {
  const slices: OutgoingRecord[][] = [];
  let slice: OutgoingRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = byteSize(record.key) + byteSize(record.value);
    if (slice.length > 0 && bytes + size > maxBytes) {
      slices.push(slice);
      slice = [];
      bytes = 0;
    }
    slice.push(record);
    bytes += size;
  }
  if (slice.length > 0) slices.push(slice);
  return slices;
}

function byteSize(value: Buffer | string | null): number {
  if (value === null) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

/** Written field by field: this runs once per record, and spreads allocate. */
function toMessage(record: OutgoingRecord): Message {
  const message: Message = { key: record.key, value: record.value };
  if (record.timestamp !== undefined) message.timestamp = String(record.timestamp);
  if (record.headers !== undefined) message.headers = record.headers;
  if (record.partition !== undefined) message.partition = record.partition;
  return message;
}

/**
 * The partition kafkajs' default partitioner (murmur2, as the Java client) gives a key on a topic
 * of `partitionCount` partitions: the producer groups sales bound for one partition with it
 * before packing them into one message. Computed by kafkajs' own partitioner, so the two cannot
 * disagree; results are cached per key (bounded), since keys repeat.
 */
export function createKeyPartitioner(partitionCount: number): (key: string) => number {
  if (!Number.isInteger(partitionCount) || partitionCount < 1) throw new RangeError(`partitionCount must be a positive integer, got ${partitionCount}`);
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata: PartitionMetadata[] = Array.from({ length: partitionCount }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
  }));
  const cache = new Map<string, number>();
  return (key) => {
    let partition = cache.get(key);
    if (partition === undefined) {
      partition = partitioner({ topic: '', partitionMetadata, message: { key, value: null } });
      // A pool of a million customers would hold ~100 MB here: start over instead.
      if (cache.size >= maxCachedKeys) cache.clear();
      cache.set(key, partition);
    }
    return partition;
  };
}

const maxCachedKeys = 200_000;
