/**
 * Writes closed windows to every sink, with bounded retries. A sink that keeps failing stops the
 * pipeline with a clear error instead of retrying forever: since offsets are only committed after
 * a successful write, a restart after the fault clears completes the results.
 */
import { type Logger } from '../logger.ts';
import { type ClosedWindow } from '../window/types.ts';

/** What the runtime needs of one sink. */
export interface WindowSink {
  write(windows: ClosedWindow[]): Promise<void> | void;
  close(): Promise<void> | void;
}

/** All sinks of a pipeline, written together. */
export interface SinkSet {
  /** Resolves once every sink holds every window; rejects after the retries are spent. */
  write(windows: ClosedWindow[]): Promise<void>;
  close(): Promise<void>;
}

export interface RetryPolicy {
  attempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

const defaultRetry: RetryPolicy = { attempts: 6, firstDelayMs: 200, maxDelayMs: 5_000 };

/** Wraps named sinks into one set. */
export function createSinkSet(
  sinks: Array<{ name: string; sink: WindowSink }>,
  log: Logger,
  retry: RetryPolicy = defaultRetry,
): SinkSet {
  return {
    write: async (windows) => {
      if (windows.length === 0) return;
      for (const { name, sink } of sinks) {
        await withRetries(() => sink.write(windows), retry, (attempt, error, delayMs) =>
          log.warn(`sink ${name} failed, retrying`, { attempt, of: retry.attempts, inMs: delayMs, error: error.message }),
        ).catch((error: unknown) => {
          throw new Error(`sink ${name} failed ${retry.attempts} times: ${(error as Error).message}`);
        });
      }
    },
    close: async () => {
      for (const { name, sink } of sinks) {
        try {
          await sink.close();
        } catch (error) {
          log.warn(`sink ${name} did not close cleanly`, { error: (error as Error).message });
        }
      }
    },
  };
}

async function withRetries(
  action: () => Promise<void> | void,
  retry: RetryPolicy,
  onRetry: (attempt: number, error: Error, delayMs: number) => void,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await action();
      return;
    } catch (error) {
      if (attempt >= retry.attempts) throw error;
      const delayMs = Math.min(retry.maxDelayMs, retry.firstDelayMs * 2 ** (attempt - 1));
      onRetry(attempt, error as Error, delayMs);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
