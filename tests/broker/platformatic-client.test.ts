/**
 * The @platformatic/kafka TopicProducer and GroupConsumer against the test broker: the same
 * contract as the kafkajs ones (round trip, Java-compatible partitioning, commit metadata, group
 * rebalances, clean stop), checked against kafkajs and kcat as the independent clients.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { Producer } from '@platformatic/kafka';
import { classifyBrokerError, isTransientBrokerError } from '../../src/broker/broker-errors.ts';
import { type BrokerConnectionConfig, type KafkaClient } from '../../src/broker/client.ts';
import { type GroupConsumer, type GroupConsumerHandler, type PartitionAssignment, type SourceRecord, startGroupConsumer } from '../../src/broker/group-consumer.ts';
import { freePorts } from '../../src/broker/local-process.ts';
import { asBrokerError } from '../../src/broker/platformatic-connection.ts';
import { startPlatformaticConsumer } from '../../src/broker/platformatic-consumer.ts';
import { connectPlatformaticProducer } from '../../src/broker/platformatic-producer.ts';
import { connectTopicProducer, createKeyPartitioner, type TopicProducer } from '../../src/broker/topic-producer.ts';
import { ensureTopics } from '../../src/broker/topics.ts';
import { silentLogger } from '../../src/logger.ts';
import { brokersForTests, deleteTopicsAfter, testKafkaClient, uniqueGroup, uniqueTopic } from '../support/broker.ts';
import { runKcat } from '../support/cli.ts';

const connection: BrokerConnectionConfig = { clientId: 'platformatic-tests', ssl: false, sasl: null };
const sessionTimeoutMs = 6_000;

interface Setup {
  brokers: string[];
  kafka: KafkaClient;
  topic: string;
}

async function freshTopic(t: TestContext, prefix: string, partitions: number): Promise<Setup> {
  const brokers = await brokersForTests();
  const kafka = await testKafkaClient(prefix);
  const topic = uniqueTopic(prefix);
  deleteTopicsAfter(t, kafka, [topic]);
  await ensureTopics(kafka, [{ topic, partitions }]);
  return { brokers, kafka, topic };
}

async function ourProducer(t: TestContext, brokers: string[]): Promise<TopicProducer> {
  const producer = await connectPlatformaticProducer(connection, brokers, silentLogger);
  t.after(() => producer.close());
  return producer;
}

/** A member whose batches and assignments are recorded; `until` resolves once `count` records arrived. */
function recorder(count = Infinity) {
  const records: SourceRecord[] = [];
  const assignments: PartitionAssignment[][] = [];
  const batchSizes: number[] = [];
  let reached: () => void = () => undefined;
  let failed: (error: Error) => void = () => undefined;
  const until = new Promise<void>((resolve, reject) => {
    reached = resolve;
    failed = reject;
  });
  const handler: GroupConsumerHandler = {
    onAssignment: (assignment) => {
      assignments.push(assignment);
    },
    onBatch: (_partition, batch) => {
      assert.ok(assignments.length > 0, 'onAssignment came before the first batch');
      records.push(...batch);
      batchSizes.push(batch.length);
      if (records.length >= count) reached();
      return Promise.resolve();
    },
    onFatalError: (error) => failed(error),
  };
  return { records, assignments, batchSizes, until, handler };
}

async function ourMember(t: TestContext, setup: Setup, groupId: string, handler: GroupConsumerHandler): Promise<GroupConsumer> {
  const consumer = await startPlatformaticConsumer(connection, setup.brokers, { topic: setup.topic, groupId, fromBeginning: true, log: silentLogger, sessionTimeoutMs }, handler);
  t.after(() => consumer.stop());
  return consumer;
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function eventually(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('keyed records go round trip in per-partition order, each key on the partition kafkajs gives it', async (t) => {
  const setup = await freshTopic(t, 'pf-round-trip', 3);
  const producer = await ourProducer(t, setup.brokers);
  const count = 10_000;
  const timestamp = Date.now() - 60_000;
  // 200 customers, as strings and as Buffers; sent in sequence, so seq order is production order.
  const sent = Array.from({ length: count }, (_, seq) => ({
    key: seq % 2 === 0 ? `customer-${seq % 200}` : Buffer.from(`customer-${seq % 200}`),
    value: JSON.stringify({ seq, note: 'ünïcode ✓' }),
    timestamp: timestamp + seq,
    headers: { seq: String(seq) },
  }));
  for (let start = 0; start < count; start += 1_000) await producer.send(setup.topic, sent.slice(start, start + 1_000));

  const member = recorder(count);
  await ourMember(t, setup, uniqueGroup('pf-round-trip'), member.handler);
  await within(member.until, 60_000, `${count} records arriving`);

  assert.equal(member.records.length, count, 'no duplicates');
  assert.ok(member.batchSizes.length < count / 10, `records come in batches (${member.batchSizes.length} batches)`);
  const partitionOf = createKeyPartitioner(3);
  const byPartition = new Map<number, SourceRecord[]>();
  for (const record of member.records) {
    const seq = (JSON.parse(record.value?.toString('utf8') ?? '') as { seq: number }).seq;
    const want = sent[seq];
    assert.ok(want, `seq ${seq} was sent`);
    assert.equal(record.key?.toString('utf8'), want.key.toString());
    assert.equal(record.timestamp, want.timestamp);
    assert.deepEqual(record.headers, { seq: String(seq) });
    assert.equal(record.partition, partitionOf(want.key.toString()), `key ${want.key.toString()} is on its Java murmur2 partition`);
    byPartition.set(record.partition, [...(byPartition.get(record.partition) ?? []), record]);
  }
  assert.equal(byPartition.size, 3, 'the keys spread over all partitions');
  for (const [partition, records] of byPartition) {
    assert.deepEqual(records.map((record) => record.offset), records.map((_, index) => index), `offsets of partition ${partition} in order, without gaps`);
  }

  // The same keys through the kafkajs producer land on the same partitions.
  const other = await freshTopic(t, 'pf-kafkajs-keys', 3);
  const kafkajsProducer = await connectTopicProducer(other.kafka, silentLogger);
  t.after(() => kafkajsProducer.close());
  const keys = Array.from({ length: 200 }, (_, i) => `customer-${i}`);
  await kafkajsProducer.send(other.topic, keys.map((key) => ({ key, value: key })));
  const viaKafkajs = recorder(keys.length);
  await ourMember(t, other, uniqueGroup('pf-kafkajs-keys'), viaKafkajs.handler);
  await within(viaKafkajs.until, 30_000, 'the kafkajs-produced records arriving');
  const ourPartitionOfKey = new Map(member.records.map((record) => [record.key?.toString('utf8'), record.partition]));
  for (const record of viaKafkajs.records) {
    const key = record.key?.toString('utf8');
    assert.equal(ourPartitionOfKey.get(key), record.partition, `key ${key}: same partition from both producers`);
  }
});

test('explicit partitions are honoured, and null keys and values go through', async (t) => {
  const setup = await freshTopic(t, 'pf-explicit', 4);
  const producer = await ourProducer(t, setup.brokers);
  assert.equal(await producer.partitionCount(setup.topic), 4);
  await producer.send(setup.topic, [
    { key: 'a', value: 'to 3', partition: 3 },
    { key: 'a', value: 'to 1', partition: 1 },
    { key: null, value: 'no key', partition: 2 },
    { key: 'tombstone', value: null, partition: 0 },
  ]);
  const member = recorder(4);
  await ourMember(t, setup, uniqueGroup('pf-explicit'), member.handler);
  await within(member.until, 30_000, 'four records arriving');
  const seen = member.records.map((record) => [record.partition, record.key?.toString() ?? null, record.value?.toString() ?? null]).sort();
  assert.deepEqual(seen, [
    [0, 'tombstone', null],
    [1, 'a', 'to 1'],
    [2, null, 'no key'],
    [3, 'a', 'to 3'],
  ]);
});

test('records produced by kcat are consumed by the platformatic consumer with identical bytes', async (t) => {
  const setup = await freshTopic(t, 'pf-kcat-to-us', 1);
  const lines = ['c-1:{"amount":12.5}', 'c-2:plain text with: a colon', 'kündin-3:ünïcode ✓ ẞ', 'c-1:second for c-1'];
  await runKcat(['-b', setup.brokers.join(','), '-t', setup.topic, '-P', '-K', ':', '-p', '0'], Buffer.from(lines.join('\n') + '\n', 'utf8'));
  const member = recorder(lines.length);
  await ourMember(t, setup, uniqueGroup('pf-kcat-to-us'), member.handler);
  await within(member.until, 30_000, 'the kcat records arriving');
  assert.deepEqual(
    member.records.map((record) => [record.offset, record.key?.toString('utf8'), record.value?.toString('utf8')]),
    lines.map((line, offset) => [offset, line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]),
  );
});

test('records produced by the platformatic producer are read back by kcat byte for byte', async (t) => {
  const setup = await freshTopic(t, 'pf-us-to-kcat', 1);
  const producer = await ourProducer(t, setup.brokers);
  const allBytes = Buffer.from(Array.from({ length: 256 }, (_, index) => index));
  const sent = [
    { key: Buffer.from('c-1'), value: Buffer.from('{"amount":12.5,"customer":"c-1"}') },
    { key: Buffer.from('line\nbreak\tand tab'), value: Buffer.from('value\nwith\r\nnewlines\0and NUL') },
    { key: Buffer.from('ünïcode ✓'), value: Buffer.from('ẞ€😀', 'utf8') },
    { key: Buffer.from([0, 255, 10]), value: allBytes },
  ];
  const timestamp = Date.now() - 5_000;
  await producer.send(setup.topic, sent.map((record, index) => ({ ...record, partition: 0, timestamp: timestamp + index, headers: { n: String(index) } })));
  // Length-prefixed: "<offset> <timestamp> <key length> <value length> <headers>\n<key><value>\n".
  const output = await runKcat(['-b', setup.brokers.join(','), '-t', setup.topic, '-C', '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o %T %K %S %h\n%k%s\n']);
  let position = 0;
  for (const [index, record] of sent.entries()) {
    const headerEnd = output.indexOf(0x0a, position);
    const [offset, at, keyLength, valueLength, headers] = output.subarray(position, headerEnd).toString('utf8').split(' ');
    assert.deepEqual([Number(offset), Number(at), headers], [index, timestamp + index, `n=${index}`]);
    const keyStart = headerEnd + 1;
    const valueStart = keyStart + Number(keyLength);
    assert.ok(output.subarray(keyStart, valueStart).equals(record.key), `key of record ${index}`);
    assert.ok(output.subarray(valueStart, valueStart + Number(valueLength)).equals(record.value), `value of record ${index}`);
    position = valueStart + Number(valueLength) + 1;
  }
  assert.equal(position, output.length, 'nothing more');
});

test('commits carry their metadata across a restart of the member, and kafkajs members of the group see the same commits', async (t) => {
  const setup = await freshTopic(t, 'pf-commit', 2);
  const producer = await ourProducer(t, setup.brokers);
  await producer.send(setup.topic, Array.from({ length: 20 }, (_, i) => ({ key: null, value: `r${i}`, partition: i % 2 })));
  const groupId = uniqueGroup('pf-commit');
  const progress = '{"v":1,"emittedThrough":1000}';

  const first = recorder(20);
  const member = await ourMember(t, setup, groupId, first.handler);
  await within(first.until, 30_000, 'the first member reading everything');
  assert.deepEqual(first.assignments, [
    [
      { partition: 0, committedOffset: undefined, committedMetadata: null },
      { partition: 1, committedOffset: undefined, committedMetadata: null },
    ],
  ]);
  await member.commit([
    { partition: 0, offset: 7, metadata: progress },
    { partition: 1, offset: 10, metadata: 'ünïcode ✓' },
  ]);
  await member.stop();

  // Restarted: told the commits before any record, and reading on from them.
  const second = recorder(3);
  const restarted = await ourMember(t, setup, groupId, second.handler);
  await within(second.until, 30_000, 'the restarted member reading on');
  const committed = [
    { partition: 0, committedOffset: 7, committedMetadata: progress },
    { partition: 1, committedOffset: 10, committedMetadata: 'ünïcode ✓' },
  ];
  assert.deepEqual(second.assignments, [committed]);
  assert.deepEqual(second.records.map((record) => [record.partition, record.offset]), [[0, 7], [0, 8], [0, 9]], 'resumed at the committed offsets');
  await restarted.stop();

  // A kafkajs member of the group is told the same, and its commit reaches ours.
  const viaKafkajs = recorder(1);
  const kafkajsMember = await startGroupConsumer({ kafka: setup.kafka, topic: setup.topic, groupId, fromBeginning: true, log: silentLogger, sessionTimeoutMs }, viaKafkajs.handler);
  t.after(() => kafkajsMember.stop());
  await within(viaKafkajs.until, 30_000, 'the kafkajs member reading on');
  assert.deepEqual(viaKafkajs.assignments, [committed]);
  await kafkajsMember.commit([{ partition: 0, offset: 9, metadata: 'from kafkajs' }]);
  await kafkajsMember.stop();

  const third = recorder();
  await ourMember(t, setup, groupId, third.handler);
  await eventually(() => third.assignments.length > 0, 30_000, 'the third assignment');
  assert.deepEqual(third.assignments[0], [
    { partition: 0, committedOffset: 9, committedMetadata: 'from kafkajs' },
    { partition: 1, committedOffset: 10, committedMetadata: 'ünïcode ✓' },
  ]);
});

test('two members split the partitions, each told its new assignment on every rebalance', async (t) => {
  const setup = await freshTopic(t, 'pf-rebalance', 4);
  const producer = await ourProducer(t, setup.brokers);
  const groupId = uniqueGroup('pf-rebalance');
  const partitionsOf = (assignment: PartitionAssignment[] | undefined) => (assignment ?? []).map(({ partition }) => partition);

  const one = recorder();
  await ourMember(t, setup, groupId, one.handler);
  await eventually(() => one.assignments.length === 1, 30_000, 'the first join');
  assert.deepEqual(partitionsOf(one.assignments[0]), [0, 1, 2, 3]);

  const two = recorder();
  const second = await ourMember(t, setup, groupId, two.handler);
  // The first member notices the rebalance at its next heartbeat (3 s) and rejoins.
  await eventually(() => one.assignments.length >= 2 && two.assignments.length >= 1, 30_000, 'the rebalance');
  const ofOne = partitionsOf(one.assignments.at(-1));
  const ofTwo = partitionsOf(two.assignments.at(-1));
  assert.equal(ofOne.length, 2, `first member: ${ofOne.join(',')}`);
  assert.equal(ofTwo.length, 2, `second member: ${ofTwo.join(',')}`);
  assert.deepEqual([...ofOne, ...ofTwo].sort(), [0, 1, 2, 3], 'every partition to exactly one member');

  // Records produced now go to whichever member owns their partition, and only there.
  await producer.send(setup.topic, [0, 1, 2, 3].map((partition) => ({ key: null, value: `p${partition}`, partition })));
  await eventually(() => one.records.length + two.records.length >= 4, 30_000, 'the four records');
  assert.deepEqual(one.records.map((record) => record.partition).sort(), ofOne);
  assert.deepEqual(two.records.map((record) => record.partition).sort(), ofTwo);

  // The second leaves: the first is told it has everything again.
  const joinsBefore = one.assignments.length;
  await second.stop();
  await eventually(() => one.assignments.length > joinsBefore, 30_000, 'the rebalance after a member left');
  assert.deepEqual(partitionsOf(one.assignments.at(-1)), [0, 1, 2, 3]);
});

test('a kafkajs member and a platformatic member share one group and its partitions', async (t) => {
  const setup = await freshTopic(t, 'pf-mixed', 4);
  const groupId = uniqueGroup('pf-mixed');
  const partitionsOf = (assignment: PartitionAssignment[] | undefined) => (assignment ?? []).map(({ partition }) => partition);
  const viaKafkajs = recorder();
  const kafkajsMember = await startGroupConsumer({ kafka: setup.kafka, topic: setup.topic, groupId, fromBeginning: true, log: silentLogger, sessionTimeoutMs }, viaKafkajs.handler);
  t.after(() => kafkajsMember.stop());
  await eventually(() => viaKafkajs.assignments.length === 1, 30_000, 'the kafkajs member joining');
  const ours = recorder();
  await ourMember(t, setup, groupId, ours.handler);
  await eventually(
    () => ours.assignments.length >= 1 && partitionsOf(viaKafkajs.assignments.at(-1)).length + partitionsOf(ours.assignments.at(-1)).length === 4 && viaKafkajs.assignments.length >= 2,
    30_000,
    'the rebalance between the two clients',
  );
  assert.deepEqual([...partitionsOf(viaKafkajs.assignments.at(-1)), ...partitionsOf(ours.assignments.at(-1))].sort(), [0, 1, 2, 3]);
  assert.equal(partitionsOf(ours.assignments.at(-1)).length, 2);
});

test('a batch is handled before the next is delivered (back-pressure)', async (t) => {
  const setup = await freshTopic(t, 'pf-backpressure', 2);
  const producer = await ourProducer(t, setup.brokers);
  await producer.send(setup.topic, Array.from({ length: 2_000 }, (_, i) => ({ key: null, value: `r${i}`, partition: i % 2 })));
  let inFlight = 0;
  let overlapped = false;
  let seen = 0;
  let reached: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (reached = resolve));
  await ourMember(t, setup, uniqueGroup('pf-backpressure'), {
    onAssignment: () => undefined,
    onBatch: async (_partition, records) => {
      inFlight++;
      overlapped ||= inFlight > 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight--;
      seen += records.length;
      if (seen >= 2_000) reached();
    },
    onFatalError: (error) => assert.fail(error),
  });
  await within(all, 30_000, 'all records');
  assert.equal(overlapped, false);
});

test('with reuseFetchBuffers, every record is intact for as long as its onBatch runs, while the next fetch lands', async (t) => {
  // ~12 MB in records of ~1.2 KB: responses of 512 KiB, each in several socket chunks, so each
  // is copied into a pooled buffer that a later fetch reuses. Each batch is checked only after a
  // pause, when the fetch made ahead has arrived: a buffer given back too early would have been
  // overwritten by then.
  const setup = await freshTopic(t, 'pf-reuse', 2);
  const producer = await ourProducer(t, setup.brokers);
  const count = 10_000;
  const valueOf = (i: number): string => `${i}:` + String(i % 997).padStart(4, '0').repeat(300);
  for (let from = 0; from < count; from += 2_000) {
    await producer.send(setup.topic, Array.from({ length: 2_000 }, (_, j) => ({ key: `k${from + j}`, value: valueOf(from + j), partition: (from + j) % 2 })));
  }
  let seen = 0;
  let batches = 0;
  const damaged: string[] = [];
  let reached: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (reached = resolve));
  const consumer = await startPlatformaticConsumer(
    connection,
    setup.brokers,
    { topic: setup.topic, groupId: uniqueGroup('pf-reuse'), fromBeginning: true, log: silentLogger, sessionTimeoutMs, reuseFetchBuffers: true },
    {
      onAssignment: () => undefined,
      onBatch: async (_partition, records) => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        for (const record of records) {
          const i = Number(record.key?.toString().slice(1));
          if (record.value?.toString() !== valueOf(i) && damaged.length < 5) damaged.push(`offset ${record.offset} (key ${record.key?.toString() ?? 'null'})`);
        }
        batches++;
        seen += records.length;
        if (seen >= count) reached();
      },
      onFatalError: (error) => assert.fail(error),
    },
  );
  t.after(() => consumer.stop());
  await within(all, 60_000, 'all records');
  assert.deepEqual(damaged, []);
  assert.equal(seen, count);
  assert.ok(batches >= 20, `records came in ${batches} batches: enough fetches to reuse buffers`);
});

test('every partition is served when its record batches are larger than the per-partition fetch limit', async (t) => {
  // The broker returns a batch larger than the per-partition limit only to the first partition
  // of a fetch (KIP-74); fetching the partitions in a fixed order served partition 0 alone until
  // it was drained. Here each partition holds three batches of ~300 KB (limit: 128 KiB).
  const setup = await freshTopic(t, 'pf-fair', 3);
  const producer = await ourProducer(t, setup.brokers);
  const value = 'x'.repeat(3_000);
  for (let round = 0; round < 3; round++) {
    for (let partition = 0; partition < 3; partition++) {
      await producer.send(setup.topic, Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value, partition })));
    }
  }
  const order: number[] = [];
  const member = recorder(900);
  const handler: GroupConsumerHandler = {
    ...member.handler,
    onBatch: (partition, batch, highWatermark, heartbeat) => {
      order.push(partition);
      return member.handler.onBatch(partition, batch, highWatermark, heartbeat);
    },
  };
  // The per-partition limit of an earlier default, set here so that each batch exceeds it.
  const consumer = await startPlatformaticConsumer(
    connection,
    setup.brokers,
    { topic: setup.topic, groupId: uniqueGroup('pf-fair'), fromBeginning: true, log: silentLogger, sessionTimeoutMs, maxBytesPerPartition: 128 * 1024 },
    handler,
  );
  t.after(() => consumer.stop());
  await within(member.until, 60_000, 'the 900 records arriving');
  assert.deepEqual([...new Set(order.slice(0, 3))].sort(), [0, 1, 2], `the first three batches come from all three partitions (order: ${order.join(' ')})`);
  assert.equal(member.records.length, 900);
});

test('records of aborted transactions are not delivered, those of committed ones are (kafkajs transactions)', async (t) => {
  const setup = await freshTopic(t, 'pf-txn', 1);
  const transactional = setup.kafka.producer({ transactionalId: uniqueGroup('pf-txn'), idempotent: true, maxInFlightRequests: 1 });
  await transactional.connect();
  t.after(() => transactional.disconnect());
  const inTransaction = async (values: string[], outcome: 'commit' | 'abort'): Promise<void> => {
    const transaction = await transactional.transaction();
    await transaction.send({ topic: setup.topic, messages: values.map((value) => ({ key: 'k', value, partition: 0 })) });
    await (outcome === 'commit' ? transaction.commit() : transaction.abort());
  };
  await inTransaction(['aborted-1', 'aborted-2'], 'abort');
  await inTransaction(['committed-1', 'committed-2'], 'commit');
  await inTransaction(['aborted-3'], 'abort');
  const plain = await ourProducer(t, setup.brokers);
  await plain.send(setup.topic, [{ key: 'k', value: 'plain-1', partition: 0 }]);
  await inTransaction(['committed-3'], 'commit');

  const member = recorder(4);
  await ourMember(t, setup, uniqueGroup('pf-txn'), member.handler);
  await within(member.until, 30_000, 'the committed records arriving');
  // Anything aborted would have come with them, in the same fetches.
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.deepEqual(
    member.records.map((record) => record.value?.toString('utf8')),
    ['committed-1', 'committed-2', 'plain-1', 'committed-3'],
  );
});

test('stop() leaves the group and leaves no sockets or timers behind', async (t) => {
  const setup = await freshTopic(t, 'pf-stop', 2);
  const producer = await ourProducer(t, setup.brokers);
  await producer.send(setup.topic, [{ key: 'k', value: 'v' }]);
  await producer.close();
  const resources = () => process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap' && kind !== 'FSReqCallback');
  const before = resources();
  const member = recorder(1);
  const groupId = uniqueGroup('pf-stop');
  const consumer = await startPlatformaticConsumer(connection, setup.brokers, { topic: setup.topic, groupId, fromBeginning: true, log: silentLogger, sessionTimeoutMs }, member.handler);
  await within(member.until, 30_000, 'the record');
  assert.ok(resources().length > before.length, 'the consumer holds sockets and timers while it runs');
  await consumer.stop();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(resources().sort(), before.sort());
  const admin = setup.kafka.admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  const { groups } = await admin.describeGroups([groupId]);
  assert.deepEqual(groups.map((group) => [group.state, group.members.length]), [['Empty', 0]], 'the member left the group');
});

test('an unreachable broker fails with an error broker-errors.ts classifies as the broker being away', async () => {
  const [closedPort] = await freePorts(1);
  const producer = new Producer({ clientId: 'c', bootstrapBrokers: [`127.0.0.1:${closedPort}`], retries: 1, retryDelay: 10 });
  try {
    const failure = await producer.metadata({ topics: ['x'] }).then(
      () => assert.fail('metadata must fail'),
      (error: unknown) => asBrokerError(error),
    );
    assert.equal(classifyBrokerError(failure, [`127.0.0.1:${closedPort}`]).kind, 'unreachable');
    assert.equal(isTransientBrokerError(failure), true);
  } finally {
    await producer.close();
  }
});
