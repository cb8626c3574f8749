/**
 * What the @platformatic/kafka producer and consumer share: the connection options made from the
 * pipeline's broker settings (identity, TLS, SASL, timeouts), and its errors reshaped so that
 * broker-errors.ts classifies them as it does kafkajs' ones.
 */
import { type ConnectionOptions as TlsOptions } from 'node:tls';
import { Admin, type BaseOptions, protocolErrors, protocolErrorsCodesById, type SASLOptions } from '@platformatic/kafka';
import { classifyBrokerError } from './broker-errors.ts';
import { readTlsFiles } from './tls-files.ts';
import { type BrokerConnectionConfig } from './client.ts';

/** Retries of one request (connect, produce, fetch, metadata) before it fails: ~1 min, as kafkajs'. */
const requestRetries = 30;
/** The pause between two of those retries. */
export const retryDelayMs = 2_000;

/** The options every @platformatic/kafka client of the pipeline is made with. */
export function platformaticBaseOptions(config: BrokerConnectionConfig, brokers: string[]): BaseOptions {
  if (brokers.length === 0) throw new Error('cannot create a Kafka client: no broker address given');
  const options: BaseOptions = {
    clientId: config.clientId,
    bootstrapBrokers: brokers,
    // A cold JVM broker or a TLS handshake to a remote cluster can take more than a second.
    connectTimeout: 5_000,
    // Produce and fetch wait for acknowledgements and fetch.max.wait; 30 s as kafkajs.
    requestTimeout: 30_000,
    timeout: 30_000,
    retries: requestRetries,
    retryDelay: retryDelayMs,
    autocreateTopics: false,
  };
  // An empty object is TLS against the system's trusted CAs (typical for a managed cluster).
  const tls: TlsOptions | undefined = readTlsFiles(config.ssl);
  if (tls) options.tls = tls;
  const sasl = saslOptions(config.sasl);
  if (sasl) options.sasl = sasl;
  return options;
}

const badSettingKinds = new Set(['auth', 'tls', 'dns']);

/**
 * One metadata request without retries, before a client is connected for real: the library
 * retries a refused password or a TLS mismatch like an unreachable broker (about a minute), so a
 * setting that cannot work (SASL, TLS, a host name that does not resolve) is failed here at once.
 * Anything else, e.g. a broker that does not answer yet, is left to the client's own retries.
 * Throws the library's error, reshaped by asBrokerError().
 */
export async function failOnBadSettings(config: BrokerConnectionConfig, brokers: string[]): Promise<void> {
  const probe = new Admin({ ...platformaticBaseOptions(config, brokers), retries: 0 });
  try {
    await probe.metadata({ topics: [] });
  } catch (error) {
    const failure = asBrokerError(error);
    if (badSettingKinds.has(classifyBrokerError(failure, brokers).kind)) throw failure;
  } finally {
    await probe.close().catch(() => undefined);
  }
}

function saslOptions(sasl: BrokerConnectionConfig['sasl']): SASLOptions | undefined {
  if (sasl === null) return undefined;
  const { username, password } = sasl;
  switch (sasl.mechanism) {
    case 'plain':
      return { mechanism: 'PLAIN', username, password };
    case 'scram-sha-256':
      return { mechanism: 'SCRAM-SHA-256', username, password };
    case 'scram-sha-512':
      return { mechanism: 'SCRAM-SHA-512', username, password };
  }
}

/**
 * @platformatic/kafka reports a failed operation as an AggregateError of every attempt's error
 * ("produce failed 31 times."), with the socket error as the `cause` of the last one, and says
 * whether an error is worth retrying in `canRetry`. broker-errors.ts reads a `cause` chain and a
 * `retriable` flag (kafkajs' shape): this returns an Error whose chain ends in the last attempt's
 * innermost error, marked `retriable` from `canRetry`.
 */
export function asBrokerError(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  let last: Error = error;
  while (last instanceof AggregateError && last.errors.length > 0) {
    const next: unknown = last.errors[last.errors.length - 1];
    if (!(next instanceof Error)) break;
    last = next;
  }
  const canRetry = (last as Error & { canRetry?: unknown }).canRetry;
  let root: Error = last;
  while (root.cause instanceof Error) root = root.cause;
  if (typeof canRetry === 'boolean' && (root as Error & { retriable?: unknown }).retriable === undefined) {
    Object.defineProperty(root, 'retriable', { value: canRetry, enumerable: false });
  }
  if (last === error) return error;
  return new Error(`${error.message} ${last.message}`, { cause: last });
}

/**
 * A partition error code of a Produce or Fetch answer, by the protocol's own table: its name,
 * whether the request may be tried again, and the protocol's explanation.
 */
export function protocolErrorOf(code: number): { name: string; canRetry: boolean; explanation: string } {
  const name = (protocolErrorsCodesById as Record<number, string | undefined>)[code] ?? `error code ${code}`;
  const known = (protocolErrors as Record<string, { canRetry: boolean; message: string } | undefined>)[name];
  return { name, canRetry: known?.canRetry ?? false, explanation: known?.message ?? '' };
}

/**
 * Partition errors after which the partition's leader may have moved (UNKNOWN_TOPIC_OR_PARTITION,
 * LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH): the
 * next request reads the metadata anew.
 */
export const leaderMovedErrors: ReadonlySet<number> = new Set([3, 5, 6, 74, 75]);
