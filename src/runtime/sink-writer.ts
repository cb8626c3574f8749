/**
 * Writes closed windows to every sink: in chunks, each retried a bounded number of times with
 * backoff, keeping the consumer's group membership alive meanwhile.
 *
 *   windows ─► chunk (≤ maxRowsPerWrite rows, whole windows) ─► sink 1 ─► sink 2 ─► heartbeat ─► next chunk
 *                                                                 └ fails: backoff, retry ─ spent: throw
 *
 * Why:
 * - A sink that keeps failing stops the pipeline with an error naming the sink and the cause
 *   instead of retrying forever. Offsets are committed only after a write resolves, so nothing
 *   unwritten is committed, and a restart after the fault clears completes the results.
 * - kafkajs heartbeats only between batches or when asked (the @platformatic/kafka member on
 *   its own timer, where asking only checks for a rebalance), and this write runs inside a batch:
 *   a write longer than the session timeout would get the member evicted and every partition
 *   reassigned, again and again. So a timer heartbeats while a write is in progress, and the
 *   loop yields between chunks because better-sqlite3 blocks the event loop while it writes.
 *   One chunk of one sink must still take less than the session timeout.
 *
 * Environment, for operators and the fault tests:
 *   SALESFLOW_SINK_ATTEMPTS   attempts per chunk and sink before giving up (default 6)
 *   SALESFLOW_SINK_RETRY_MS   first backoff, doubled after each failure up to 5 s (default 200)
 *   SALESFLOW_SINK_DELAY_MS   test hook: extra time per window a write takes, to play a slow sink
 */
import { type Logger } from '../logger.ts';
import { type SinkWriteHooks } from '../sinks/types.ts';
import { type ClosedWindow } from '../window/types.ts';
import { crashPoint, isCrashPointArmed } from './crash-points.ts';

/** What the runtime needs of one sink. */
export interface WindowSink {
  write(windows: ClosedWindow[], hooks?: SinkWriteHooks): Promise<void> | void;
  close(): Promise<void> | void;
}

/** What the caller of a write can lend it. */
export interface SinkWriteOptions {
  /** The consumer group heartbeat; called during long writes. Its failures are logged, not thrown. */
  heartbeat?: () => Promise<void>;
}

/** All sinks of a pipeline, written together. */
export interface SinkSet {
  /** Resolves once every sink holds every window; rejects after the retries are spent. */
  write(windows: ClosedWindow[], options?: SinkWriteOptions): Promise<void>;
  close(): Promise<void>;
}

/** How hard to try, and the test hook. */
export interface SinkWriterSettings {
  attempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
  /** Rows per sink write at most (whole windows; a bigger window is written alone). */
  maxRowsPerWrite: number;
  /** How often to heartbeat while a write is in progress. */
  heartbeatEveryMs: number;
  /** Test hook (SALESFLOW_SINK_DELAY_MS): added per window to every write. */
  delayPerWindowMs: number;
}

/** The defaults give up after about 6 s of backoff plus the time the attempts themselves take. */
export const defaultSinkWriterSettings: SinkWriterSettings = {
  attempts: 6,
  firstDelayMs: 200,
  maxDelayMs: 5_000,
  maxRowsPerWrite: 20_000,
  heartbeatEveryMs: 1_000,
  delayPerWindowMs: 0,
};

/** The defaults with the environment's overrides (see the module comment). */
export function sinkWriterSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): SinkWriterSettings {
  const read = (name: string, fallback: number, minimum: number): number => {
    const value = Number(env[name]);
    return env[name] && Number.isInteger(value) && value >= minimum ? value : fallback;
  };
  return {
    ...defaultSinkWriterSettings,
    attempts: read('SALESFLOW_SINK_ATTEMPTS', defaultSinkWriterSettings.attempts, 1),
    firstDelayMs: read('SALESFLOW_SINK_RETRY_MS', defaultSinkWriterSettings.firstDelayMs, 0),
    delayPerWindowMs: read('SALESFLOW_SINK_DELAY_MS', 0, 0),
  };
}

/** Wraps named sinks into one set. */
export function createSinkSet(
  sinks: Array<{ name: string; sink: WindowSink }>,
  log: Logger,
  settings: SinkWriterSettings = sinkWriterSettingsFromEnv(),
): SinkSet {
  const hooks: SinkWriteHooks = isCrashPointArmed('mid-text-append') ? { midAppend: () => crashPoint('mid-text-append') } : {};

  const writeWithRetries = async (name: string, sink: WindowSink, windows: ClosedWindow[]): Promise<void> => {
    const startedAt = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        await sink.write(windows, hooks);
        return;
      } catch (error) {
        const cause = describeCause(error);
        if (attempt >= settings.attempts) {
          const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
          throw new Error(
            `sink ${name} failed ${attempt} times in ${seconds} s: ${cause}; ` +
              'no offset was committed past the results it holds, so a restart completes them once the cause is fixed',
            { cause: error },
          );
        }
        const delayMs = Math.min(settings.maxDelayMs, settings.firstDelayMs * 2 ** (attempt - 1));
        log.warn(`sink ${name} failed, retrying`, { attempt, of: settings.attempts, inMs: delayMs, error: cause });
        await sleep(delayMs);
      }
    }
  };

  return {
    write: async (windows, options = {}) => {
      if (windows.length === 0) return;
      const keepAlive = startKeepAlive(options.heartbeat, settings.heartbeatEveryMs, log);
      try {
        for (const chunk of chunksOf(windows, settings.maxRowsPerWrite)) {
          if (settings.delayPerWindowMs > 0) await sleep(settings.delayPerWindowMs * chunk.length);
          for (const { name, sink } of sinks) await writeWithRetries(name, sink, chunk);
          await keepAlive.beat();
        }
      } finally {
        keepAlive.stop();
      }
    },
    close: async () => {
      for (const { name, sink } of sinks) {
        try {
          await sink.close();
        } catch (error) {
          log.warn(`sink ${name} did not close cleanly`, { error: describeCause(error) });
        }
      }
    },
  };
}

/** Consecutive windows, split before a window that would take a chunk over `maxRows`. */
export function chunksOf(windows: ClosedWindow[], maxRows: number): ClosedWindow[][] {
  const chunks: ClosedWindow[][] = [];
  let current: ClosedWindow[] = [];
  let rows = 0;
  for (const window of windows) {
    if (current.length > 0 && rows + window.rows.length > maxRows) {
      chunks.push(current);
      current = [];
      rows = 0;
    }
    current.push(window);
    rows += window.rows.length;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Heartbeats every `everyMs` until stopped, and on demand. A failed heartbeat (the group is
 * rebalancing) does not fail the write: the windows are still right to write, and the commit
 * that follows is the one the rebalance may refuse, which the consumer handles.
 */
function startKeepAlive(heartbeat: (() => Promise<void>) | undefined, everyMs: number, log: Logger): { beat(): Promise<void>; stop(): void } {
  let warned = false;
  const beat = async (): Promise<void> => {
    if (!heartbeat) {
      // Still yield, so timers (status line, monitor) run between synchronous chunks.
      await new Promise((resolve) => setImmediate(resolve));
      return;
    }
    try {
      await heartbeat();
    } catch (error) {
      if (!warned) log.warn('heartbeat failed during a sink write; the group may rebalance', { error: describeCause(error) });
      warned = true;
    }
  };
  const timer = heartbeat ? setInterval(() => void beat(), everyMs) : undefined;
  timer?.unref();
  return { beat, stop: () => clearInterval(timer) };
}

/** The error's message plus its code when the message does not say it (SQLITE_BUSY, EROFS...). */
function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
