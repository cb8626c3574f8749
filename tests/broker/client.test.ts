/** createKafkaClient(): logs routed to our Logger, TLS files, and failures that end with a clear message. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logLevel } from 'kafkajs';
import { createKafkaClient, createRestartPolicy, describeBrokerError, forwardKafkaLog } from '../../src/broker/client.ts';
import { freePorts } from '../../src/broker/local-process.ts';
import { createLogger, silentLogger } from '../../src/logger.ts';

function capture(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, log: createLogger({ level: 'debug', write: (line) => lines.push(line) }) };
}

const entry = (level: logLevel, namespace: string, message: string, extra: Record<string, unknown> = {}) => ({
  namespace,
  level,
  label: logLevel[level],
  log: { timestamp: '2026-01-01T00:00:00.000Z', logger: 'kafkajs', message, ...extra },
});

test('forwardKafkaLog() demotes kafkajs INFO chatter to debug and keeps its fields, without stacks', () => {
  const { lines, log } = capture();
  forwardKafkaLog(log, entry(logLevel.INFO, 'Consumer', 'Starting', { groupId: 'g1', stack: 'Error: at ...' }));
  assert.deepEqual(lines, ['debug: Starting namespace=Consumer groupId=g1']);
});

test('forwardKafkaLog() keeps per-attempt connection errors and restated crashes at debug, and other errors as errors', () => {
  const { lines, log } = capture();
  // The broker watch reports an outage once; the restart policy reports each consumer restart.
  forwardKafkaLog(log, entry(logLevel.ERROR, 'Connection', 'Connection error: connect ECONNREFUSED 127.0.0.1:1', { broker: '127.0.0.1:1' }));
  forwardKafkaLog(log, entry(logLevel.ERROR, 'Consumer', 'Crash: KafkaJSNumberOfRetriesExceeded'));
  forwardKafkaLog(log, entry(logLevel.ERROR, 'Consumer', 'Caught error when disconnecting the consumer: boom'));
  assert.deepEqual(lines, [
    'debug: Connection error: connect ECONNREFUSED 127.0.0.1:1 namespace=Connection broker=127.0.0.1:1',
    'debug: Crash: KafkaJSNumberOfRetriesExceeded namespace=Consumer',
    'error: Caught error when disconnecting the consumer: boom namespace=Consumer',
  ]);
});

test('forwardKafkaLog() hides the v2 default-partitioner notice', () => {
  const { lines, log } = capture();
  forwardKafkaLog(log, entry(logLevel.WARN, 'KafkaJS', 'KafkaJS v2.0.0 switched default partitioner. To retain the same partitioning behavior as in previous versions, create the producer with the option "createPartitioner: Partitioners.LegacyPartitioner".'));
  assert.equal(lines.length, 1);
  assert.match(lines[0] ?? '', /^debug: /);
});

test('createKafkaClient() names the setting and the file when a TLS file cannot be read', () => {
  assert.throws(
    () => createKafkaClient({ clientId: 'c', ssl: { ca: '/nonexistent/ca.pem' }, sasl: null }, ['127.0.0.1:9093'], silentLogger),
    { message: /^cannot read broker\.ssl\.ca file \/nonexistent\/ca\.pem: ENOENT/ },
  );
});

test('createKafkaClient() accepts TLS without files and each SASL mechanism', () => {
  for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
    const kafka = createKafkaClient({ clientId: 'c', ssl: {}, sasl: { mechanism, username: 'u', password: 'p' } }, ['127.0.0.1:9093'], silentLogger);
    assert.equal(typeof kafka.producer, 'function');
  }
});

test('a client for a broker that is not there gives up after bounded retries with a message that says what to do', async () => {
  const [closedPort] = await freePorts(1);
  const brokers = [`127.0.0.1:${closedPort}`];
  const kafka = createKafkaClient({ clientId: 'c', ssl: false, sasl: null }, brokers, silentLogger, { retries: 2 });
  const admin = kafka.admin();
  const started = Date.now();
  const error = await admin.connect().then(
    () => undefined,
    (failure: unknown) => failure,
  );
  assert.ok(error instanceof Error, 'connect must fail');
  assert.ok(Date.now() - started < 15_000, 'gave up within the retry budget');
  assert.match(describeBrokerError(error, brokers), new RegExp(`^cannot reach the Kafka broker at 127\\.0\\.0\\.1:${closedPort}: .*ECONNREFUSED.*set KAFKA_BROKERS\\)$`));
});

test('createRestartPolicy() restarts a crashed consumer a bounded number of times, then gives up and says so', async () => {
  const { lines, log } = capture();
  const restart = createRestartPolicy(log, 2, 60_000);
  const failure = new Error('Connection error: connect ECONNREFUSED');
  assert.deepEqual([await restart(failure), await restart(failure), await restart(failure)], [true, true, false]);
  assert.match(lines.at(-1) ?? '', /^error: consumer stopped: giving up after repeated failures error="Connection error: connect ECONNREFUSED" restarts=2 windowSeconds=60$/);
});
