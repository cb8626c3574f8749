/**
 * Sends of an idempotent producer, one at a time, each repeated until the broker acknowledges it
 * or the broker has been away for too long. Used by topic-producer.ts.
 *
 * Why: kafkajs gives up on a send after its retries (reconnecting to a broker that is down fails
 * as soon as the client's retries run out), and rolls the batch's sequence numbers back. Sending
 * the *same* records again reuses those numbers, so a broker that had written the batch before it
 * went down recognises it as a duplicate and nothing is doubled. Two rules keep that true:
 *
 * - One send at a time. With sends in parallel, the next send would take the rolled-back numbers
 *   for *different* records, and a broker that had written the first batch would drop the second
 *   as a duplicate: acknowledged, and lost.
 * - After a send fails for good, every later send fails too, for the same reason.
 */
import { type Logger } from '../logger.ts';
import { isTransientBrokerError } from './broker-errors.ts';

/** Options of createResendingQueue(). */
export interface ResendingQueueOptions {
  log: Logger;
  /** How long one send keeps being repeated while the broker is unreachable. */
  maxOutageMs: number;
  /** Pause between two attempts of a send that failed on a transient error. Default 500 ms. */
  retryDelayMs?: number;
  now?: () => number;
}

/** The queue: `run` one send (repeated as needed); `close` makes waiting sends give up. */
export interface ResendingQueue {
  /** Runs `attempt` after every earlier send has settled, again after each transient failure. */
  run(topic: string, attempt: () => Promise<unknown>): Promise<void>;
  /** A send still waiting for the broker gives up at its next failure instead of holding the exit. */
  close(): void;
}

/** Creates the queue; see the module comment. */
export function createResendingQueue(options: ResendingQueueOptions): ResendingQueue {
  const { log, maxOutageMs } = options;
  const retryDelayMs = options.retryDelayMs ?? 500;
  const now = options.now ?? Date.now;
  let tail: Promise<void> = Promise.resolve();
  let broken: Error | undefined;
  let closed = false;

  const untilAcknowledged = async (topic: string, attempt: () => Promise<unknown>): Promise<void> => {
    if (broken) throw new Error(`the producer stopped after an earlier failure: ${broken.message}`, { cause: broken });
    let stalledSince: number | undefined;
    for (;;) {
      try {
        await attempt();
        if (stalledSince !== undefined) log.info('producer delivering again', { topic, stalledSeconds: Math.round((now() - stalledSince) / 1000) });
        return;
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        const first = stalledSince === undefined;
        stalledSince ??= now();
        const stalledMs = now() - stalledSince;
        if (!isTransientBrokerError(failure) || closed) {
          broken = failure;
          throw failure;
        }
        if (stalledMs >= maxOutageMs) {
          broken = new Error(`the broker was unreachable for ${Math.round(stalledMs / 1000)} s: ${failure.message}`, { cause: failure });
          throw broken;
        }
        if (first) log.warn('producer cannot deliver; sending the same records again until the broker is back', { topic, error: failure.message });
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
      }
    }
  };

  return {
    run: (topic, attempt) => {
      const sending = tail.then(() => untilAcknowledged(topic, attempt));
      tail = sending.catch(() => undefined);
      return sending;
    },
    close: () => {
      closed = true;
    },
  };
}
