/**
 * The text sink: one line per (window, key) appended to a file, in the original job's layout
 * unless `format` says otherwise. A write() is one append of all its lines followed by a data
 * sync, so a window's lines land together and a resolved write survives a crash.
 */
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DEFAULT_TEXT_FORMAT, compileLineTemplate } from './line-template.ts';
import { type ClosedWindowRows, type Sink, type SinkContext, type TextSinkConfig } from './types.ts';

/** Opens (creating folders and file as needed) the text sink's file for appending. */
export async function createTextSink(config: TextSinkConfig, context: SinkContext): Promise<Sink> {
  let renderLine;
  try {
    renderLine = compileLineTemplate(config.format ?? DEFAULT_TEXT_FORMAT);
  } catch (error) {
    throw new Error(`text sink ${config.path}: ${(error as Error).message}`, { cause: error });
  }
  await mkdir(dirname(config.path), { recursive: true });
  const file = await open(config.path, 'a');
  context.log.debug('text sink opened', { path: config.path });
  let closed = false;

  return {
    async write(windows: readonly ClosedWindowRows[]) {
      if (closed) throw new Error(`text sink ${config.path}: write after close`);
      let text = '';
      for (const window of windows) {
        for (const row of window.rows) {
          text += renderLine({ windowStart: window.start, windowEnd: window.end, key: row.key, total: row.total, count: row.count }) + '\n';
        }
      }
      if (!text) return;
      // FileHandle#appendFile loops until every byte is written; 'a' mode makes it an append.
      await file.appendFile(text, 'utf8');
      await file.datasync();
    },
    async close() {
      if (closed) return;
      closed = true;
      await file.close();
    },
  };
}
