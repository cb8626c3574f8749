/**
 * The one place a kafkajs client is made: TLS and SASL from the broker config, kafkajs logs routed
 * to our Logger, and a retry policy that gives up instead of restarting forever (kafkajs'
 * default `restartOnFailure` restarts a crashed consumer endlessly, tulios/kafkajs#852, #1721).
 */
import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import { type Logger, type LogFields } from '../logger.ts';

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

/** Tuning knobs; the defaults suit both the local broker and a remote cluster. */
export interface KafkaClientOptions {
  /** Forward kafkajs DEBUG entries (costly: kafkajs builds them for every request). */
  verbose?: boolean;
  /** Retries of one operation (connect, send, fetch metadata) before it fails. Default 5. */
  retries?: number;
  /** How many consumer crashes within `restartWindowMs` are restarted before giving up. Default 3. */
  maxRestarts?: number;
  restartWindowMs?: number;
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
    connectionTimeout: 5_000,
    logLevel: options.verbose ? logLevel.DEBUG : logLevel.INFO,
    logCreator: () => (entry) => forwardKafkaLog(kafkaLog, entry),
    retry: {
      // ~0.3 + 0.6 + 1.2 + 2.4 + 4.8 s: an unreachable broker fails in about 10 s, not minutes.
      retries: options.retries ?? 5,
      initialRetryTime: 300,
      maxRetryTime: 30_000,
      restartOnFailure: createRestartPolicy(kafkaLog, options.maxRestarts ?? 3, options.restartWindowMs ?? 300_000),
    },
  };
  const sasl = saslOptions(config.sasl);
  if (sasl) kafkaConfig.sasl = sasl;
  return new Kafka(kafkaConfig);
}

/**
 * Turns a kafkajs error into one line a user can act on: what failed, then the innermost cause
 * (kafkajs wraps the socket error in one or more "retries exceeded" errors).
 */
export function describeBrokerError(error: unknown, brokers: readonly string[]): string {
  const causes: string[] = [];
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    causes.push(current.message);
  }
  const root = causes.at(-1) ?? String(error);
  const where = brokers.join(',');
  if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|Connection timeout|Connection error/i.test(causes.join(' '))) {
    return `cannot reach the Kafka broker at ${where}: ${root} (is it running? start one with "broker start", or set KAFKA_BROKERS)`;
  }
  if (/SASL|authentication/i.test(root)) return `the Kafka broker at ${where} refused our credentials: ${root}`;
  return `Kafka request to ${where} failed: ${root}`;
}

function tlsOptions(ssl: BrokerConnectionConfig['ssl']): NonNullable<KafkaConfig['ssl']> {
  if (ssl === false) return false;
  const { ca, cert, key } = ssl;
  // No files at all: TLS against the system's trusted CAs (typical for a managed cluster).
  if (ca === undefined && cert === undefined && key === undefined) return true;
  const options: { ca?: string[]; cert?: string; key?: string } = {};
  if (ca !== undefined) options.ca = [readTlsFile('broker.ssl.ca', ca)];
  if (cert !== undefined) options.cert = readTlsFile('broker.ssl.cert', cert);
  if (key !== undefined) options.key = readTlsFile('broker.ssl.key', key);
  return options;
}

function readTlsFile(setting: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${setting} file ${file}: ${(error as Error).message}`, { cause: error });
  }
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

/**
 * Restarts a crashed consumer at most `maxRestarts` times within `windowMs`, then lets it stay
 * down (the consumer emits its CRASH event with `restart: false`, which the runtime turns into an
 * exit with this message) rather than looping forever against a broker that is gone.
 */
export function createRestartPolicy(log: Logger, maxRestarts: number, windowMs: number): (error: Error) => Promise<boolean> {
  const restarts: number[] = [];
  return (error) => {
    const now = Date.now();
    while (restarts.length > 0 && (restarts[0] ?? 0) <= now - windowMs) restarts.shift();
    if (restarts.length >= maxRestarts) {
      log.error('consumer stopped: giving up after repeated failures', {
        error: error.message,
        restarts: restarts.length,
        windowSeconds: Math.round(windowMs / 1000),
      });
      return Promise.resolve(false);
    }
    restarts.push(now);
    log.warn('consumer failed, restarting it', { error: error.message, restart: restarts.length, of: maxRestarts });
    return Promise.resolve(true);
  };
}

// Namespaces whose ERROR entries are per-attempt noise: the operation retries, and if it finally
// fails its error reaches the caller, which reports it once with describeBrokerError().
const retriedNamespaces = new Set(['Connection', 'BrokerPool', 'Cluster']);

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
  switch (entry.level) {
    case logLevel.ERROR:
      if (retriedNamespaces.has(entry.namespace)) log.warn(text, fields);
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
