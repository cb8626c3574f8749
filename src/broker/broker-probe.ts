/**
 * "Does a broker answer here?" as a real Kafka request (DescribeCluster through kafkajs' admin
 * client), never a port check or a sleep: a JVM broker accepts TCP connections before it can
 * serve metadata, and an unrelated program may hold the port.
 */
import { Kafka, logLevel } from 'kafkajs';

/** Answers `true` when a Kafka-compatible broker at `brokers` returns cluster metadata in time. */
export async function brokerAnswers(brokers: readonly string[], timeoutMs = 2_000): Promise<boolean> {
  return typeof (await describeClusterOnce(brokers, timeoutMs)) !== 'string';
}

/**
 * The cluster id of the broker at `brokers`, or undefined when none answers. Redpanda's ids
 * start with "redpanda.", which tells it apart from Apache Kafka.
 */
export async function clusterIdAt(brokers: readonly string[], timeoutMs = 2_000): Promise<string | undefined> {
  const result = await describeClusterOnce(brokers, timeoutMs);
  return typeof result === 'string' ? undefined : result.clusterId;
}

/** What waitForBroker() needs besides the addresses. */
export interface WaitForBrokerOptions {
  timeoutMs: number;
  /**
   * Called between attempts; returning a string aborts the wait with that reason (e.g. "the
   * broker process exited"), so a crashed start fails at once instead of at the timeout.
   */
  stillStarting?: () => string | undefined;
}

/**
 * Repeats the metadata request until it succeeds; rejects with the last error after `timeoutMs`
 * or as soon as `stillStarting` reports a reason to stop waiting.
 */
export async function waitForBroker(brokers: readonly string[], options: WaitForBrokerOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError = 'no attempt made';
  for (;;) {
    const abort = options.stillStarting?.();
    if (abort !== undefined) throw new Error(abort);
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    const result = await describeClusterOnce(brokers, Math.min(remaining, 2_000));
    if (typeof result !== 'string') return;
    lastError = result;
    // A short pause keeps a refused connection from becoming a busy loop on a 2-core machine.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no answer from ${brokers.join(',')} within ${Math.round(options.timeoutMs / 1000)} s: ${lastError}`);
}

/** One attempt: the cluster id on success, else the error message. */
async function describeClusterOnce(brokers: readonly string[], timeoutMs: number): Promise<{ clusterId: string } | string> {
  const kafka = new Kafka({
    clientId: 'salesflow-probe',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 ? { clusterId: cluster.clusterId } : 'the cluster reports no brokers yet';
  } catch (error) {
    return innermostMessage(error);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function innermostMessage(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
