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
 *   fetches. Batches are delivered one at a time, each awaited (back-pressure). As soon as a
 *   fetch arrives, its batches go to the handler's `prepare` (the runtime's reader thread starts
 *   reading them while the batches before are handled).
 * - Commits carry the runtime's metadata (platformatic-group-offsets.ts).
 * - The heartbeat runs on the library's timer whatever the handler does, so the `heartbeat`
 *   handed to onBatch sends nothing: it fails once the group has started rebalancing, which tells
 *   the runtime that the batch in hand belongs to an old generation (as kafkajs' heartbeat does).
 * - The library never looks the group coordinator up again; when it moves, the library Consumer
 *   is replaced by a fresh one, which rejoins (platformatic-swappable-consumer.ts). To the runtime
 *   that is a rebalance like any other: fetching stops, commits fail until the join, and the new
 *   generation starts with onAssignment and the committed offsets.
 */
import { type Consumer, ConnectionPool, FetchIsolationLevels, ListOffsetTimestamps } from '@platformatic/kafka';
import { type FetchedResponse } from './fetch-response.ts';
import { isTransientBrokerError } from './broker-errors.ts';
import { type BrokerConnectionConfig, defaultMaxOutageMs } from './client.ts';
import { fetchLimits, type GroupConsumer, type GroupConsumerHandler, type GroupConsumerOptions } from './group-consumer.ts';
import { asBrokerError, failOnBadSettings, platformaticBaseOptions, retryDelayMs } from './platformatic-connection.ts';
import { createFetcher, positionsAfter, ResponseBuffers } from './platformatic-fetch.ts';
import { createGroupOffsets } from './platformatic-group-offsets.ts';
import { coordinatorLostError, createSwappableConsumer, type GroupRequestFault, type ReplacementBudget } from './platformatic-swappable-consumer.ts';

const offsetOutOfRange = 1;

/** Seams for tests; not part of the GroupConsumer contract. */
export interface PlatformaticConsumerSeams {
  /** Makes group requests fail as the broker would answer, e.g. NOT_COORDINATOR (16). */
  groupRequestFault?: GroupRequestFault;
  /** Called with the count each time a library Consumer is made. */
  consumerCreated?: (count: number) => void;
  replacementBudget?: ReplacementBudget;
}

/** Joins the group with @platformatic/kafka and starts delivering batches to `handler`. */
export async function startPlatformaticConsumer(
  connection: BrokerConnectionConfig,
  brokers: string[],
  options: Omit<GroupConsumerOptions, 'kafka'>,
  handler: GroupConsumerHandler,
  seams: PlatformaticConsumerSeams = {},
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
  const member = createSwappableConsumer({
    settings: { ...base, retryDelay: retryDelayMs, groupId, autocommit: false, ...group },
    log,
    budget: seams.replacementBudget,
    fault: seams.groupRequestFault,
    onCreated: (created, count) => {
      created.topics.track(topic);
      listenTo(created);
      seams.consumerCreated?.(count);
    },
    onLost: () => void rejoin(),
  });
  /** The library Consumer in use now; a new one after the coordinator moved. */
  const consumer = (): Consumer => member.current();
  // Fetches wait up to maxWaitTime on the broker: on their own connections, so that they never
  // queue behind a JoinGroup (which waits for the whole group) or hold up a heartbeat or commit.
  const fetchConnections = new ConnectionPool(base.clientId, base);
  const offsets = createGroupOffsets(member, topic);
  const fetcher = createFetcher({
    topic,
    // Wait up to 50 ms for 64 KiB: at low rates this gathers records into real batches instead of
    // one fetch per record, at a bounded cost in latency.
    minBytes: 64 * 1024,
    maxWaitTime: 50,
    // At least the kafkajs member's limits (group-consumer.ts says why they are small), more for
    // large records: see fetchSizeFor.
    maxBytes: fetchLimits.total,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    maxBytesPerPartition: options.maxBytesPerPartition ?? fetchLimits.perPartition,
    fixedPerPartition: options.maxBytesPerPartition !== undefined,
    connectionPool: fetchConnections,
  }, options.reuseFetchBuffers === true ? new ResponseBuffers() : undefined);
  const fetchAll = fetcher.fetch;

  let assigned: number[] = [];
  /** The next offset to fetch, per assigned partition. */
  let positions = new Map<number, bigint>();
  /** Bumped when the group starts rebalancing and when a join completes: work of an older epoch is dropped. */
  let epoch = 0;
  let joinPending = false;
  let stopping = false;
  let wake: () => void = () => undefined;
  const wakeUp = (): void => wake();

  /** Listeners of one library Consumer; a replaced one's events are ignored. */
  function listenTo(instance: Consumer): void {
    const live = (): boolean => instance === member.current() && member.lostCause(instance) === undefined;
    instance.on('consumer:group:rebalance', () => {
      if (!live()) return;
      // Stop fetching until the join completes: what would be fetched now is dropped anyway.
      epoch++;
      positions = new Map();
      log.debug('group rebalancing', { groupId });
    });
    instance.on('consumer:group:join', () => {
      if (!live()) return;
      epoch++;
      joinPending = true;
      wakeUp();
    });
    instance.on('consumer:heartbeat:error', ({ error }) => {
      if (!live()) return;
      // @platformatic/kafka 1.35 stops heartbeating for good after a heartbeat fails on anything
      // but a group error (a broker away for longer than its retries, a request timeout): the
      // member would be dropped from the group at the end of its session and never rejoin. Rejoin
      // instead, as after a rebalance: fetching stops until the join, which restarts the heartbeat.
      log.warn('heartbeat failed; rejoining the group', { groupId, error: asBrokerError(error).message });
      void rejoin();
    });
    // The library emits 'error' when rejoining the group failed for good.
    instance.on('error', (error: Error) => {
      if (live()) fail(asBrokerError(error));
    });
  }

  /**
   * Joins with the current library Consumer; when its coordinator is lost (before or during the
   * join), with a new one, within the replacement budget. A broker that is away is waited for.
   */
  const joinGroup = async (): Promise<void> => {
    const since = Date.now();
    while (!stopping) {
      let instance = consumer();
      if (member.lostCause(instance)) instance = await member.replace();
      try {
        await instance.joinGroup(group);
      } catch (error) {
        // A lost coordinator: the next turn replaces the Consumer. Anything else: only a broker
        // that is away is waited for.
        if (coordinatorLostError(error)) member.reportFailure(instance, error);
        if (member.lostCause(instance)) continue;
        const failure = asBrokerError(error);
        if (!isTransientBrokerError(failure) || Date.now() - since >= defaultMaxOutageMs) {
          throw new Error(`cannot rejoin consumer group ${groupId}: ${failure.message}`, { cause: failure });
        }
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        continue;
      }
      // A Consumer retired during its join returns from joinGroup() as if it had joined.
      if (!member.lostCause(instance)) return;
    }
  };

  let rejoining = false;
  const rejoin = async (): Promise<void> => {
    if (rejoining || stopping) return;
    rejoining = true;
    // As at a rebalance: nothing of the current generation is delivered any more.
    epoch++;
    positions = new Map();
    joinPending = false;
    try {
      await joinGroup();
    } catch (error) {
      fail(asBrokerError(error));
    } finally {
      rejoining = false;
    }
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
      [ListOffsetTimestamps.EARLIEST, ListOffsetTimestamps.LATEST].map((timestamp) => consumer().listOffsets({ topics: [topic], timestamp })),
    );
    const lows = low?.get(topic) ?? [];
    const highs = high?.get(topic) ?? [];
    return new Map(lows.map((offset, partition) => [partition, { low: Number(offset), high: Number(highs[partition] ?? offset) }]));
  };

  /** After a join: the new assignment, its committed offsets, the runtime told, positions set. */
  const takeAssignment = async (): Promise<void> => {
    joinPending = false;
    const joinEpoch = epoch;
    const partitions = [...(consumer().assignments?.find((assignment) => assignment.topic === topic)?.partitions ?? [])].sort((a, b) => a - b);
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

  /** Partitions a fetch was refused for because their position is gone (retention): reset them. */
  const resetOutOfRange = async (error: unknown): Promise<boolean> => {
    const response = (error as { response?: FetchedResponse } | undefined)?.response;
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

  const deliver = async (responses: FetchedResponse[], fetchEpoch: number): Promise<void> => {
    const heartbeat = (): Promise<void> =>
      epoch === fetchEpoch ? Promise.resolve() : Promise.reject(new Error(`consumer group ${groupId} is rebalancing: this batch belongs to the previous generation`));
    for (const response of responses) {
      for (const topicResponse of response.responses) {
        for (const partitionResponse of topicResponse.partitions) {
          if (stopping || epoch !== fetchEpoch) return;
          const partition = partitionResponse.partitionIndex;
          const position = positions.get(partition);
          const { records } = partitionResponse;
          if (position === undefined) continue;
          if (records.length > 0) await handlerStep(() => handler.onBatch(partition, records, partitionResponse.highWatermark, heartbeat));
        }
      }
    }
  };

  /** Hands the handler every batch of `responses` ahead of delivery (GroupConsumerHandler.prepare). */
  const prepare = (responses: FetchedResponse[], fetchEpoch: number): void => {
    if (handler.prepare === undefined || stopping || epoch !== fetchEpoch) return;
    for (const response of responses) {
      for (const topicResponse of response.responses) {
        for (const { partitionIndex, records } of topicResponse.partitions) {
          if (records.length > 0 && positions.has(partitionIndex)) handler.prepare(partitionIndex, records);
        }
      }
    }
  };

  /** The next fetch, in flight while the batches of the previous one are handled. */
  let ahead: { epoch: number; responses: Promise<FetchedResponse[]> } | undefined;

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
        const fetchedAhead = ahead?.epoch === iterationEpoch;
        const responses = await (fetchedAhead && ahead ? ahead.responses : fetchAll(consumer(), assigned, positions));
        ahead = undefined;
        // A fetch made ahead was prepared when it arrived; this one is prepared now.
        if (!fetchedAhead) prepare(responses, iterationEpoch);
        if (stalledSince !== undefined) log.info('consumer fetching again', { groupId, stalledSeconds: Math.round((Date.now() - stalledSince) / 1000) });
        stalledSince = undefined;
        const next = positionsAfter(responses, positions);
        if (!stopping) {
          const responses = fetchAll(consumer(), assigned, next);
          // Awaited at the next turn, or dropped (a rebalance, a stop): never unhandled.
          responses.then((fetched) => prepare(fetched, iterationEpoch)).catch(() => undefined);
          ahead = { epoch: iterationEpoch, responses };
        }
        await deliver(responses, iterationEpoch);
        // Every batch of the fetch is handled (each onBatch awaited, its dead letters sent): no
        // view of its bytes is held any more, and its buffer takes a later fetch. A fetch whose
        // delivery threw or was cut short by a rebalance or a stop is left to the GC instead.
        if (epoch === iterationEpoch && !stopping) fetcher.release(responses);
        if (epoch === iterationEpoch) positions = next;
      } catch (error) {
        ahead = undefined;
        if (stopping) return;
        // A rebalance during the step: its work is void, the next join starts over.
        if (epoch !== iterationEpoch) continue;
        // The runtime's own failure: not retried (kafkajs would restart the member up to three
        // times, rejoining and re-reading from the commits; the runtime stops on it either way).
        if (error instanceof HandlerFailure) return fail(error.cause);
        // The coordinator moved (reading the committed offsets): rejoin() makes a new Consumer
        // and the new join starts over.
        if (coordinatorLostError(error)) continue;
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

  try {
    await joinGroup();
  } catch (error) {
    stopping = true;
    await member.close().catch(() => undefined);
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
      await member.close();
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
