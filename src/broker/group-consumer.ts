/**
 * A consumer-group member for one topic, behind an interface that knows nothing of kafkajs.
 *
 * Why this shape (see ../shared/broker-notes.md):
 * - Auto-commit is off: the runtime commits only offsets whose windows the sinks already hold,
 *   with the window progress in the commit's metadata.
 * - Offsets are still "resolved" after every batch, because kafkajs fetches from the last
 *   resolved offset; resolving is what moves the fetch position forward.
 * - kafkajs's eager protocol revokes every partition on every rebalance and restarts fetching from
 *   the committed offsets, so after each join the runtime is told the whole new assignment, with
 *   each partition's committed offset and metadata, before the first batch of that generation.
 * - kafkajs silently drops commits once the consumer stops running, so the runtime commits before
 *   calling `stop()`.
 */
import { type Admin, type Consumer, type Kafka, type KafkaMessage } from 'kafkajs';
import { type Logger } from '../logger.ts';

/** One record as the runtime sees it: bytes plus where it came from. */
export interface SourceRecord {
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  /** The Kafka record timestamp, epoch ms. */
  timestamp: number;
  headers: Record<string, string>;
}

/** A partition given to this member, with what the group committed for it. */
export interface PartitionAssignment {
  partition: number;
  /** The committed offset (the next record to read), or undefined when none was committed. */
  committedOffset: number | undefined;
  /** The metadata string committed with that offset. */
  committedMetadata: string | null;
}

/** What the runtime does with the stream. */
export interface GroupConsumerHandler {
  /** Called after every (re)join, before any batch of the new generation is delivered. */
  onAssignment(assignments: PartitionAssignment[]): Promise<void> | void;
  /**
   * One fetched batch of one partition, in offset order. `heartbeat` keeps the membership alive
   * during long work (kafkajs heartbeats only between batches). With `reuseFetchBuffers`, the
   * records' keys and values are only valid until the returned promise settles.
   */
  onBatch(
    partition: number,
    records: SourceRecord[],
    highWatermark: number,
    heartbeat: () => Promise<void>,
  ): Promise<void>;
  /** The consumer stopped on an error it will not recover from. */
  onFatalError(error: Error): void;
  /**
   * Optional: a batch fetched ahead, before it is delivered to onBatch (the same `records` array),
   * or dropped (a rebalance, a stop). The handler may start work on it early; onBatch must not
   * depend on it having been called. Called by the platformatic consumer, which fetches ahead.
   */
  prepare?(partition: number, records: SourceRecord[]): void;
}

/** An offset to commit: `offset` is the next record to read. */
export interface OffsetCommit {
  partition: number;
  offset: number;
  metadata: string;
}

export interface GroupConsumerOptions {
  kafka: Kafka;
  topic: string;
  groupId: string;
  fromBeginning: boolean;
  log: Logger;
  /** Upper bound of one partition's share of a fetch (default fetchLimits.perPartition); a larger record still comes whole. */
  maxBytesPerPartition?: number;
  sessionTimeoutMs?: number;
  /**
   * The handler keeps nothing of a batch's records (their key and value buffers) once its onBatch
   * has settled, or copies it: the client may then put a later fetch's bytes into the same
   * memory (the platformatic consumer does; see ResponseBuffers in platformatic-fetch.ts). Off by
   * default, so that a handler that keeps records (tests, tools) is safe.
   */
  reuseFetchBuffers?: boolean;
}

/** A started consumer-group member. */
export interface GroupConsumer {
  commit(offsets: OffsetCommit[]): Promise<void>;
  /** Partitions currently assigned to this member. */
  assignedPartitions(): number[];
  /** The topic's current end offsets (high watermarks) and start offsets, per partition. */
  partitionOffsets(): Promise<Map<number, { low: number; high: number }>>;
  /** Leaves the group and disconnects. Commit first: commits after this are dropped. */
  stop(): Promise<void>;
}

/** How much one fetch may bring back; see startGroupConsumer for why so little. */
export const fetchLimits = { total: 512 * 1024, perPartition: 128 * 1024 } as const;

/** Joins the group and starts delivering batches to `handler`. */
export async function startGroupConsumer(
  options: GroupConsumerOptions,
  handler: GroupConsumerHandler,
): Promise<GroupConsumer> {
  const { kafka, topic, groupId, log } = options;
  const admin: Admin = kafka.admin();
  const consumer: Consumer = kafka.consumer({
    groupId,
    // SALESFLOW_SESSION_TIMEOUT_MS lets the fault tests provoke a session timeout quickly.
    sessionTimeout: options.sessionTimeoutMs ?? (Number(process.env['SALESFLOW_SESSION_TIMEOUT_MS']) || 30_000),
    heartbeatInterval: 3_000,
    // Small fetches: at most 512 KiB (~3,500 one-sale records), 128 KiB per partition. kafkajs
    // decodes a whole fetch into objects before the first batch is handled, and what is still
    // alive across the awaits of the handler is promoted to V8's old generation: with 8 MiB
    // fetches the consumer's peak RSS was ~300 MB at 1,000 customers, with these ~145 MB, at the
    // same drain speed (bench/run.ts). A record larger than the limits still comes whole: since
    // KIP-74 the broker returns the first record batch whatever its size.
    maxBytesPerPartition: options.maxBytesPerPartition ?? fetchLimits.perPartition,
    maxBytes: fetchLimits.total,
    // Wait up to 50 ms for 64 KiB: at low rates this gathers records into real batches instead of
    // one fetch per record, at a bounded cost in latency.
    minBytes: 64 * 1024,
    maxWaitTimeInMs: 50,
    // Retries and the bounded restart policy come from the client (src/broker/client.ts): a
    // consumer that keeps crashing gives up with a message instead of looping forever. `{}` is
    // needed for that: without a `retry` kafkajs gives the consumer its own 5 retries (~6 s), so
    // a broker restart would crash it and rejoin it as a new member, which waits for the old
    // member's session to expire. With the client's ~1 min of retries it keeps its membership.
    retry: {},
  });

  let assigned: number[] = [];
  // Set synchronously when a join completes; every batch waits for it, so the runtime has rebuilt
  // its state for the new generation before the first record of that generation.
  let assignmentReady: Promise<void> = Promise.resolve();

  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    const partitions = [...(event.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
    assigned = partitions;
    log.info('joined group', { groupId, partitions: partitions.join(',') || 'none' });
    assignmentReady = fetchCommitted(admin, groupId, topic, partitions).then((assignments) =>
      handler.onAssignment(assignments),
    );
    assignmentReady.catch((error: unknown) => handler.onFatalError(asError(error)));
  });
  consumer.on(consumer.events.CRASH, (event) => {
    if (event.payload.restart) {
      // The restart policy (src/broker/client.ts) has already said why, at the right level.
      log.debug('consumer restarting after a retriable error', { error: event.payload.error.message });
      return;
    }
    handler.onFatalError(event.payload.error);
  });

  await admin.connect();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: options.fromBeginning });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 1,
    eachBatch: async (payload) => {
      const { batch } = payload;
      await assignmentReady;
      if (!payload.isRunning() || payload.isStale()) return;
      const records = batch.messages.map((message) => toSourceRecord(batch.partition, message));
      await handler.onBatch(batch.partition, records, Number(batch.highWatermark), () => payload.heartbeat());
      // Moves the fetch position only; nothing is committed because autoCommit is off.
      payload.resolveOffset(batch.lastOffset());
      await payload.heartbeat();
    },
  });

  return {
    commit: async (offsets) => {
      if (offsets.length === 0) return;
      await consumer.commitOffsets(
        offsets.map(({ partition, offset, metadata }) => ({ topic, partition, offset: String(offset), metadata })),
      );
    },
    assignedPartitions: () => [...assigned],
    partitionOffsets: async () => {
      const offsets = await admin.fetchTopicOffsets(topic);
      return new Map(offsets.map((o) => [o.partition, { low: Number(o.low), high: Number(o.high) }]));
    },
    stop: async () => {
      await consumer.disconnect();
      await admin.disconnect();
    },
  };
}

async function fetchCommitted(
  admin: Admin,
  groupId: string,
  topic: string,
  partitions: number[],
): Promise<PartitionAssignment[]> {
  if (partitions.length === 0) return [];
  const [topicOffsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const byPartition = new Map((topicOffsets?.partitions ?? []).map((p) => [p.partition, p]));
  return partitions.map((partition) => {
    const committed = byPartition.get(partition);
    const offset = committed ? Number(committed.offset) : -1;
    return {
      partition,
      committedOffset: offset >= 0 ? offset : undefined,
      committedMetadata: committed?.metadata ?? null,
    };
  });
}

function toSourceRecord(partition: number, message: KafkaMessage): SourceRecord {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? String(value[0]) : String(value);
  }
  return {
    partition,
    offset: Number(message.offset),
    key: message.key,
    value: message.value,
    timestamp: Number(message.timestamp),
    headers,
  };
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
