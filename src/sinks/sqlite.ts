/**
 * The SQLite sink, and the only file that imports better-sqlite3 (the query command reads
 * through `openResultsReader` below). One row per (window, key); a window written again (after
 * a restart re-reads uncommitted records) replaces its rows instead of duplicating them.
 *
 * WAL lets `query` and the sqlite3 shell read while the consumer writes; synchronous=NORMAL in
 * WAL mode still never corrupts the database and only risks the last commits on power loss, a
 * loss the uncommitted Kafka offsets cover.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { type ClosedWindowRows, type Sink, type SinkContext, type SqliteSinkConfig } from './types.ts';

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const BUSY_TIMEOUT_MS = 5_000;
const COLUMNS = ['window_start', 'window_end', 'key', 'total', 'count', 'emitted_at'];

/** Checks a table name and returns it quoted for SQL; table names cannot be bound parameters. */
export function quoteTableName(table: string): string {
  if (!TABLE_NAME.test(table)) {
    throw new Error(`invalid table name ${JSON.stringify(table)}: use letters, digits and _, not starting with a digit, at most 63 characters`);
  }
  return `"${table}"`;
}

/** The SQLite sink is synchronous (better-sqlite3): a write has committed when it returns. */
export interface SqliteSink extends Sink {
  write(windows: readonly ClosedWindowRows[]): void;
  close(): void;
}

/** Opens (creating folders, file, table and indexes as needed) the results database. */
export function createSqliteSink(config: SqliteSinkConfig, context: SinkContext): SqliteSink {
  const table = quoteTableName(config.table);
  const now = context.now ?? Date.now;
  mkdirSync(dirname(config.path), { recursive: true });
  const db = new Database(config.path);
  let upsert: Database.Statement<[number, number, string, number, number, number]>;
  try {
    // First, so that switching to WAL waits for a reader of an older database instead of failing.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const mode: unknown = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') context.log.warn('sqlite sink could not switch to WAL; readers may block writes', { path: config.path, mode });
    db.pragma('synchronous = NORMAL');
    db.exec(`
      CREATE TABLE IF NOT EXISTS ${table} (
        window_start INTEGER NOT NULL,
        window_end   INTEGER NOT NULL,
        key          TEXT    NOT NULL,
        total        NUMERIC NOT NULL,
        count        INTEGER NOT NULL,
        emitted_at   INTEGER NOT NULL,
        PRIMARY KEY (window_start, window_end, key)
      )`);
    // A table of that name made by something else must be reported, not given our indexes.
    const present = new Set(db.prepare<[string], { name: string }>('SELECT name FROM pragma_table_info(?)').all(config.table).map((column) => column.name));
    const missing = COLUMNS.filter((column) => !present.has(column));
    if (missing.length > 0) throw new Error(`table ${config.table} exists without the columns ${missing.join(', ')}`);
    db.exec(`
      -- "Latest window's biggest customers" and "--since" read windows by end, totals descending.
      CREATE INDEX IF NOT EXISTS "${config.table}_by_end_total" ON ${table} (window_end, total DESC);
      -- "One customer's history" reads by key, in window order.
      CREATE INDEX IF NOT EXISTS "${config.table}_by_key_end" ON ${table} (key, window_end);
    `);
    upsert = db.prepare(`
      INSERT INTO ${table} (window_start, window_end, key, total, count, emitted_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (window_start, window_end, key) DO UPDATE SET
        total = excluded.total, count = excluded.count, emitted_at = excluded.emitted_at`);
  } catch (error) {
    db.close();
    throw new Error(`sqlite sink ${config.path}: ${(error as Error).message}`, { cause: error });
  }
  const writeInOneTransaction = db.transaction((windows: readonly ClosedWindowRows[], emittedAt: number) => {
    for (const window of windows) {
      for (const row of window.rows) upsert.run(window.start, window.end, row.key, row.total, row.count, emittedAt);
    }
  });
  context.log.debug('sqlite sink opened', { path: config.path, table: config.table });

  return {
    write(windows) {
      if (!db.open) throw new Error(`sqlite sink ${config.path}: write after close`);
      if (windows.every((window) => window.rows.length === 0)) return;
      writeInOneTransaction(windows, now());
    },
    close() {
      if (db.open) db.close();
    },
  };
}

/** One stored result row, as the query command shows it. */
export interface ResultRow {
  windowStart: number;
  windowEnd: number;
  key: string;
  total: number;
  count: number;
}

/** Which rows to read; all filters combine. */
export interface ResultFilter {
  /** Only this window. */
  window?: { start: number; end: number };
  /** Only this key. */
  key?: string;
  /** Only windows ending at or after this time (epoch ms). */
  endingSince?: number;
  /** At most this many rows per window, the largest totals. */
  top?: number;
}

/** Read-only access to a results table. */
export interface ResultsReader {
  /** The window that ended last, or undefined when there are no results yet. */
  latestWindow(): { start: number; end: number } | undefined;
  /** Matching rows ordered by window end, then total descending, then key. */
  rows(filter: ResultFilter): ResultRow[];
  close(): void;
}

/**
 * Opens an existing results database read-only (throws if the file does not exist). A missing
 * table reads as no results: the consumer creates it on start, which may not have happened yet.
 */
export function openResultsReader(path: string, table: string): ResultsReader {
  const quoted = quoteTableName(table);
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  const tableExists = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(table) !== undefined;
  const columns = 'window_start AS windowStart, window_end AS windowEnd, key, total, count';

  return {
    latestWindow() {
      if (!tableExists) return undefined;
      return db
        .prepare<[], { start: number; end: number }>(`SELECT window_start AS start, window_end AS end FROM ${quoted} ORDER BY window_end DESC, window_start DESC LIMIT 1`)
        .get();
    },
    rows(filter) {
      if (!tableExists) return [];
      const conditions: string[] = [];
      const parameters: Array<number | string> = [];
      if (filter.window !== undefined) {
        conditions.push('window_start = ? AND window_end = ?');
        parameters.push(filter.window.start, filter.window.end);
      }
      if (filter.key !== undefined) {
        conditions.push('key = ?');
        parameters.push(filter.key);
      }
      if (filter.endingSince !== undefined) {
        conditions.push('window_end >= ?');
        parameters.push(filter.endingSince);
      }
      const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
      const order = 'ORDER BY windowEnd, windowStart, total DESC, key';
      let sql = `SELECT ${columns} FROM ${quoted} ${where} ${order}`;
      if (filter.top !== undefined) {
        // Rank inside each window so --top means "the N biggest of every window".
        sql = `SELECT windowStart, windowEnd, key, total, count FROM (
          SELECT ${columns}, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY total DESC, key) AS rank
          FROM ${quoted} ${where}) WHERE rank <= ? ${order}`;
        parameters.push(filter.top);
      }
      return db.prepare<Array<number | string>, ResultRow>(sql).all(...parameters);
    },
    close() {
      db.close();
    },
  };
}
