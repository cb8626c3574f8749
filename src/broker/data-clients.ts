/**
 * The Kafka client libraries the data path can run on, keyed by the name `broker.client` uses.
 * Each offers the same two things behind interfaces that know no library: a producer
 * (topic-producer.ts) and a consumer-group member (group-consumer.ts). Topic admin, the start-up
 * connection check and the broker watch stay on kafkajs whatever is chosen here: they are not on
 * the hot path, and one implementation of them is enough.
 */
import { createKafkaClient, type BrokerConnectionConfig } from './client.ts';
import { type GroupConsumer, type GroupConsumerHandler, type GroupConsumerOptions, startGroupConsumer } from './group-consumer.ts';
import { startPlatformaticConsumer } from './platformatic-consumer.ts';
import { connectPlatformaticProducer } from './platformatic-producer.ts';
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
  platformatic: {
    connectProducer: connectPlatformaticProducer,
    startConsumer: startPlatformaticConsumer,
  },
} satisfies Record<DataClientName, DataClient>;
