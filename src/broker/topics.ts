/**
 * Topic admin: make sure the pipeline's topics exist before anything produces or consumes.
 * Idempotent: missing topics are created with the requested partition count, existing ones are
 * left exactly as they are (changing partitions would move keys between partitions).
 */
import { type Admin, type Kafka, type PartitionMetadata } from 'kafkajs';
import { type Logger, silentLogger } from '../logger.ts';

/** A topic the caller needs, and how many partitions it gets if it has to be created. */
export interface TopicSpec {
  topic: string;
  partitions: number;
  /** Topic-level configs applied when the topic is created, e.g. `max.message.bytes`. */
  configs?: Record<string, string>;
}

/** What ensureTopics() found or did for one topic. */
export interface EnsuredTopic {
  topic: string;
  /** The topic's actual partition count (may differ from the request for an existing topic). */
  partitions: number;
  created: boolean;
}

/** Options of ensureTopics(). */
export interface EnsureTopicsOptions {
  log?: Logger;
  /** How long to wait for every partition to have a leader. Default 30 s. */
  timeoutMs?: number;
}

/**
 * Creates the missing topics, then waits until metadata shows a leader for every partition of
 * every requested topic, so a producer or consumer started next does not race the creation.
 */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[], options: EnsureTopicsOptions = {}): Promise<EnsuredTopic[]> {
  const log = options.log ?? silentLogger;
  const timeoutMs = options.timeoutMs ?? 30_000;
  for (const spec of specs) {
    if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
      throw new Error(`cannot create topic "${spec.topic}": partitions must be a positive integer, got ${spec.partitions}`);
    }
  }
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = uniqueByTopic(specs).filter((spec) => !existing.has(spec.topic));
    if (missing.length > 0) {
      // Returns false when another client created one of them first; either way they exist now.
      // replicationFactor is left to the broker's default.replication.factor.
      await admin
        .createTopics({
          topics: missing.map((spec) => ({
            topic: spec.topic,
            numPartitions: spec.partitions,
            configEntries: Object.entries(spec.configs ?? {}).map(([name, value]) => ({ name, value })),
          })),
          waitForLeaders: false,
          timeout: timeoutMs,
        })
        .catch((error: Error) => {
          throw new Error(`cannot create topics ${missing.map((spec) => spec.topic).join(', ')}: ${error.message}`, { cause: error });
        });
    }
    const partitions = await waitForLeaders(admin, specs.map((spec) => spec.topic), timeoutMs);
    const created = new Set(missing.map((spec) => spec.topic));
    return uniqueByTopic(specs).map((spec) => {
      const actual = partitions.get(spec.topic) ?? spec.partitions;
      if (created.has(spec.topic)) log.info('topic created', { topic: spec.topic, partitions: actual });
      else if (actual !== spec.partitions) {
        log.warn('topic exists with a different partition count; left as it is', { topic: spec.topic, partitions: actual, configured: spec.partitions });
      }
      return { topic: spec.topic, partitions: actual, created: created.has(spec.topic) };
    });
  } finally {
    await admin.disconnect();
  }
}

/** Deletes topics (tests clean up with it); topics that do not exist are ignored. */
export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  if (topics.length === 0) return;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((topic) => existing.has(topic));
    if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 30_000 });
  } finally {
    await admin.disconnect();
  }
}

/** Polls metadata until every partition of `topics` has a leader; returns partition counts. */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs: number): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs;
  let waitingFor = topics.join(', ');
  for (;;) {
    try {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
      const leaderless = metadata.filter((topic) => topic.partitions.length === 0 || !topic.partitions.every(hasLeader));
      if (leaderless.length === 0) return new Map(metadata.map((topic) => [topic.name, topic.partitions.length]));
      waitingFor = leaderless.map((topic) => topic.name).join(', ');
    } catch (error) {
      // Right after creation the broker may still answer UNKNOWN_TOPIC_OR_PARTITION: keep polling.
      waitingFor = `${topics.join(', ')} (${(error as Error).message})`;
    }
    if (Date.now() >= deadline) throw new Error(`topics have no partition leaders after ${Math.round(timeoutMs / 1000)} s: ${waitingFor}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function hasLeader(partition: PartitionMetadata): boolean {
  return partition.leader >= 0 && partition.partitionErrorCode === 0;
}

function uniqueByTopic(specs: TopicSpec[]): TopicSpec[] {
  const seen = new Map<string, TopicSpec>();
  for (const spec of specs) if (!seen.has(spec.topic)) seen.set(spec.topic, spec);
  return [...seen.values()];
}
