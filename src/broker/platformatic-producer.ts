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
import { maxSendBytes, type OutgoingRecord, slicesOf, type TopicProducer } from './topic-producer.ts';

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
      // The same slices as the kafkajs producer's: each under the broker's 1 MiB batch limit.
      for (const slice of slicesOf(records, maxSendBytes)) await requests.run(topic, sendOnce(slice.map((record) => toMessage(topic, record))));
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
