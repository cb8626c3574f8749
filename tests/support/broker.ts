/**
 * Shared helpers for integration tests: which broker to use, fresh names, a client, cleanup.
 * Each test gets its own random topic and group, so tests never see each other's records and
 * one broker serves the whole run.
 */
import { randomBytes } from 'node:crypto';
import { type TestContext } from 'node:test';
import { createKafkaClient, type KafkaClient } from '../../src/broker/client.ts';
import { localKafkaStatus } from '../../src/broker/local-kafka.ts';
import { parseBrokerList } from '../../src/broker/resolve-brokers.ts';
import { deleteTopics } from '../../src/broker/topics.ts';
import { silentLogger } from '../../src/logger.ts';

/**
 * The brokers for integration tests: KAFKA_BROKERS (tests/run-tests.ts sets it), else the
 * developer broker if `broker start` left one running, so a single file can be run with
 * `npx tsx --test tests/broker/x.test.ts` next to a running broker.
 */
export async function brokersForTests(): Promise<string[]> {
  const fromEnv = parseBrokerList(process.env['KAFKA_BROKERS']);
  if (fromEnv.length > 0) return fromEnv;
  const status = await localKafkaStatus({ log: silentLogger });
  if (status.running && status.answering) return [status.state.bootstrap];
  throw new Error(
    'no broker for integration tests: run them with `npm test` (it starts one), set KAFKA_BROKERS, ' +
      'or start the local Kafka with `npx tsx src/run.ts pipeline.yaml broker start`',
  );
}

/** A topic name no other test (or earlier run) uses. */
export function uniqueTopic(prefix = 'test'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** A consumer group id no other test uses. */
export function uniqueGroup(prefix = 'group'): string {
  return uniqueTopic(prefix);
}

/** A kafkajs client for the test brokers, made by our own createKafkaClient(). */
export async function testKafkaClient(clientId = 'salesflow-tests'): Promise<KafkaClient> {
  return createKafkaClient({ clientId, ssl: false, sasl: null }, await brokersForTests(), silentLogger);
}

/** Deletes `topics` when the test ends, pass or fail. */
export function deleteTopicsAfter(t: TestContext, kafka: KafkaClient, topics: string[]): void {
  t.after(() => deleteTopics(kafka, topics));
}
