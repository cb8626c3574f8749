/**
 * The GroupConsumer (group-consumer.ts) on @platformatic/kafka instead of kafkajs: the same
 * contract, selectable with `broker.client`.
 *
 * The library joins the group, heartbeats on its own timer and rejoins when the group rebalances;
 * fetching is done here, with the library's `Consumer.fetch()`, rather than through its
 * MessagesStream, because the contract needs what the stream does not give:
 *
 *   join (generation g) ──► committed offsets + metadata ──► onAssignment ──► fetch ─► onBatch ─► fetch ...
 *        ▲                                                                    │
 *        └───── rebalance noticed by the heartbeat: the fetch or batch in hand is dropped ◄┘
 *
 * - The fetch position is ours: after every join it restarts at the committed offsets (else the
 *   earliest or latest offset), after onAssignment, as kafkajs' eager protocol does. The stream
 *   keeps its own positions and can deliver a fetch issued before the join after it.
 * - One fetch brings at most `maxBytes`; each partition's records of it go to onBatch as one
 *   batch, without a message object and a stream push per record. While a fetch's batches are
 *   handled, the next fetch (from the offsets after them) is already in flight, one at most:
 *   the broker's wait and the transfer overlap the processing, and memory stays bounded by two
 *   fetches. Batches are delivered one at a time, each awaited (back-pressure).
 * - Commits carry the runtime's metadata (platformatic-group-offsets.ts).
 * - The heartbeat runs on the library's timer whatever the handler does, so the `heartbeat`
 *   handed to onBatch sends nothing: it fails once the group has started rebalancing, which tells
 *   the runtime that the batch in hand belongs to an old generation (as kafkajs' heartbeat does).
 */
import {
  Consumer,
  ConnectionPool,
  FetchIsolationLevels,
  type FetchOptions,
  ListOffsetTimestamps,
} from '@platformatic/kafka';
import { isTransientBrokerError } from './broker-errors.ts';
import { type BrokerConnectionConfig, defaultMaxOutageMs } from './client.ts';
import { fetchLimits, type GroupConsumer, type GroupConsumerHandler, type GroupConsumerOptions } from './group-consumer.ts';
import { asBrokerError, failOnBadSettings, platformaticBaseOptions } from './platformatic-connection.ts';
import { positionsAfter, toSourceRecords } from './platformatic-fetched-records.ts';
import { createGroupOffsets } from './platformatic-group-offsets.ts';

const offsetOutOfRange = 1;

type FetchRequestTopic = FetchOptions<Buffer, Buffer, Buffer, Buffer>['topics'][number];
type FetchResponse = Awaited<ReturnType<Consumer['fetch']>>;

/** Joins the group with @platformatic/kafka and starts delivering batches to `handler`. */
export async function startPlatformaticConsumer(
  connection: BrokerConnectionConfig,
  brokers: string[],
  options: Omit<GroupConsumerOptions, 'kafka'>,
  handler: GroupConsumerHandler,
): Promise<GroupConsumer> {
  const { topic, groupId, log } = options;
  await failOnBadSettings(connection, brokers);
  const base = platformaticBaseOptions(connection, brokers);
  const group = {
    // SALESFLOW_SESSION_TIMEOUT_MS lets the fault tests provoke a session timeout quickly.
    sessionTimeout: options.sessionTimeoutMs ?? (Number(process.env['SALESFLOW_SESSION_TIMEOUT_MS']) || 30_000),
    heartbeatInterval: 3_000,
    rebalanceTimeout: 60_000,
    // kafkajs' round-robin protocol, by name and version: the broker only admits members that
    // share a protocol, and both encode the subscription and the assignment alike, so kafkajs and
    // platformatic members can be in one group (e.g. while pipelines switch `broker.client`).
    protocols: [{ name: 'RoundRobinAssigner', version: 0 }],
  };
  const consumer = new Consumer({ ...base, groupId, autocommit: false, ...group });
  // Fetches wait up to maxWaitTime on the broker: on their own connections, so that they never
  // queue behind a JoinGroup (which waits for the whole group) or hold up a heartbeat or commit.
  const fetchConnections = new ConnectionPool(base.clientId, base);
  const offsets = createGroupOffsets(consumer, topic);
  const fetchSettings = {
    // Wait up to 50 ms for 64 KiB: at low rates this gathers records into real batches instead of
    // one fetch per record, at a bounded cost in latency.
    minBytes: 64 * 1024,
    maxWaitTime: 50,
    // The kafkajs member's limits (group-consumer.ts says why they are small): the library, too,
    // decodes a whole fetch into objects before its first batch is handled.
    maxBytes: fetchLimits.total,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    connectionPool: fetchConnections,
  };
  const maxBytesPerPartition = options.maxBytesPerPartition ?? fetchLimits.perPartition;

  let assigned: number[] = [];
  /** The next offset to fetch, per assigned partition. */
  let positions = new Map<number, bigint>();
  /** Bumped when the group starts rebalancing and when a join completes: work of an older epoch is dropped. */
  let epoch = 0;
  let joinPending = false;
  let stopping = false;
  let wake: () => void = () => undefined;
  const wakeUp = (): void => wake();

  consumer.on('consumer:group:rebalance', () => {
    // Stop fetching until the join completes: what would be fetched now is dropped anyway.
    epoch++;
    positions = new Map();
    log.debug('group rebalancing', { groupId });
  });
  consumer.on('consumer:group:join', () => {
    epoch++;
    joinPending = true;
    wakeUp();
  });
  consumer.on('consumer:heartbeat:error', ({ error }) => {
    // @platformatic/kafka 1.35 stops heartbeating for good after a heartbeat fails on anything
    // but a group error (a broker away for longer than its retries, a request timeout): the
    // member would be dropped from the group at the end of its session and never rejoin. Rejoin
    // instead, as after a rebalance: fetching stops until the join, which restarts the heartbeat.
    log.warn('heartbeat failed; rejoining the group', { groupId, error: asBrokerError(error).message });
    void rejoin();
  });
  // The library emits 'error' when rejoining the group failed for good.
  consumer.on('error', (error: Error) => fail(asBrokerError(error)));

  let rejoining = false;
  const rejoin = async (): Promise<void> => {
    if (rejoining || stopping) return;
    rejoining = true;
    epoch++;
    positions = new Map();
    const since = Date.now();
    while (!stopping) {
      try {
        await consumer.joinGroup(group);
        break;
      } catch (error) {
        const failure = asBrokerError(error);
        if (!isTransientBrokerError(failure) || Date.now() - since >= defaultMaxOutageMs) {
          fail(new Error(`cannot rejoin consumer group ${groupId}: ${failure.message}`, { cause: failure }));
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
    rejoining = false;
  };

  let failed = false;
  const fail = (error: Error): void => {
    if (failed || stopping) return;
    failed = true;
    stopping = true;
    wakeUp();
    handler.onFatalError(error);
  };

  const partitionOffsets = async (): Promise<Map<number, { low: number; high: number }>> => {
    const [low, high] = await Promise.all(
      [ListOffsetTimestamps.EARLIEST, ListOffsetTimestamps.LATEST].map((timestamp) => consumer.listOffsets({ topics: [topic], timestamp })),
    );
    const lows = low?.get(topic) ?? [];
    const highs = high?.get(topic) ?? [];
    return new Map(lows.map((offset, partition) => [partition, { low: Number(offset), high: Number(highs[partition] ?? offset) }]));
  };

  /** After a join: the new assignment, its committed offsets, the runtime told, positions set. */
  const takeAssignment = async (): Promise<void> => {
    joinPending = false;
    const joinEpoch = epoch;
    const partitions = [...(consumer.assignments?.find((assignment) => assignment.topic === topic)?.partitions ?? [])].sort((a, b) => a - b);
    assigned = partitions;
    positions = new Map();
    log.info('joined group', { groupId, partitions: partitions.join(',') || 'none' });
    const assignments = await offsets.committed(partitions);
    const next = new Map<number, bigint>();
    const uncommitted = assignments.filter((assignment) => assignment.committedOffset === undefined);
    if (uncommitted.length > 0) {
      const ends = await partitionOffsets();
      for (const { partition } of uncommitted) {
        const end = ends.get(partition);
        next.set(partition, BigInt((options.fromBeginning ? end?.low : end?.high) ?? 0));
      }
    }
    for (const { partition, committedOffset } of assignments) {
      if (committedOffset !== undefined) next.set(partition, BigInt(committedOffset));
    }
    await handlerStep(() => handler.onAssignment(assignments));
    if (epoch === joinEpoch) positions = next;
  };

  /** One fetch per partition leader from the positions `from`, all at once. */
  const fetchAll = async (from: ReadonlyMap<number, bigint>): Promise<FetchResponse[]> => {
    const metadata = await consumer.metadata({ topics: [topic] });
    const topicMetadata = metadata.topics.get(topic);
    if (!topicMetadata) throw new Error(`topic ${topic} is not in the cluster's metadata`);
    const byLeader = new Map<number, FetchRequestTopic>();
    for (const partition of assigned) {
      const fetchOffset = from.get(partition);
      const leader = topicMetadata.partitions[partition]?.leader;
      if (fetchOffset === undefined || leader === undefined) continue;
      let request = byLeader.get(leader);
      if (!request) {
        request = { topicId: topicMetadata.id, partitions: [] };
        byLeader.set(leader, request);
      }
      request.partitions.push({ partition, fetchOffset, partitionMaxBytes: maxBytesPerPartition, currentLeaderEpoch: -1, lastFetchedEpoch: -1 });
    }
    return Promise.all([...byLeader].map(([node, request]) => consumer.fetch({ ...fetchSettings, node, topics: [request] })));
  };

  /** Partitions a fetch was refused for because their position is gone (retention): reset them. */
  const resetOutOfRange = async (error: unknown): Promise<boolean> => {
    const response = (error as { response?: FetchResponse } | undefined)?.response;
    const refused = (response?.responses ?? []).flatMap((entry) => entry.partitions.filter((p) => p.errorCode === offsetOutOfRange).map((p) => p.partitionIndex));
    if (refused.length === 0) return false;
    const ends = await partitionOffsets();
    for (const partition of refused) {
      const end = ends.get(partition);
      const reset = (options.fromBeginning ? end?.low : end?.high) ?? 0;
      log.warn('fetch position out of range; starting over', { partition, from: options.fromBeginning ? 'earliest' : 'latest', offset: reset });
      positions.set(partition, BigInt(reset));
    }
    return true;
  };

  const deliver = async (responses: FetchResponse[], fetchEpoch: number): Promise<void> => {
    const heartbeat = (): Promise<void> =>
      epoch === fetchEpoch ? Promise.resolve() : Promise.reject(new Error(`consumer group ${groupId} is rebalancing: this batch belongs to the previous generation`));
    for (const response of responses) {
      for (const topicResponse of response.responses) {
        for (const partitionResponse of topicResponse.partitions) {
          if (stopping || epoch !== fetchEpoch) return;
          const partition = partitionResponse.partitionIndex;
          const position = positions.get(partition);
          if (position === undefined || !partitionResponse.records) continue;
          const records = toSourceRecords(partition, partitionResponse.records, position);
          if (records.length > 0) await handlerStep(() => handler.onBatch(partition, records, Number(partitionResponse.highWatermark), heartbeat));
        }
      }
    }
  };

  /** The next fetch, in flight while the batches of the previous one are handled. */
  let ahead: { epoch: number; responses: Promise<FetchResponse[]> } | undefined;

  const run = async (): Promise<void> => {
    let stalledSince: number | undefined;
    while (!stopping) {
      const iterationEpoch = epoch;
      try {
        if (joinPending) {
          await takeAssignment();
          continue;
        }
        if (positions.size === 0) {
          // No partitions (more members than partitions) or a rebalance under way: wait for a join.
          await new Promise<void>((resolve) => {
            wake = resolve;
            if (joinPending || stopping) resolve();
          });
          continue;
        }
        const responses = await (ahead?.epoch === iterationEpoch ? ahead.responses : fetchAll(positions));
        ahead = undefined;
        if (stalledSince !== undefined) log.info('consumer fetching again', { groupId, stalledSeconds: Math.round((Date.now() - stalledSince) / 1000) });
        stalledSince = undefined;
        const next = positionsAfter(responses, positions);
        if (!stopping) {
          const responses = fetchAll(next);
          // Awaited at the next turn, or dropped (a rebalance, a stop): never unhandled.
          responses.catch(() => undefined);
          ahead = { epoch: iterationEpoch, responses };
        }
        await deliver(responses, iterationEpoch);
        if (epoch === iterationEpoch) positions = next;
      } catch (error) {
        ahead = undefined;
        if (stopping) return;
        // A rebalance during the step: its work is void, the next join starts over.
        if (epoch !== iterationEpoch) continue;
        // The runtime's own failure: not retried (kafkajs would restart the member up to three
        // times, rejoining and re-reading from the commits; the runtime stops on it either way).
        if (error instanceof HandlerFailure) return fail(error.cause);
        if (await resetOutOfRange(error).catch(() => false)) continue;
        const failure = asBrokerError(error);
        if (!isTransientBrokerError(failure)) return fail(failure);
        // The broker is away or busy: the library has retried for about a minute already.
        stalledSince ??= Date.now();
        if (Date.now() - stalledSince >= defaultMaxOutageMs) return fail(new Error(`the broker was unreachable for ${Math.round((Date.now() - stalledSince) / 1000)} s: ${failure.message}`, { cause: failure }));
        log.warn('consumer cannot fetch; trying again', { groupId, error: failure.message });
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  };

  consumer.topics.track(topic);
  try {
    await consumer.joinGroup(group);
  } catch (error) {
    await consumer.close().catch(() => undefined);
    await fetchConnections.close().catch(() => undefined);
    throw asBrokerError(error);
  }
  const running = run();
  let stopped: Promise<void> | undefined;
  const stopMember = async (): Promise<void> => {
    stopping = true;
    wakeUp();
    // The fetch in flight ends within maxWaitTime; a batch being handled is not waited for
    // (the caller may be stopping from inside it), it is dropped at its end.
    let timer: NodeJS.Timeout | undefined;
    const settled = running.then(() => ahead?.responses.catch(() => undefined));
    await Promise.race([settled, new Promise((resolve) => (timer = setTimeout(resolve, 1_000)))]);
    clearTimeout(timer);
    try {
      await consumer.close();
    } finally {
      await fetchConnections.close();
    }
  };

  return {
    commit: async (commits) => {
      try {
        await offsets.commit(commits);
      } catch (error) {
        throw asBrokerError(error);
      }
    },
    assignedPartitions: () => [...assigned],
    partitionOffsets,
    stop: () => (stopped ??= stopMember()),
  };
}

/** An error thrown by the handler, told apart from the broker's. */
class HandlerFailure extends Error {
  override readonly cause: Error;
  constructor(cause: Error) {
    super(cause.message, { cause });
    this.cause = cause;
  }
}

async function handlerStep(step: () => Promise<void> | void): Promise<void> {
  try {
    await step();
  } catch (error) {
    throw new HandlerFailure(error instanceof Error ? error : new Error(String(error)));
  }
}
