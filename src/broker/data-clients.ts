/**
 * The Kafka client libraries the data path can run on, keyed by the name `broker.client` uses.
 * Each offers the same two things behind interfaces that know no library: a producer
 * (topic-producer.ts) and a consumer-group member (group-consumer.ts). Topic admin, the start-up
 * connection check and the broker watch stay on kafkajs whatever is chosen here: they are not on
 * the hot path, and one implementation of them is enough.
 */
import { createKafkaClient, type BrokerConnectionConfig } from './client.ts';
import { type GroupConsumer, type GroupConsumerHandler, type GroupConsumerOptions, startGroupConsumer } from './group-consumer.ts';
import { connectTopicProducer, type TopicProducer } from './topic-producer.ts';
import { type Logger } from '../logger.ts';

/** A client library's names in `broker.client`. */
export type DataClientName = 'kafkajs' | 'platformatic';

/** What the consumer is started with, the client aside. */
export type ConsumerOptions = Omit<GroupConsumerOptions, 'kafka'>;

/** One client library behind the project's producer and consumer interfaces. */
export interface DataClient {
  connectProducer(connection: BrokerConnectionConfig, brokers: string[], log: Logger): Promise<TopicProducer>;
  startConsumer(connection: BrokerConnectionConfig, brokers: string[], options: ConsumerOptions, handler: GroupConsumerHandler): Promise<GroupConsumer>;
}

export const dataClients = {
  kafkajs: {
    connectProducer: (connection, brokers, log) => connectTopicProducer(createKafkaClient(connection, brokers, log), log),
    startConsumer: (connection, brokers, options, handler) =>
      startGroupConsumer({ ...options, kafka: createKafkaClient(connection, brokers, options.log) }, handler),
  },
  // Loaded only when chosen: importing @platformatic/kafka costs ~50 MB of RSS (its modules,
  // mnemonist, Ajv-compiled option schemas), which a kafkajs-only process should not carry.
  platformatic: {
    connectProducer: async (connection, brokers, log) =>
      (await import('./platformatic-producer.ts')).connectPlatformaticProducer(connection, brokers, log),
    startConsumer: async (connection, brokers, options, handler) =>
      (await import('./platformatic-consumer.ts')).startPlatformaticConsumer(connection, brokers, options, handler),
  },
} satisfies Record<DataClientName, DataClient>;

/** Every client name, in the registry's order. */
export const dataClientNames = Object.keys(dataClients) as DataClientName[];
