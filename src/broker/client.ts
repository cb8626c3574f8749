/**
 * The one place a kafkajs client is made: TLS and SASL from the broker config, kafkajs logs routed
 * to our Logger, and a retry policy that gives up instead of restarting forever (kafkajs'
 * default `restartOnFailure` restarts a crashed consumer endlessly, tulios/kafkajs#852, #1721).
 *
 * A broker that goes away and comes back is not a failure: while it is unreachable a crashed
 * consumer is restarted without spending its restart budget, up to `maxOutageMs`; only crashes
 * while the broker answers count towards "3 restarts in 5 minutes, then give up".
 */
import { Kafka, logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import { type Logger, type LogFields, silentLogger } from '../logger.ts';
import { type BrokerProblem, classifyBrokerError, isConnectionProblem } from './broker-errors.ts';
import { readTlsFiles } from './tls-files.ts';

/** The kafkajs client type, re-exported so callers outside src/broker need not import kafkajs. */
export type KafkaClient = Kafka;

/**
 * How to reach the broker; structurally the `broker` section of the resolved PipelineConfig
 * (minus `brokers`, which the caller resolves), declared here so this module does not depend on
 * src/config. TLS file paths are absolute.
 */
export interface BrokerConnectionConfig {
  clientId: string;
  ssl: false | { ca?: string; cert?: string; key?: string };
  sasl: null | {
    mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    username: string;
    password: string;
  };
}

/** How long producer and consumer wait for a broker that went away before giving up. */
export const defaultMaxOutageMs = 10 * 60_000;

/** Tuning knobs; the defaults suit both the local broker and a remote cluster. */
export interface KafkaClientOptions {
  /** Forward kafkajs DEBUG entries (costly: kafkajs builds them for every request). */
  verbose?: boolean;
  /** Retries of one operation (connect, send, fetch, commit) before it fails. Default 30 (~1 min). */
  retries?: number;
  /** TCP (and TLS) connect timeout. Default 5 s. */
  connectionTimeoutMs?: number;
  /** Timeout of one request, and of the SASL exchange. Default kafkajs' (30 s, 10 s for SASL). */
  requestTimeoutMs?: number;
  /** How many consumer crashes within `restartWindowMs` are restarted before giving up. Default 3. */
  maxRestarts?: number;
  restartWindowMs?: number;
  /** How long a crashed consumer keeps being restarted while the broker is unreachable. Default 10 min. */
  maxOutageMs?: number;
}

/** Creates a kafkajs client for `brokers` (host:port) with `config`'s identity, TLS and SASL. */
export function createKafkaClient(
  config: BrokerConnectionConfig,
  brokers: string[],
  log: Logger,
  options: KafkaClientOptions = {},
): KafkaClient {
  if (brokers.length === 0) throw new Error('cannot create a Kafka client: no broker address given');
  const kafkaLog = log.child({ component: 'kafkajs' });
  const kafkaConfig: KafkaConfig = {
    clientId: config.clientId,
    brokers,
    ssl: tlsOptions(config.ssl),
    // A cold JVM broker or a TLS handshake to a remote cluster can take more than kafkajs' 1 s.
    connectionTimeout: options.connectionTimeoutMs ?? 5_000,
    ...(options.requestTimeoutMs === undefined
      ? {}
      : { requestTimeout: options.requestTimeoutMs, authenticationTimeout: options.requestTimeoutMs }),
    logLevel: options.verbose ? logLevel.DEBUG : logLevel.INFO,
    logCreator: () => (entry) => forwardKafkaLog(kafkaLog, entry),
    retry: {
      // ~0.3 + 0.6 + 1.2 + 28 x 2 s: an operation rides out a broker that is away for about a
      // minute (a restart), and once the broker is back nothing waits more than 2 s for its next
      // attempt. Bad settings do not wait that long: verifyBrokerConnection() fails them at start.
      retries: options.retries ?? 30,
      initialRetryTime: 300,
      maxRetryTime: 2_000,
      restartOnFailure: createRestartPolicy(kafkaLog, options.maxRestarts ?? 3, options.restartWindowMs ?? 300_000, {
        // Crashes while the broker is away are waited out, not counted (see the module comment).
        isOutage: async (error) =>
          isConnectionProblem(classifyBrokerError(error, brokers).kind) || isConnectionProblem((await checkBroker(config, brokers))?.kind ?? 'other'),
        maxOutageMs: options.maxOutageMs ?? defaultMaxOutageMs,
      }),
    },
  };
  const sasl = saslOptions(config.sasl);
  if (sasl) kafkaConfig.sasl = sasl;
  return new Kafka(kafkaConfig);
}

/**
 * One health check of the broker with the pipeline's own TLS and SASL settings: a DescribeCluster
 * without retries, bounded by `timeoutMs`. Resolves undefined when the broker answers, else the
 * classified problem (unreachable, dns, tls, auth, other). Never rejects.
 */
export async function checkBroker(config: BrokerConnectionConfig, brokers: readonly string[], timeoutMs = 2_000): Promise<BrokerProblem | undefined> {
  let admin: ReturnType<Kafka['admin']> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const attempt = (async (): Promise<BrokerProblem | undefined> => {
    admin = createKafkaClient(config, [...brokers], silentLogger, { retries: 0, connectionTimeoutMs: timeoutMs, requestTimeoutMs: timeoutMs }).admin();
    await admin.connect();
    await admin.describeCluster();
    return undefined;
  })().catch((error: unknown) => classifyBrokerError(error, brokers));
  // kafkajs bounds each step, but not always their sum (connect, SASL, metadata): cap the whole.
  const deadline = new Promise<BrokerProblem>((resolve) => {
    timer = setTimeout(() => resolve(classifyBrokerError(new Error(`Connection timeout: no answer within ${timeoutMs} ms`), brokers)), timeoutMs * 2);
  });
  try {
    return await Promise.race([attempt, deadline]);
  } catch (error) {
    return classifyBrokerError(error, brokers);
  } finally {
    clearTimeout(timer);
    // Bounded too: a check must never hang the broker watch or a start-up.
    await Promise.race([admin?.disconnect().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }
}

/**
 * Turns a kafkajs error into one line a user can act on: what failed, then the innermost cause
 * (kafkajs wraps the socket error in one or more "retries exceeded" errors), then a hint.
 */
export function describeBrokerError(error: unknown, brokers: readonly string[]): string {
  return classifyBrokerError(error, brokers).message;
}

function tlsOptions(ssl: BrokerConnectionConfig['ssl']): NonNullable<KafkaConfig['ssl']> {
  const contents = readTlsFiles(ssl);
  if (contents === undefined) return false;
  // No files at all: TLS against the system's trusted CAs (typical for a managed cluster).
  return Object.keys(contents).length === 0 ? true : contents;
}

function saslOptions(sasl: BrokerConnectionConfig['sasl']): SASLOptions | undefined {
  if (sasl === null) return undefined;
  const { username, password } = sasl;
  switch (sasl.mechanism) {
    case 'plain':
      return { mechanism: 'plain', username, password };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', username, password };
  }
}

/** How the restart policy tells "the broker is away" from "the consumer keeps failing". */
export interface OutageAwareness {
  /** True when `error` happened because the broker is unreachable (it may come back). */
  isOutage(error: Error): Promise<boolean>;
  /** How long crashes during one outage are restarted without counting. */
  maxOutageMs: number;
  /**
   * Crashes further apart than this belong to different outages. Default 3 min: while the broker
   * stays away the consumer crashes about once a minute (when its ~1 min of retries run out).
   */
  outageGapMs?: number;
  now?: () => number;
}

/**
 * Restarts a crashed consumer at most `maxRestarts` times within `windowMs`, then lets it stay
 * down (the consumer emits its CRASH event with `restart: false`, which the runtime turns into an
 * exit with this message) rather than looping forever against a broker that is gone.
 *
 * With `outage`, a crash while the broker is unreachable is restarted without counting (kafkajs
 * gives up on a dead connection once its retries run out, about once a minute for as long as the
 * broker is away), until one outage has lasted `maxOutageMs`.
 */
export function createRestartPolicy(log: Logger, maxRestarts: number, windowMs: number, outage?: OutageAwareness): (error: Error) => Promise<boolean> {
  const restarts: number[] = [];
  const now = outage?.now ?? Date.now;
  const outageGapMs = outage?.outageGapMs ?? 180_000;
  let outageStartedAt: number | undefined;
  let lastOutageCrashAt = -Infinity;
  return async (error) => {
    if (outage && (await outage.isOutage(error))) {
      const at = now();
      if (outageStartedAt === undefined || at - lastOutageCrashAt > outageGapMs) outageStartedAt = at;
      lastOutageCrashAt = at;
      const seconds = Math.round((at - outageStartedAt) / 1000);
      if (at - outageStartedAt >= outage.maxOutageMs) {
        log.error(`consumer stopped: the broker has been unreachable for ${seconds} s`, { error: error.message });
        return false;
      }
      log.debug('consumer lost the broker; restarting it once the broker is back', { error: error.message, outageSeconds: seconds });
      return true;
    }
    const at = now();
    while (restarts.length > 0 && (restarts[0] ?? 0) <= at - windowMs) restarts.shift();
    if (restarts.length >= maxRestarts) {
      log.error('consumer stopped: giving up after repeated failures', {
        error: error.message,
        restarts: restarts.length,
        windowSeconds: Math.round(windowMs / 1000),
      });
      return false;
    }
    restarts.push(at);
    log.warn('consumer failed, restarting it', { error: error.message, restart: restarts.length, of: maxRestarts });
    return true;
  };
}

// Namespaces whose ERROR entries are per-attempt noise: the operation retries, and if it finally
// fails its error reaches the caller, which reports it once with describeBrokerError(). While the
// broker is away the broker watch (src/runtime/broker-watch.ts) says so once, not per attempt.
const retriedNamespaces = new Set(['Connection', 'BrokerPool', 'Cluster']);

// kafkajs entries that repeat what our own code reports in its words (the restart policy logs each
// consumer restart; the producer logs a stalled send once per stall), or that do not apply:
// the idempotent producer's "Limiting retries..." warning is about resending *other* records with a
// rolled-back sequence, and src/broker/topic-producer.ts resends the same records, one send at a time.
const restatedMessages = [/^Crash: /, /^Restarting the consumer in /, /^Failed to send messages: /, /^Limiting retries for the idempotent producer/];

const droppedLogFields = new Set(['message', 'timestamp', 'logger', 'stack']);

/** Maps one kafkajs log entry onto our Logger; exported for tests. */
export function forwardKafkaLog(log: Logger, entry: LogEntry): void {
  const { message } = entry.log;
  const text = typeof message === 'string' ? message : JSON.stringify(message);
  const fields: LogFields = { namespace: entry.namespace };
  for (const [name, value] of Object.entries(entry.log)) {
    // Stacks are for kafkajs' own debugging; the message and fields say what went wrong.
    if (!droppedLogFields.has(name)) fields[name] = value;
  }
  if (entry.level <= logLevel.WARN && restatedMessages.some((pattern) => pattern.test(text))) {
    log.debug(text, fields);
    return;
  }
  switch (entry.level) {
    case logLevel.ERROR:
      if (retriedNamespaces.has(entry.namespace)) log.debug(text, fields);
      else log.error(text, fields);
      return;
    case logLevel.WARN:
      // The v2 partitioner notice is printed once per producer and says nothing about our data.
      if (text.includes('default partitioner')) log.debug(text, fields);
      else log.warn(text, fields);
      return;
    default:
      // kafkajs INFO is connection and group chatter ("Starting", "Consumer has joined the group").
      log.debug(text, fields);
  }
}
