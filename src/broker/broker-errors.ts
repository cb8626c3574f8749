/**
 * What went wrong talking to the broker, in words a user can act on. kafkajs wraps the socket or
 * protocol error in one or more "retries exceeded" errors; the kind is read from the whole chain.
 *
 * The kinds decide what the runtime does:
 *   unreachable  the broker is away (refused, reset, timed out): wait for it, it may come back
 *   dns          the host name does not resolve: a bad setting, fail at once
 *   tls          the TLS handshake failed (e.g. TLS to a plaintext port): a bad setting
 *   auth         SASL refused (wrong password, mechanism): a bad setting
 *   other        anything else (a protocol error, a bug)
 */

/** The class of a broker failure; see the module comment. */
export type BrokerProblemKind = 'unreachable' | 'dns' | 'tls' | 'auth' | 'other';

/** A classified failure: its kind, the innermost message, and one line saying what to do. */
export interface BrokerProblem {
  kind: BrokerProblemKind;
  /** The innermost error message (the socket or protocol error). */
  cause: string;
  /** One line for the user: what failed, then the detail after a colon, then a hint. */
  message: string;
}

const unreachableNames = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSBrokerNotFound',
]);
const unreachablePattern = /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL|Connection timeout|Connection error|Connection closed|socket hang up|Request .* timed out|No broker available/i;
const dnsPattern = /ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_FAIL|getaddrinfo/i;
// Node's messages for a TLS client that meets a plaintext server, and for certificate problems.
const tlsPattern = /before secure TLS connection was established|wrong version number|packet length too long|SSL routines|ERR_SSL|EPROTO|certificate|self[- ]signed|Hostname\/IP does not match|unable to (get|verify)/i;
const authNames = new Set(['KafkaJSSASLAuthenticationError']);
const authPattern = /SASL|authentication failed|Authentication failed|ILLEGAL_SASL_STATE|UNSUPPORTED_SASL_MECHANISM/i;
// A plaintext listener answers a SASL handshake with ILLEGAL_SASL_STATE.
const saslOnPlaintextPattern = /ILLEGAL_SASL_STATE|not valid given the current SASL state/i;
// A TLS or SASL listener drops a client that speaks plain Kafka to it, right after connecting.
const droppedPattern = /Closed connection|Connection closed/i;

/** Classifies `error` (any value) as a broker problem and phrases it for `brokers`. */
export function classifyBrokerError(error: unknown, brokers: readonly string[]): BrokerProblem {
  const chain = errorChain(error);
  const names = chain.map((entry) => entry.name);
  const text = chain.map((entry) => entry.message).join(' | ');
  // kafkajs prefixes socket errors with "Connection error: "; the kind already says as much.
  const cause = (chain.at(-1)?.message ?? String(error)).replace(/^Connection error: /, '');
  const where = brokers.join(',');
  if (saslOnPlaintextPattern.test(text)) {
    return {
      kind: 'auth',
      cause,
      message: `the Kafka broker at ${where} does not expect SASL on this port: ${cause} (broker.sasl is set: is this port a SASL listener?)`,
    };
  }
  if (names.some((name) => authNames.has(name)) || authPattern.test(text)) {
    return {
      kind: 'auth',
      cause,
      message: `authentication failed at the Kafka broker ${where}: ${cause} (check broker.sasl: mechanism, username and password)`,
    };
  }
  if (dnsPattern.test(text)) {
    return { kind: 'dns', cause, message: `cannot resolve host ${hostsOf(brokers)}: ${cause} (check broker.brokers or KAFKA_BROKERS)` };
  }
  if (tlsPattern.test(text)) {
    return {
      kind: 'tls',
      cause,
      message: `TLS handshake with the Kafka broker at ${where} failed: ${cause} (broker.ssl is set: is this port a TLS listener, and is its certificate trusted?)`,
    };
  }
  if (droppedPattern.test(cause)) {
    return {
      kind: 'unreachable',
      cause,
      message: `the Kafka broker at ${where} closed the connection: ${cause} (if this listener requires TLS or SASL, set broker.ssl or broker.sasl)`,
    };
  }
  if (names.some((name) => unreachableNames.has(name)) || unreachablePattern.test(text)) {
    return {
      kind: 'unreachable',
      cause,
      message: `cannot reach the Kafka broker at ${where}: ${cause} (is it running? start one with "broker start", or set KAFKA_BROKERS)`,
    };
  }
  return { kind: 'other', cause, message: `Kafka request to ${where} failed: ${cause}` };
}

/**
 * True for the kinds that, once the pipeline has been connected, mean "the broker is away for
 * now": a refused or dropped connection, but also a name that stops resolving or a handshake cut
 * short while a broker (or its container) restarts. At start-up only `unreachable` is waited for;
 * dns and tls then mean a bad setting (see verifyBrokerConnection()).
 */
export function isConnectionProblem(kind: BrokerProblemKind): boolean {
  return kind === 'unreachable' || kind === 'dns' || kind === 'tls';
}

/**
 * True when `error` means "the broker is away or busy for now" rather than "this can never work":
 * a connection problem, or a protocol error kafkajs marks retriable (leader election, coordinator
 * loading after a restart). Resending the same records to an idempotent producer is safe then.
 */
export function isTransientBrokerError(error: unknown): boolean {
  const root = errorChain(error).at(-1);
  if (root === undefined) return false;
  const { kind } = classifyBrokerError(error, []);
  return isConnectionProblem(kind) || (kind === 'other' && root.retriable === true);
}

interface ChainEntry {
  name: string;
  message: string;
  retriable: boolean | undefined;
}

/** The error and its causes, outermost first; a socket error's `code` is kept in the message. */
function errorChain(error: unknown): ChainEntry[] {
  const chain: ChainEntry[] = [];
  const seen = new Set<unknown>();
  for (let current: unknown = error; current instanceof Error && !seen.has(current); current = current.cause) {
    seen.add(current);
    const { code, retriable } = current as Error & { code?: unknown; retriable?: unknown };
    const message = typeof code === 'string' && !current.message.includes(code) ? `${current.message} (${code})` : current.message;
    chain.push({ name: current.name, message, retriable: typeof retriable === 'boolean' ? retriable : undefined });
  }
  if (chain.length === 0 && error !== undefined) {
    chain.push({ name: 'unknown', message: typeof error === 'string' ? error : JSON.stringify(error) ?? 'unknown error', retriable: undefined });
  }
  return chain;
}

/** "a.example:9092,b.example:9092" -> "a.example, b.example" (the part that failed to resolve). */
function hostsOf(brokers: readonly string[]): string {
  const hosts = [...new Set(brokers.map((broker) => broker.replace(/:\d+$/, '')))];
  return hosts.join(', ') || '(no host)';
}
