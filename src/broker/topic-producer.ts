/**
 * A producer behind an interface that knows nothing of kafkajs: the sales producer and the
 * dead-letter writer both use it.
 *
 * Idempotent with acks from all in-sync replicas, so a retried send after a broker hiccup cannot
 * duplicate or reorder records. kafkajs needs `maxInFlightRequests: 1` for that guarantee; the
 * throughput comes from large batches instead of parallel requests.
 */
import { CompressionTypes, type Kafka, type Producer } from 'kafkajs';
import { type Logger } from '../logger.ts';

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
  close(): Promise<void>;
}

/** Connects an idempotent producer. */
export async function connectTopicProducer(kafka: Kafka, log: Logger): Promise<TopicProducer> {
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // No retry limit here: kafkajs retries an idempotent producer's sends until they succeed
    // (a limit could break the no-duplicates guarantee), so a broker restart is ridden out.
  });
  await producer.connect();
  log.debug('producer connected');
  return {
    send: async (topic, records) => {
      if (records.length === 0) return;
      await producer.send({
        topic,
        acks: -1,
        compression: CompressionTypes.None,
        messages: records.map((record) => ({
          key: record.key,
          value: record.value,
          ...(record.timestamp === undefined ? {} : { timestamp: String(record.timestamp) }),
          ...(record.headers === undefined ? {} : { headers: record.headers }),
          ...(record.partition === undefined ? {} : { partition: record.partition }),
        })),
      });
    },
    close: () => producer.disconnect(),
  };
}
