/**
 * A @platformatic/kafka Consumer that is thrown away and replaced by a fresh one when the group
 * coordinator moves.
 *
 * Why: the library looks the coordinator up once per Consumer and never again. `#coordinatorId`
 * (dist/clients/consumer/consumer.js) is set in #performFindGroupCoordinator, returned as is by
 * #findGroupCoordinator and findGroupCoordinator(), and never cleared. When the coordinator moves
 * (a broker restarts, the leader of the group's __consumer_offsets partition changes), JoinGroup,
 * SyncGroup, Heartbeat and the commits keep going to the old node, which answers NOT_COORDINATOR
 * (16) or COORDINATOR_NOT_AVAILABLE (15), or does not answer at all, and the library retries that
 * for its whole retry budget on the same node. kafkajs and the Java client forget the coordinator
 * and look it up again; here the only way is a new Consumer.
 *
 *   group request fails ─► coordinator lost? ─► retire the Consumer ─► backoff ─► new Consumer ─► join
 *     15 / 16, or the node     (no LeaveGroup: the member          (same member id; it looks
 *     is unreachable while      lives on in the new one)            the coordinator up again)
 *     another broker names
 *     a new coordinator         14 (still loading) is not a move: the library retries it in place
 *
 * The library's retries are watched through its `retryDelay` option, which it calls with the
 * failed operation and error before every retry: the move is noticed at the first failure, not
 * after a minute of retries on the wrong node.
 */
import { type Broker, type CallbackWithPromise, type Connection, Consumer, type ConsumerOptions, ResponseError } from '@platformatic/kafka';
import { type Logger } from '../logger.ts';

/** Protocol error codes of the group coordinator. */
export const coordinatorErrors = { loadInProgress: 14, notAvailable: 15, notCoordinator: 16 } as const;

/** The library's operation ids of requests that go to the group coordinator. */
const groupOperations = new Set(['joinGroup', 'syncGroup', 'heartbeat', 'leaveGroup', 'commit', 'listCommits']);

type ConsumerSettings = ConsumerOptions<Buffer, Buffer, Buffer, Buffer>;

/** How many new Consumers within `windowMs`, each after `backoffMs` doubled per earlier one. */
export interface ReplacementBudget {
  max: number;
  windowMs: number;
  backoffMs: number;
}

/** 5 within 5 minutes, after 0, 1, 2, 4 and 8 s: a few moves in a row are ridden out, a broken cluster is not. */
export const defaultReplacementBudget: ReplacementBudget = { max: 5, windowMs: 5 * 60_000, backoffMs: 1_000 };

/** Test seam: called before each group request is sent; an error code makes it fail as the broker would answer. */
export type GroupRequestFault = (request: { apiKey: number }) => number | undefined;

export interface SwappableConsumerOptions {
  /** What every Consumer is made with; `retryDelay` must be a number, it is wrapped. */
  settings: ConsumerSettings & { retryDelay: number };
  log: Logger;
  /** Prepares a new Consumer (subscriptions, listeners) before it is used; `count` includes it. */
  onCreated(consumer: Consumer, count: number): void;
  /** The current Consumer lost its coordinator and is retired already: call replace(). */
  onLost(cause: Error): void;
  budget?: ReplacementBudget | undefined;
  fault?: GroupRequestFault | undefined;
}

/** One group member over a succession of library Consumers. */
export interface SwappableConsumer {
  current(): Consumer;
  /** Library Consumers made so far, the first included. */
  created(): number;
  /** Why `consumer` was given up, once it was; undefined while it is usable. */
  lostCause(consumer: Consumer): Error | undefined;
  /** A group request sent outside the library (commits, offset reads) failed with `error`. */
  reportFailure(consumer: Consumer, error: unknown): void;
  /**
   * After a loss: waits the backoff and makes the next Consumer, with the same member id. Throws
   * when the budget is spent, naming the coordinator problem.
   */
  replace(): Promise<Consumer>;
  /** Closes the current Consumer, leaving the group. */
  close(): Promise<void>;
}

/** The protocol error saying that the coordinator is elsewhere (15, 16), anywhere in a library error. */
export function coordinatorLostError(error: unknown): Error | null {
  const found = error as { findBy?: (property: string, value: unknown) => Error | null } | undefined;
  if (typeof found?.findBy !== 'function') return null;
  return found.findBy('apiCode', coordinatorErrors.notCoordinator) ?? found.findBy('apiCode', coordinatorErrors.notAvailable);
}

function isNetworkError(error: unknown): boolean {
  const found = error as { findBy?: (property: string, value: unknown) => unknown } | undefined;
  return typeof found?.findBy === 'function' && found.findBy('code', 'PLT_KFK_NETWORK') !== null;
}

/** Makes the first Consumer; see the module comment. */
export function createSwappableConsumer(options: SwappableConsumerOptions): SwappableConsumer {
  const { settings, log } = options;
  const budget = options.budget ?? defaultReplacementBudget;
  const groupId = settings.groupId;
  const lost = new WeakMap<Consumer, Error>();
  const probing = new WeakSet<Consumer>();
  const replacedAt: number[] = [];
  let memberId: string | null = null;
  let created = 0;
  let closed = false;
  let cancelBackoff: () => void = () => undefined;

  const make = (): Consumer => {
    const consumer: Consumer = new Consumer({
      ...settings,
      retryDelay: (client, operationId, _attempt, _retries, error) => {
        // A retired Consumer's leftovers (a heartbeat timer, a request in flight) end at once.
        if (lost.has(client as Consumer)) return 0;
        if (groupOperations.has(operationId)) noticeFailure(client as Consumer, error);
        return settings.retryDelay;
      },
    });
    created++;
    if (options.fault) injectGroupFaults(consumer, options.fault);
    options.onCreated(consumer, created);
    return consumer;
  };
  let current = make();

  /** Stops everything `consumer` does, without LeaveGroup: its member id is rejoined by the next one. */
  const retire = async (consumer: Consumer): Promise<void> => {
    memberId = consumer.memberId ?? memberId;
    // With no member id, leaveGroup() sends nothing, but ends the membership: the join or
    // heartbeat in flight then returns quietly and no heartbeat is scheduled again.
    consumer.memberId = null;
    await new Promise<void>((resolve) => consumer.leaveGroup(true, () => resolve()));
    // Closing aborts the library's pending retries ("Client closed while retrying").
    await consumer.close().catch(() => undefined);
  };

  const lose = (consumer: Consumer, cause: Error): void => {
    if (closed || lost.has(consumer)) return;
    lost.set(consumer, cause);
    // Deferred: the library is in the middle of scheduling a retry when it tells us.
    setImmediate(() => {
      void retire(consumer);
      if (consumer === current) options.onLost(cause);
    });
  };

  /** Asks a broker that answers who the coordinator is now; a different node means it moved. */
  const probe = async (consumer: Consumer, error: Error): Promise<void> => {
    if (probing.has(consumer)) return;
    probing.add(consumer);
    const prober = new Consumer({ ...settings, retries: 0 });
    try {
      const now = await prober.findGroupCoordinator();
      const before = consumer.coordinatorId;
      if (before !== null && now !== before) {
        lose(consumer, new Error(`the group coordinator moved from node ${before} to node ${now}: ${error.message}`, { cause: error }));
      }
    } catch {
      // No broker answers: the cluster is away, not the coordinator moved; the library retries on.
    } finally {
      probing.delete(consumer);
      await prober.close().catch(() => undefined);
    }
  };

  const noticeFailure = (consumer: Consumer, error: unknown): void => {
    if (closed || consumer !== current || lost.has(consumer)) return;
    const moved = coordinatorLostError(error);
    if (moved) {
      lose(consumer, new Error(`the group coordinator refused the group: ${moved.message} (error ${(moved as Error & { apiCode?: number }).apiCode})`, { cause: error }));
    } else if (isNetworkError(error)) {
      void probe(consumer, error as Error);
    }
  };

  return {
    current: () => current,
    created: () => created,
    lostCause: (consumer) => lost.get(consumer),
    reportFailure: noticeFailure,
    replace: async () => {
      const cause = lost.get(current) ?? new Error('the group coordinator was lost');
      const now = Date.now();
      while (replacedAt.length > 0 && now - (replacedAt[0] ?? now) > budget.windowMs) replacedAt.shift();
      if (replacedAt.length >= budget.max) {
        const seconds = Math.round((now - (replacedAt[0] ?? now)) / 1000);
        throw new Error(`cannot stay in consumer group ${groupId}: its coordinator failed again after ${budget.max} rediscoveries in ${seconds} s: ${cause.message}`, { cause });
      }
      const backoff = replacedAt.length === 0 ? 0 : budget.backoffMs * 2 ** (replacedAt.length - 1);
      replacedAt.push(now);
      log.warn('group coordinator lost; looking it up again with a new client', { groupId, backoffMs: backoff, error: cause.message });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoff);
        cancelBackoff = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (closed) throw new Error(`consumer group ${groupId}: the member was stopped while rejoining`);
      current = make();
      current.memberId = memberId;
      return current;
    },
    close: async () => {
      closed = true;
      cancelBackoff();
      if (lost.has(current)) return;
      await current.close();
    },
  };
}

/**
 * The test seam: group requests of `consumer` for which `fault` names an error code fail as the
 * broker's answer would, with the library's own ResponseError (a ProtocolError per error code),
 * without being sent.
 */
function injectGroupFaults(consumer: Consumer, fault: GroupRequestFault): void {
  const pool = consumer.connections;
  // The pool's own get(), kept before it is replaced below.
  const get: (broker: Broker) => Promise<Connection> = pool.get.bind(pool);
  const wrapped = new WeakSet<Connection>();
  const wrap = (connection: Connection): Connection => {
    if (wrapped.has(connection)) return connection;
    wrapped.add(connection);
    const send = connection.send.bind(connection);
    connection.send = (apiKey, apiVersion, createPayload, parser, requestTagged, responseTagged, callback) => {
      const errorCode = fault({ apiKey });
      if (errorCode === undefined) {
        send(apiKey, apiVersion, createPayload, parser, requestTagged, responseTagged, callback);
        return;
      }
      // What the API's response parser throws for a non-zero error code, e.g. heartbeat-v4.js.
      const error = new ResponseError(apiKey, apiVersion, { '/': [errorCode, null] }, { errorCode });
      process.nextTick(() => callback(error, undefined));
    };
    return connection;
  };
  pool.get = ((broker: Broker, callback?: CallbackWithPromise<Connection>) => {
    const connection = get(broker).then(wrap);
    if (!callback) return connection;
    connection.then(
      (value) => callback(null, value),
      (error: unknown) => callback(error as Error, undefined as never),
    );
    return undefined;
  }) as typeof pool.get;
}
