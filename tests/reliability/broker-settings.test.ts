/**
 * Issue 7, item 8: bad broker settings (an unknown host, TLS to a plaintext port, a wrong SASL
 * password) end the command within seconds, with exit 1 and one line naming the problem: no
 * endless retry, no stack trace. A broker of this file's own has a SASL_PLAINTEXT listener (PLAIN,
 * one user) next to its plaintext one, so the right password is shown to work too.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readTopicWithKcat, runCli, tempDir, uniqueName, writePipeline, type CliResult } from '../support/cli.ts';
import { type OwnBroker, ownBrokerUnavailable, startOwnBroker } from './broker-fixture.ts';

const user = { username: 'salesflow', password: 'right-password' };
/** Every bad setting must be reported well within this (kafkajs alone would retry for ~1 min). */
const failFastMs = 30_000;

function pipeline(topic: string, broker: string): string {
  return `name: broker-settings
broker:
  brokers: []
${broker}
source:
  topic: ${topic}
  partitions: 1
  schema: ${join(process.cwd(), 'schemas/sale.schema.json')}
  eventTime: timestamp
producer:
  rate: 0
  count: 200
window:
  length: 2s
  slide: 1s
aggregate:
  threshold: 100
sinks:
  - type: sqlite
    path: out/results.db
    table: results
monitor:
  port: 0
`;
}

/** Runs the CLI with `broker` settings against `address`, and times it. */
async function runWith(command: 'run' | 'produce', broker: string, address: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult & { ms: number; topic: string }> {
  const topic = uniqueName('settings');
  const file = writePipeline(tempDir('salesflow-settings-'), pipeline(topic, broker));
  const started = Date.now();
  const result = await runCli([file, command, '--quiet'], { KAFKA_BROKERS: address, ...env });
  return { ...result, ms: Date.now() - started, topic };
}

function assertFailsFast(result: CliResult & { ms: number }, message: RegExp): void {
  assert.equal(result.code, 1, `exit code 1 expected; stderr:\n${result.stderr}`);
  assert.ok(result.ms < failFastMs, `took ${result.ms} ms; stderr:\n${result.stderr}`);
  assert.match(result.stderr, message);
  assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace');
}

const unavailable = ownBrokerUnavailable();

describe('bad broker settings', { skip: unavailable ?? false }, () => {
  let broker: OwnBroker;
  const cleanups: Array<() => Promise<void>> = [];
  before(async () => {
    broker = await startOwnBroker((cleanup) => cleanups.push(cleanup), { saslPlain: user });
  });
  after(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  test('an unknown broker host ends the run within seconds, saying the host does not resolve', async () => {
    const result = await runWith('run', '', 'no-such-host.invalid:9092');
    assertFailsFast(result, /^error: run failed: cannot resolve host no-such-host\.invalid: getaddrinfo ENOTFOUND no-such-host\.invalid \(check broker\.brokers or KAFKA_BROKERS\)$/m);
  });

  test('TLS to a plaintext port ends the run within seconds, naming the TLS handshake', async () => {
    const result = await runWith('run', '  ssl: {}', broker.bootstrap);
    assertFailsFast(result, /^error: run failed: TLS handshake with the Kafka broker at 127\.0\.0\.1:\d+ failed: .*\(broker\.ssl is set: is this port a TLS listener/m);
  });

  test('a wrong SASL password ends the run within seconds with "authentication failed"', async () => {
    const sasl = `  sasl: { mechanism: plain, username: ${user.username}, password: "\${SALESFLOW_TEST_KAFKA_PASSWORD}" }`;
    const result = await runWith('run', sasl, broker.saslBootstrap ?? '', { SALESFLOW_TEST_KAFKA_PASSWORD: 'wrong-password' });
    assertFailsFast(result, /^error: run failed: authentication failed at the Kafka broker 127\.0\.0\.1:\d+: SASL PLAIN authentication failed: .*Invalid username or password/m);
  });

  test('the right SASL password produces through the SASL listener', async () => {
    const sasl = `  sasl: { mechanism: plain, username: ${user.username}, password: "\${SALESFLOW_TEST_KAFKA_PASSWORD}" }`;
    const result = await runWith('produce', sasl, broker.saslBootstrap ?? '', { SALESFLOW_TEST_KAFKA_PASSWORD: user.password });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readTopicWithKcat(result.topic, broker.bootstrap).length, 200);
  });
});
