/**
 * Committed offsets *with their metadata*, for a @platformatic/kafka consumer-group member.
 *
 * The library's `Consumer.commit()` always sends a null metadata string and
 * `listCommittedOffsets()` returns offsets only, while the runtime keeps its window progress in
 * the commit's metadata. So both requests are sent here with the library's own OffsetCommit and
 * OffsetFetch encoders, to the group coordinator, as this member (its generation and member id):
 * the broker stores exactly what a kafkajs member would have committed, and either client reads
 * the other's commits.
 *
 * The coordinator is the one the member's current library Consumer knows, and that Consumer
 * never looks it up again (platformatic-swappable-consumer.ts): a coordinator error (15, 16) or
 * an unreachable coordinator is reported to the member, which replaces the Consumer, and the
 * request fails instead of being retried on the same node. A commit sent by a Consumer that was
 * replaced meanwhile fails too: it belonged to the previous generation.
 */
import { type Connection, type Consumer, offsetCommitV8, offsetCommitV9, offsetFetchV8, offsetFetchV9 } from '@platformatic/kafka';
import { type OffsetCommit, type PartitionAssignment } from './group-consumer.ts';
import { coordinatorLostError, type SwappableConsumer } from './platformatic-swappable-consumer.ts';

type CommitApi = typeof offsetCommitV9.api | typeof offsetCommitV8.api;
type FetchApi = typeof offsetFetchV9.api | typeof offsetFetchV8.api;

const attempts = 3;

/**
 * Retriable by the library's own flags, in place: not a sign that the member must rejoin first
 * (REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION: the caller treats a refused commit as harmless) nor
 * that the coordinator moved (the member replaces its Consumer). COORDINATOR_LOAD_IN_PROGRESS and
 * a dropped connection are tried again, briefly.
 */
function worthRetrying(error: unknown): boolean {
  const flagged = error as { findBy?: (property: string, value: unknown) => unknown; canRetry?: unknown };
  if (typeof flagged.findBy !== 'function' || coordinatorLostError(error)) return false;
  return flagged.findBy('needsRejoin', true) === null && flagged.findBy('canRetry', false) === null;
}

/** Commits and reads committed offsets of `topic` for `consumer`'s group. */
export interface GroupOffsets {
  commit(offsets: readonly OffsetCommit[]): Promise<void>;
  /** What the group committed for `partitions`, in their order. */
  committed(partitions: readonly number[]): Promise<PartitionAssignment[]>;
}

/** Creates the helper; the protocol versions are chosen once, from the broker's ApiVersions. */
export function createGroupOffsets(member: Pick<SwappableConsumer, 'current' | 'lostCause' | 'reportFailure'>, topic: string): GroupOffsets {
  let apis: Promise<{ commit: CommitApi; fetch: FetchApi }> | undefined;
  const chooseApis = async (): Promise<{ commit: CommitApi; fetch: FetchApi }> => {
    const supported = await member.current().listApis();
    const highest = (key: number): number => supported.find((api) => api.apiKey === key)?.maxVersion ?? -1;
    const commit = highest(offsetCommitV9.api.key) >= 9 ? offsetCommitV9.api : offsetCommitV8.api;
    const fetch = highest(offsetFetchV9.api.key) >= 9 ? offsetFetchV9.api : offsetFetchV8.api;
    return { commit, fetch };
  };
  const coordinator = async (consumer: Consumer): Promise<Connection> => {
    const nodeId = await consumer.findGroupCoordinator();
    const metadata = await consumer.metadata({ topics: [topic] });
    const broker = metadata.brokers.get(nodeId);
    if (!broker) throw new Error(`the group coordinator (node ${nodeId}) is not in the cluster's metadata`);
    return consumer.connections.get(broker);
  };
  /** `request` to the coordinator of `consumer`, tried again in place when worth it. */
  const withRetries = async <T>(consumer: Consumer, request: (connection: Connection) => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await request(await coordinator(consumer));
      } catch (error) {
        if (attempt >= attempts || !worthRetrying(error)) {
          member.reportFailure(consumer, error);
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
      }
    }
  };
  const rejoining = (consumer: Consumer): Error =>
    new Error(`the member is rejoining consumer group ${consumer.groupId} after losing its coordinator`, { cause: member.lostCause(consumer) });

  return {
    commit: async (offsets) => {
      if (offsets.length === 0) return;
      const consumer = member.current();
      // A new Consumer that has not joined yet has no generation to commit in.
      if (consumer.generationId <= 0 || member.lostCause(consumer)) throw rejoining(consumer);
      apis ??= chooseApis();
      const { commit } = await apis;
      const partitions = offsets.map(({ partition, offset, metadata }) => ({
        partitionIndex: partition,
        committedOffset: BigInt(offset),
        committedLeaderEpoch: -1,
        committedMetadata: metadata,
      }));
      await withRetries(consumer, (connection) =>
        commit.async(connection, consumer.groupId, consumer.generationId, consumer.memberId ?? '', null, [{ name: topic, partitions }]),
      );
      if (consumer !== member.current() || member.lostCause(consumer)) throw rejoining(consumer);
    },
    committed: async (partitions) => {
      if (partitions.length === 0) return [];
      const consumer = member.current();
      apis ??= chooseApis();
      const { fetch } = await apis;
      const response = await withRetries(consumer, (connection) =>
        fetch.async(connection, [{ groupId: consumer.groupId, memberId: null, memberEpoch: -1, topics: [{ name: topic, partitionIndexes: [...partitions] }] }], false),
      );
      const found = response.groups[0]?.topics.find((entry) => entry.name === topic)?.partitions ?? [];
      const byPartition = new Map(found.map((entry) => [entry.partitionIndex, entry]));
      return partitions.map((partition) => {
        const entry = byPartition.get(partition);
        const offset = entry === undefined ? -1 : Number(entry.committedOffset);
        return {
          partition,
          committedOffset: offset >= 0 ? offset : undefined,
          // The broker answers "" for a partition without a commit; kafkajs surfaces null.
          committedMetadata: offset >= 0 ? (entry?.metadata ?? null) : null,
        };
      });
    },
  };
}
