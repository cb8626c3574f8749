/**
 * The text sink's progress record, `<file>.progress`: how many bytes of the text file are
 * acknowledged (synced, and reported written to the runtime) and the end of the last window they
 * hold. It is what makes an append-only file exactly-once across kill -9:
 *
 *   append lines ─► datasync text ─► write <file>.progress.tmp ─► sync ─► rename ─► sync folder
 *        │                                                                      │
 *        └─ a crash anywhere before here leaves bytes past `bytes`:             └─ acknowledged
 *           the next open truncates them (torn or unacknowledged tail)
 *
 * The rename replaces the record atomically, so a reader sees the old record or the new one,
 * never half of one; the syncs make the record survive power loss once write() resolved, after
 * which the runtime may commit offsets past those windows.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Logger } from '../logger.ts';

/** What the text file holds for sure. */
export interface TextProgress {
  /** Length of the acknowledged part of the text file, in bytes. */
  bytes: number;
  /** End (epoch ms) of the last window written; -Infinity when none is known. */
  windowEnd: number;
}

const version = 1;

/** Where the record of `textPath` lives. */
export function progressPathOf(textPath: string): string {
  return `${textPath}.progress`;
}

/**
 * Reads the record; undefined when there is none. A record that cannot be read (edited by hand,
 * another version) is reported and ignored: the file is then kept whole, which can repeat lines
 * but never drops any.
 */
export async function readTextProgress(path: string, log: Logger): Promise<TextProgress | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const record = JSON.parse(text) as { v?: unknown; bytes?: unknown; windowEnd?: unknown };
    if (record.v === version && Number.isSafeInteger(record.bytes) && (record.bytes as number) >= 0) {
      const windowEnd = typeof record.windowEnd === 'number' ? record.windowEnd : -Infinity;
      return { bytes: record.bytes as number, windowEnd };
    }
  } catch {
    // Falls through to the warning: the rename makes a torn record impossible, so this is damage.
  }
  log.warn('text sink progress record unreadable; keeping the whole text file', { path });
  return undefined;
}

/** Replaces the record atomically and durably (see the module comment). */
export async function writeTextProgress(path: string, progress: TextProgress): Promise<void> {
  // Per process: two processes appending to one file (unsupported, yet it happens when consumers
  // of one group share a pipeline file) must not rename each other's half-written record away.
  const temporary = `${path}.${process.pid}.tmp`;
  const windowEnd = Number.isFinite(progress.windowEnd) ? progress.windowEnd : null;
  const file = await open(temporary, 'w');
  try {
    await file.writeFile(JSON.stringify({ v: version, bytes: progress.bytes, windowEnd }) + '\n', 'utf8');
    await file.datasync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
  await syncFolder(dirname(path));
}

/** The rename is durable only once the folder's entry is. Linux and macOS can sync a folder. */
async function syncFolder(path: string): Promise<void> {
  let folder;
  try {
    folder = await open(path, 'r');
    await folder.sync();
  } catch (error) {
    // Windows cannot open a folder as a file: there the rename is as durable as it gets.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM') throw error;
  } finally {
    await folder?.close();
  }
}
