/**
 * The rules that let producer and consumer wait out a broker outage, without a broker: which
 * errors mean "the broker is away", how the consumer's restart budget treats them, and how the
 * producer resends. (broker-restart.test.ts shows the same against a real broker.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import kafkajs from 'kafkajs';
import { classifyBrokerError, isTransientBrokerError } from '../../src/broker/broker-errors.ts';
import { createRestartPolicy } from '../../src/broker/client.ts';
import { createResendingQueue } from '../../src/broker/resending-queue.ts';
import { createLogger } from '../../src/logger.ts';

// kafkajs spreads its error classes into module.exports, which Node's ESM named imports cannot see.
const { KafkaJSConnectionError, KafkaJSError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } = kafkajs;
const brokers = ['kafka-1.example:9092'];

function capture(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, log: createLogger({ level: 'debug', write: (line) => lines.push(line) }) };
}

/** As kafkajs reports refused credentials (its class's typed constructor takes no message). */
function saslRefused(): Error {
  return Object.assign(new Error('SASL PLAIN authentication failed: Authentication failed: Invalid username or password'), { name: 'KafkaJSSASLAuthenticationError' });
}

/** As kafkajs reports a broker that refuses connections: retries exceeded around the socket error. */
function refused(): Error {
  return new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 10.0.0.1:9092'), { retryCount: 5, retryTime: 2_000 });
}

test('classifyBrokerError() names each kind of broker failure with what to check', () => {
  const cases: Array<[Error, string, RegExp]> = [
    [refused(), 'unreachable', /^cannot reach the Kafka broker at kafka-1\.example:9092: connect ECONNREFUSED 10\.0\.0\.1:9092 \(is it running\?/],
    [new KafkaJSConnectionError('Connection error: getaddrinfo ENOTFOUND kafka-1.example'), 'dns', /^cannot resolve host kafka-1\.example: getaddrinfo ENOTFOUND kafka-1\.example \(check broker\.brokers or KAFKA_BROKERS\)$/],
    [
      new KafkaJSConnectionError('Connection error: Client network socket disconnected before secure TLS connection was established'),
      'tls',
      /^TLS handshake with the Kafka broker at kafka-1\.example:9092 failed: Client network socket .* \(broker\.ssl is set: is this port a TLS listener/,
    ],
    [new KafkaJSConnectionError('Connection error: self-signed certificate in certificate chain'), 'tls', /^TLS handshake .* failed: self-signed certificate/],
    [
      saslRefused(),
      'auth',
      /^authentication failed at the Kafka broker kafka-1\.example:9092: SASL PLAIN authentication failed: .* \(check broker\.sasl: mechanism, username and password\)$/,
    ],
    [new KafkaJSError('Request is not valid given the current SASL state'), 'auth', /^the Kafka broker at kafka-1\.example:9092 does not expect SASL on this port: /],
    [new KafkaJSConnectionError('Closed connection'), 'unreachable', /^the Kafka broker at kafka-1\.example:9092 closed the connection: Closed connection \(if this listener requires TLS or SASL/],
    [new KafkaJSNonRetriableError('The request included a message larger than the max message size the server will accept'), 'other', /^Kafka request to kafka-1\.example:9092 failed: The request included a message larger/],
  ];
  for (const [error, kind, message] of cases) {
    const problem = classifyBrokerError(error, brokers);
    assert.equal(problem.kind, kind, error.message);
    assert.match(problem.message, message);
  }
});

test('isTransientBrokerError() waits out connection problems and retriable protocol errors, not the rest', () => {
  assert.equal(isTransientBrokerError(refused()), true);
  assert.equal(isTransientBrokerError(new KafkaJSError('There is no leader for this topic-partition as we are in the middle of a leadership election', { retriable: true })), true);
  assert.equal(isTransientBrokerError(new KafkaJSNonRetriableError('The request included a message larger than the max message size the server will accept')), false);
  assert.equal(isTransientBrokerError(saslRefused()), false);
});

test('createRestartPolicy() restarts a consumer that lost the broker without counting it, until one outage outlasts maxOutageMs', async () => {
  const { lines, log } = capture();
  let now = 0;
  let away = true;
  const restart = createRestartPolicy(log, 2, 300_000, { isOutage: () => Promise.resolve(away), maxOutageMs: 60_000, now: () => now });
  const failure = new Error('Connection error: connect ECONNREFUSED');
  // Crashes while the broker is away: more than the budget of 2, all restarted.
  const during: boolean[] = [];
  for (; now <= 50_000; now += 10_000) during.push(await restart(failure));
  assert.deepEqual(during, [true, true, true, true, true, true]);
  now = 60_000;
  assert.equal(await restart(failure), false);
  assert.match(lines.at(-1) ?? '', /^error: consumer stopped: the broker has been unreachable for 60 s error="Connection error: connect ECONNREFUSED"/);

  // Crashes while the broker answers still spend the budget.
  away = false;
  assert.deepEqual([await restart(failure), await restart(failure), await restart(failure)], [true, true, false]);
});

test('createRestartPolicy() counts a new outage from its own first crash', async () => {
  let now = 0;
  const restart = createRestartPolicy(capture().log, 3, 300_000, { isOutage: () => Promise.resolve(true), maxOutageMs: 30_000, now: () => now });
  const failure = new Error('connect ECONNREFUSED');
  assert.equal(await restart(failure), true);
  now = 20_000;
  assert.equal(await restart(failure), true);
  now = 400_000; // minutes later: a second outage, not the first one still going on
  assert.equal(await restart(failure), true);
  now = 420_000;
  assert.equal(await restart(failure), true);
  now = 430_000;
  assert.equal(await restart(failure), false);
});

test('createResendingQueue() sends the same records again while the broker is away, and says so once', async () => {
  const { lines, log } = capture();
  const queue = createResendingQueue({ log, maxOutageMs: 60_000, retryDelayMs: 1 });
  let attempts = 0;
  await queue.run('sales', () => {
    attempts++;
    return attempts <= 3 ? Promise.reject(refused()) : Promise.resolve();
  });
  assert.equal(attempts, 4);
  assert.equal(lines.filter((line) => line.startsWith('warn: producer cannot deliver')).length, 1);
  assert.match(lines.at(-1) ?? '', /^producer delivering again topic=sales stalledSeconds=0$/);
});

test('createResendingQueue() runs one send at a time, in order', async () => {
  const queue = createResendingQueue({ log: capture().log, maxOutageMs: 60_000, retryDelayMs: 1 });
  const events: string[] = [];
  let firstAttempts = 0;
  const first = queue.run('sales', async () => {
    events.push(`first starts (${++firstAttempts})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (firstAttempts === 1) throw refused();
    events.push('first acknowledged');
  });
  const second = queue.run('sales', () => {
    events.push('second starts');
    return Promise.resolve();
  });
  await Promise.all([first, second]);
  assert.deepEqual(events, ['first starts (1)', 'first starts (2)', 'first acknowledged', 'second starts']);
});

test('createResendingQueue() fails at once on an error that is not an outage, and refuses every later send', async () => {
  const queue = createResendingQueue({ log: capture().log, maxOutageMs: 60_000, retryDelayMs: 1 });
  let attempts = 0;
  const tooLarge = new KafkaJSNonRetriableError('The request included a message larger than the max message size the server will accept');
  await assert.rejects(
    queue.run('sales', () => {
      attempts++;
      return Promise.reject(tooLarge);
    }),
    tooLarge,
  );
  assert.equal(attempts, 1);
  // Its sequence numbers were rolled back: other records must not reuse them.
  await assert.rejects(queue.run('sales', () => Promise.resolve()), /^Error: the producer stopped after an earlier failure: The request included a message larger/);
});

test('createResendingQueue() gives up once the broker has been away for maxOutageMs', async () => {
  let now = 0;
  const queue = createResendingQueue({ log: capture().log, maxOutageMs: 10_000, retryDelayMs: 1, now: () => now });
  await assert.rejects(
    queue.run('sales', () => {
      now += 4_000;
      return Promise.reject(refused());
    }),
    /^Error: the broker was unreachable for 12 s: Connection error: connect ECONNREFUSED/,
  );
});
