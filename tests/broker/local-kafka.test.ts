/**
 * The local Apache Kafka's life cycle, through `broker start|stop|status` and startLocalKafka(),
 * on its own temporary data folder and free ports so it never touches the broker the rest of the
 * test run uses. The steps build on each other and run in order.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { brokerAnswers } from '../../src/broker/broker-probe.ts';
import { createKafkaClient } from '../../src/broker/client.ts';
import { localKafkaStatus, startLocalKafka, stopLocalKafka } from '../../src/broker/local-kafka.ts';
import { findExecutable, findJava, isProcessAlive } from '../../src/broker/local-process.ts';
import { ensureTopics } from '../../src/broker/topics.ts';
import { silentLogger } from '../../src/logger.ts';
import { runBrokerCommand } from '../../src/runtime/broker-command.ts';

// With Docker alone the pipeline uses Redpanda, so a machine without Java skips these (with the
// reason); .ci/run installs Java and Maven, so CI always runs them.
const missingTools = findJava() === undefined || findExecutable('mvn') === undefined ? 'Java 17 and Maven are needed for the local Kafka' : undefined;
const skip = missingTools === undefined ? false : missingTools;

const dataDir = mkdtempSync(join(tmpdir(), 'salesflow-local-kafka-'));
// Port 0: any free ports, so this broker cannot collide with the test run's or a developer's.
const local = { dataDir, port: 0 };
const options = { ...local, log: silentLogger };

after(async () => {
  await stopLocalKafka(options);
  rmSync(dataDir, { recursive: true, force: true });
});

/** Runs a broker command as the CLI would, collecting what it prints. */
async function brokerCommand(action: 'start' | 'stop' | 'status'): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runBrokerCommand(action, { configuredBrokers: [], log: silentLogger, out: (line) => lines.push(line), localKafka: local });
  return { code, lines };
}

/** Live java processes whose command line mentions our data folder (zombies have none). */
function javaProcessesUsing(folder: string): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps.split('\n').filter((line) => line.includes('java') && line.includes(folder));
}

let firstPid = 0;
let bootstrap = '';
const keptTopic = 'kept-across-restarts';

test('broker status reports "not running" with exit code 3 before any start', { skip }, async () => {
  const { code, lines } = await brokerCommand('status');
  assert.equal(code, 3);
  assert.match(lines[0] ?? '', /^local Kafka not running/);
});

test('broker start formats an empty data folder, starts Kafka and prints the bootstrap address once it answers', { skip }, async () => {
  assert.equal(existsSync(join(dataDir, 'kraft', 'meta.properties')), false);
  const { code, lines } = await brokerCommand('start');
  assert.equal(code, 0);
  const match = /^local Kafka ready at (127\.0\.0\.1:\d+) \(pid (\d+),/.exec(lines[0] ?? '');
  assert.ok(match, `unexpected output: ${lines.join('\n')}`);
  bootstrap = match[1] ?? '';
  firstPid = Number(match[2]);
  assert.ok(existsSync(join(dataDir, 'kraft', 'meta.properties')), 'storage was formatted');
  assert.equal(await brokerAnswers([bootstrap]), true);

  const kafka = createKafkaClient({ clientId: 'lifecycle', ssl: false, sasl: null }, [bootstrap], silentLogger);
  await ensureTopics(kafka, [{ topic: keptTopic, partitions: 2 }]);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: keptTopic, messages: [{ key: 'k', value: 'written before the restart', partition: 1 }] });
  await producer.disconnect();
});

test('a second broker start reuses the running broker instead of starting another', { skip }, async () => {
  const { code, lines } = await brokerCommand('start');
  assert.equal(code, 0);
  assert.equal(lines[0], `local Kafka already running at ${bootstrap} (pid ${firstPid}); reusing it`);
  assert.equal(javaProcessesUsing(dataDir).length, 1, 'exactly one broker process for this data folder');
  const status = await brokerCommand('status');
  assert.equal(status.code, 0);
  assert.match(status.lines[0] ?? '', new RegExp(`^local Kafka running at ${bootstrap} \\(pid ${firstPid},`));
});

test('broker stop ends the recorded process and leaves no java process behind', { skip }, async () => {
  const { code, lines } = await brokerCommand('stop');
  assert.equal(code, 0);
  assert.equal(lines[0], `stopped the local Kafka (pid ${firstPid})`);
  assert.equal(isProcessAlive(firstPid), false);
  assert.deepEqual(javaProcessesUsing(dataDir), []);
  assert.equal((await brokerCommand('status')).code, 3);
  assert.equal((await brokerCommand('stop')).lines[0], 'no local Kafka is recorded as running');
});

test('a start from the existing data folder keeps its topics and records', { skip }, async () => {
  const started = await startLocalKafka(options);
  assert.equal(started.reused, false);
  assert.notEqual(started.state.pid, firstPid);
  const kafka = createKafkaClient({ clientId: 'lifecycle', ssl: false, sasl: null }, [started.state.bootstrap], silentLogger);
  const admin = kafka.admin();
  await admin.connect();
  const [metadata] = (await admin.fetchTopicMetadata({ topics: [keptTopic] })).topics;
  const offsets = await admin.fetchTopicOffsets(keptTopic);
  await admin.disconnect();
  assert.equal(metadata?.partitions.length, 2);
  assert.deepEqual(
    offsets.map(({ partition, high }) => ({ partition, high })).sort((a, b) => a.partition - b.partition),
    [{ partition: 0, high: '0' }, { partition: 1, high: '1' }],
  );
});

test('stopLocalKafka() after the restart leaves no process and clears the recorded state', { skip }, async () => {
  const status = await localKafkaStatus(options);
  assert.ok(status.running);
  const result = await stopLocalKafka(options);
  assert.equal(result.stopped, true);
  assert.equal(isProcessAlive(status.state.pid), false);
  assert.deepEqual(javaProcessesUsing(dataDir), []);
  assert.equal(existsSync(join(dataDir, 'state.json')), false);
});
