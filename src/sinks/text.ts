/**
 * The text sink: one line per (window, key) appended to a file, in the original job's layout
 * unless `format` says otherwise. A write() is one append of all its lines, a data sync, then an
 * update of the progress record (text-progress.ts), so a window's lines land together and a
 * resolved write survives a crash.
 *
 * Exactly-once across kill -9, for one writing process per file: on open the file is cut back to
 * the acknowledged length (dropping a torn or unacknowledged tail), and windows ending at or
 * before the last acknowledged window are skipped, which are exactly the windows a restarted
 * consumer writes again (it re-emits, with the same rows, the windows after its last commit).
 * Two processes appending to one file (consumers of one group sharing a pipeline file) is not
 * supported: a sink that finds bytes it did not write warns and from then on only appends (never
 * cutting, so at-least-once), but a restart may still cut the other's latest lines. Give each
 * consumer its own path, e.g. `path: results/customers-${CONSUMER_ID}.txt`.
 */
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Logger } from '../logger.ts';
import { DEFAULT_TEXT_FORMAT, compileLineTemplate } from './line-template.ts';
import { progressPathOf, readTextProgress, type TextProgress, writeTextProgress } from './text-progress.ts';
import { type ClosedWindowRows, type Sink, type SinkContext, type SinkWriteHooks, type TextSinkConfig } from './types.ts';

/**
 * Opens (creating folders and file as needed) the text sink's file for appending, and repairs it
 * from its progress record.
 */
export async function createTextSink(config: TextSinkConfig, context: SinkContext): Promise<Sink> {
  const fail = (error: unknown): Error => new Error(`text sink ${config.path}: ${(error as Error).message}`, { cause: error });
  let renderLine;
  try {
    renderLine = compileLineTemplate(config.format ?? DEFAULT_TEXT_FORMAT);
  } catch (error) {
    throw fail(error);
  }
  const progressPath = progressPathOf(config.path);
  let file: FileHandle | undefined;
  let acknowledged: TextProgress;
  try {
    await mkdir(dirname(config.path), { recursive: true });
    file = await open(config.path, 'a');
    acknowledged = await recover(file, progressPath, context.log);
  } catch (error) {
    await file?.close().catch(() => undefined);
    throw fail(error);
  }
  const handle = file;
  context.log.debug('text sink opened', { path: config.path, bytes: acknowledged.bytes, windowEnd: acknowledged.windowEnd });
  let closed = false;
  /** An append was started and not acknowledged: bytes past `acknowledged.bytes` are ours, unfinished. */
  let unfinished = false;
  /** Someone else appends to the file too: from then on only append, never cut anything. */
  let shared = false;

  /** Makes the file's length the acknowledged one before appending; see the module comment. */
  const reconcileLength = async (): Promise<void> => {
    const { size } = await handle.stat();
    if (size === acknowledged.bytes) return;
    if (unfinished && !shared && size > acknowledged.bytes) {
      // What a failed attempt left (e.g. half an append before ENOSPC): the retry rewrites it.
      await handle.truncate(acknowledged.bytes);
      return;
    }
    // Not ours: another process appends to the file, or it was truncated (rotated by copy).
    if (!shared) {
      shared = true;
      context.log.warn('text file changed outside this sink; appending only from now on: exactly-once needs one writer per file', {
        path: config.path,
        expectedBytes: acknowledged.bytes,
        foundBytes: size,
      });
    }
    acknowledged = { ...acknowledged, bytes: size };
  };

  return {
    async write(windows: readonly ClosedWindowRows[], hooks: SinkWriteHooks = {}) {
      if (closed) throw new Error(`text sink ${config.path}: write after close`);
      let text = '';
      let lastEnd = acknowledged.windowEnd;
      for (const window of windows) {
        // Already in the file: written before a crash that came before the offset commit.
        if (window.end <= acknowledged.windowEnd) continue;
        lastEnd = Math.max(lastEnd, window.end);
        for (const row of window.rows) {
          text += renderLine({ windowStart: window.start, windowEnd: window.end, key: row.key, total: row.total, count: row.count }) + '\n';
        }
      }
      if (!text) return;
      const bytes = Buffer.from(text, 'utf8');
      await reconcileLength();
      unfinished = true;
      // FileHandle#appendFile loops until every byte is written; 'a' mode makes it an append.
      if (hooks.midAppend) {
        const half = Math.floor(bytes.length / 2);
        await handle.appendFile(bytes.subarray(0, half));
        hooks.midAppend();
        await handle.appendFile(bytes.subarray(half));
      } else {
        await handle.appendFile(bytes);
      }
      await handle.datasync();
      const next = { bytes: acknowledged.bytes + bytes.length, windowEnd: lastEnd };
      await writeTextProgress(progressPath, next);
      acknowledged = next;
      unfinished = false;
    },
    async close() {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
}

/** What the file holds for sure, after cutting off anything past the acknowledged length. */
async function recover(file: FileHandle, progressPath: string, log: Logger): Promise<TextProgress> {
  const { size } = await file.stat();
  const recorded = await readTextProgress(progressPath, log);
  if (recorded === undefined || size < recorded.bytes) {
    // No record: a new file, or one written before records existed; all of it counts. A record
    // longer than the file describes another file (truncated or replaced since): distrust it.
    if (recorded !== undefined) log.warn('text file is shorter than its progress record; ignoring the record', { path: progressPath, bytes: size, recorded: recorded.bytes });
    // Recorded now, before the first append, so that a crash inside that append is repaired too.
    const fresh = { bytes: size, windowEnd: -Infinity };
    await writeTextProgress(progressPath, fresh);
    return fresh;
  }
  if (size > recorded.bytes) {
    await file.truncate(recorded.bytes);
    await file.datasync();
    log.info('text sink dropped an unfinished append left by a crash', { path: progressPath, bytes: size - recorded.bytes });
  }
  return recorded;
}
