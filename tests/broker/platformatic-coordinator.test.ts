/**
 * The platformatic GroupConsumer when the group coordinator moves. One broker cannot move its
 * coordinator, so group requests are made to fail as a moved coordinator answers them:
 * NOT_COORDINATOR (16), as the library's own ResponseError, through the consumer's test seam.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { type BrokerConnectionConfig } from '../../src/broker/client.ts';
import { type GroupConsumer, type GroupConsumerHandler, type PartitionAssignment } from '../../src/broker/group-consumer.ts';
import { type PlatformaticConsumerSeams, startPlatformaticConsumer } from '../../src/broker/platformatic-consumer.ts';
import { connectPlatformaticProducer } from '../../src/broker/platformatic-producer.ts';
import { coordinatorErrors } from '../../src/broker/platformatic-swappable-consumer.ts';
import { ensureTopics } from '../../src/broker/topics.ts';
import { silentLogger } from '../../src/logger.ts';
import { brokersForTests, deleteTopicsAfter, testKafkaClient, uniqueGroup, uniqueTopic } from '../support/broker.ts';

const connection: BrokerConnectionConfig = { clientId: 'platformatic-coordinator-tests', ssl: false, sasl: null };
const apiKeys = { offsetCommit: 8, joinGroup: 11, heartbeat: 12 } as const;

type Event = { kind: 'assignment'; assignment: PartitionAssignment[] } | { kind: 'batch'; offsets: number[] };

/** A member on a fresh one-partition topic holding `count` records, whose group requests `faults` can fail. */
async function memberWithFaults(t: TestContext, prefix: string, count: number) {
  const brokers = await brokersForTests();
  const kafka = await testKafkaClient(prefix);
  const topic = uniqueTopic(prefix);
  deleteTopicsAfter(t, kafka, [topic]);
  await ensureTopics(kafka, [{ topic, partitions: 1 }]);
  const producer = await connectPlatformaticProducer(connection, brokers, silentLogger);
  t.after(() => producer.close());
  const produce = (from: number, to: number) => producer.send(topic, Array.from({ length: to - from }, (_, i) => ({ key: null, value: `r${from + i}`, partition: 0 })));
  await produce(0, count);

  const events: Event[] = [];
  const fatal: Error[] = [];
  /** Error code per API key for the next requests; `once` ones are cleared when used. */
  const faults = new Map<number, { code: number; once: boolean }>();
  let created = 0;
  const seams: PlatformaticConsumerSeams = {
    groupRequestFault: ({ apiKey }) => {
      const fault = faults.get(apiKey);
      if (fault?.once) faults.delete(apiKey);
      return fault?.code;
    },
    consumerCreated: (count) => (created = count),
  };
  const handler: GroupConsumerHandler = {
    onAssignment: (assignment) => {
      events.push({ kind: 'assignment', assignment });
    },
    onBatch: (_partition, records) => {
      events.push({ kind: 'batch', offsets: records.map((record) => record.offset) });
      return Promise.resolve();
    },
    onFatalError: (error) => fatal.push(error),
  };
  const consumer: GroupConsumer = await startPlatformaticConsumer(
    connection,
    brokers,
    { topic, groupId: uniqueGroup(prefix), fromBeginning: true, log: silentLogger, sessionTimeoutMs: 10_000 },
    handler,
    seams,
  );
  t.after(() => consumer.stop());
  const assignments = () => events.filter((event) => event.kind === 'assignment').map((event) => event.assignment);
  /** Offsets delivered after the `n`th assignment (1-based), in delivery order. */
  const offsetsAfterAssignment = (n: number): number[] => {
    let seen = 0;
    const offsets: number[] = [];
    for (const event of events) {
      if (event.kind === 'assignment') seen++;
      else if (seen === n) offsets.push(...event.offsets);
    }
    return offsets;
  };
  return { consumer, faults, fatal, produce, assignments, offsetsAfterAssignment, created: () => created };
}

async function eventually(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

test('a heartbeat answered NOT_COORDINATOR makes the member rejoin with a new client and read on from the committed offset', async (t) => {
  const member = await memberWithFaults(t, 'pf-coord-heartbeat', 20);
  await eventually(() => member.offsetsAfterAssignment(1).length === 20, 30_000, 'the first 20 records');
  await member.consumer.commit([{ partition: 0, offset: 12, metadata: '{"v":1,"emittedThrough":12}' }]);
  assert.equal(member.created(), 1);

  member.faults.set(apiKeys.heartbeat, { code: coordinatorErrors.notCoordinator, once: true });
  // The next heartbeat is due within heartbeatInterval (3 s).
  await eventually(() => member.assignments().length === 2 && member.offsetsAfterAssignment(2).length >= 8, 30_000, 'the rejoin and the replay');
  assert.equal(member.created(), 2, 'a new library Consumer looked the coordinator up again');
  assert.deepEqual(member.assignments()[1], [{ partition: 0, committedOffset: 12, committedMetadata: '{"v":1,"emittedThrough":12}' }]);
  assert.deepEqual(member.offsetsAfterAssignment(2), range(12, 20), 'from the committed offset on: no gap, only the uncommitted records again');

  await member.produce(20, 25);
  await eventually(() => member.offsetsAfterAssignment(2).length >= 13, 30_000, 'the new records');
  assert.deepEqual(member.offsetsAfterAssignment(2), range(12, 25), 'and on, each record once');
  assert.deepEqual(member.fatal, []);
});

test('a commit answered NOT_COORDINATOR fails, and the member rejoins with a new client from the last commit that landed', async (t) => {
  const member = await memberWithFaults(t, 'pf-coord-commit', 10);
  await eventually(() => member.offsetsAfterAssignment(1).length === 10, 30_000, 'the first 10 records');
  await member.consumer.commit([{ partition: 0, offset: 4, metadata: 'm4' }]);

  member.faults.set(apiKeys.offsetCommit, { code: coordinatorErrors.notCoordinator, once: true });
  await assert.rejects(member.consumer.commit([{ partition: 0, offset: 8, metadata: 'm8' }]), /not the correct coordinator/);
  // Until the new client has joined, commits fail at once: they would belong to no generation.
  await assert.rejects(member.consumer.commit([{ partition: 0, offset: 9, metadata: 'm9' }]), /rejoining consumer group/);

  await eventually(() => member.assignments().length === 2 && member.offsetsAfterAssignment(2).length >= 6, 30_000, 'the rejoin and the replay');
  assert.equal(member.created(), 2);
  assert.deepEqual(member.assignments()[1], [{ partition: 0, committedOffset: 4, committedMetadata: 'm4' }]);
  assert.deepEqual(member.offsetsAfterAssignment(2), range(4, 10));
  await member.consumer.commit([{ partition: 0, offset: 10, metadata: 'm10' }]);
  assert.deepEqual(member.fatal, []);
});

test('a coordinator that keeps answering NOT_COORDINATOR ends in onFatalError after 5 new clients, within the backoff budget', async (t) => {
  const member = await memberWithFaults(t, 'pf-coord-persistent', 1);
  await eventually(() => member.offsetsAfterAssignment(1).length === 1, 30_000, 'the first record');
  member.faults.set(apiKeys.heartbeat, { code: coordinatorErrors.notCoordinator, once: false });
  member.faults.set(apiKeys.joinGroup, { code: coordinatorErrors.notCoordinator, once: false });
  const since = Date.now();
  // Backoff 0 + 1 + 2 + 4 + 8 s, after the next heartbeat (3 s), plus the requests.
  await eventually(() => member.fatal.length > 0, 30_000, 'the fatal error');
  const elapsed = Date.now() - since;
  assert.ok(elapsed >= 15_000 && elapsed < 25_000, `gave up after ${elapsed} ms`);
  assert.equal(member.fatal.length, 1);
  assert.match(member.fatal[0]?.message ?? '', /^cannot stay in consumer group .*: its coordinator failed again after 5 rediscoveries in \d+ s: .*not the correct coordinator/);
  assert.equal(member.created(), 6, 'the first client and 5 new ones');
  assert.equal(member.assignments().length, 1, 'no join succeeded meanwhile');
});
