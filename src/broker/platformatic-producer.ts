/**
 * The TopicProducer (topic-producer.ts) on @platformatic/kafka instead of kafkajs: the same
 * contract, selectable with `broker.client`.
 *
 * - Idempotent with acks from all in-sync replicas. @platformatic/kafka numbers a batch from the
 *   sequence it last had acknowledged and advances it only when the broker answers, so two sends
 *   in flight would reuse the same numbers: sends go one at a time, through the same resending
 *   queue as the kafkajs producer (resending-queue.ts says why that also makes a resend after an
 *   outage double nothing).
 * - Keys decide the partition like the Java client (murmur2, sign bit masked, modulo the
 *   partition count): the library's `compatibilityPartitioner`. Its default partitioner keeps the
 *   sign bit, and disagrees with kafkajs and createKeyPartitioner() for about half the keys
 *   whenever the partition count is not a power of two.
 * - Strings are encoded here (UTF-8): the library's partitioner only hashes Buffers.
 */
import { compatibilityPartitioner, type MessageToProduce, ProduceAcks, Producer } from '@platformatic/kafka';
import { type Logger } from '../logger.ts';
import { type BrokerConnectionConfig, defaultMaxOutageMs } from './client.ts';
import { asBrokerError, failOnBadSettings, platformaticBaseOptions } from './platformatic-connection.ts';
import { createResendingQueue } from './resending-queue.ts';
import { type OutgoingRecord, type TopicProducer } from './topic-producer.ts';

/**
 * Kafka refuses a record batch (one send's records for one partition) larger than
 * `message.max.bytes`, 1 MiB by default; a send of at most this many key and value bytes cannot
 * produce one, however its records are spread over the partitions.
 */
const maxSendBytes = 900 * 1024;

/** Connects an idempotent @platformatic/kafka producer to `brokers`. */
export async function connectPlatformaticProducer(connection: BrokerConnectionConfig, brokers: string[], log: Logger): Promise<TopicProducer> {
  await failOnBadSettings(connection, brokers);
  const producer = new Producer({
    ...platformaticBaseOptions(connection, brokers),
    idempotent: true,
    acks: ProduceAcks.ALL,
    partitioner: compatibilityPartitioner,
  });
  try {
    // Connects and takes a producer id now: a broker that cannot be reached fails the start (after
    // the client's retries), not the first send.
    await producer.initIdempotentProducer({});
  } catch (error) {
    await producer.close().catch(() => undefined);
    throw asBrokerError(error);
  }
  log.debug('producer connected', { client: 'platformatic' });
  const requests = createResendingQueue({ log, maxOutageMs: defaultMaxOutageMs });
  const sendOnce = (messages: MessageToProduce[]) => async () => {
    try {
      await producer.send({ messages });
    } catch (error) {
      throw asBrokerError(error);
    }
  };
  return {
    send: async (topic, records) => {
      for (const messages of messageSlices(topic, records, maxSendBytes)) await requests.run(topic, sendOnce(messages));
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

/** Consecutive runs of records of at most `maxBytes` key and value bytes (a larger record alone). */
export function messageSlices(topic: string, records: readonly OutgoingRecord[], maxBytes: number): MessageToProduce[][] {
  const slices: MessageToProduce[][] = [];
  let slice: MessageToProduce[] = [];
  let bytes = 0;
  for (const record of records) {
    const message = toMessage(topic, record);
    const size = (message.key?.length ?? 0) + (message.value?.length ?? 0);
    if (slice.length > 0 && bytes + size > maxBytes) {
      slices.push(slice);
      slice = [];
      bytes = 0;
    }
    slice.push(message);
    bytes += size;
  }
  if (slice.length > 0) slices.push(slice);
  return slices;
}

/** Written field by field: this runs once per record, and spreads allocate. */
function toMessage(topic: string, record: OutgoingRecord): MessageToProduce {
  const message: MessageToProduce = { topic };
  if (record.key !== null) message.key = typeof record.key === 'string' ? Buffer.from(record.key) : record.key;
  if (record.value !== null) message.value = typeof record.value === 'string' ? Buffer.from(record.value) : record.value;
  if (record.partition !== undefined) message.partition = record.partition;
  if (record.timestamp !== undefined) message.timestamp = BigInt(record.timestamp);
  if (record.headers !== undefined) {
    const headers = new Map<Buffer, Buffer>();
    for (const [name, value] of Object.entries(record.headers)) headers.set(Buffer.from(name), Buffer.from(value));
    message.headers = headers;
  }
  return message;
}
