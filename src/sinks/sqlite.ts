/**
 * The SQLite sink, and the only file that imports better-sqlite3 (the query command reads
 * through `openResultsReader` below). One row per (window, key); a write() is one transaction,
 * and a window written again (after a restart re-reads uncommitted records, with the same rows)
 * replaces its rows instead of duplicating them, so the table is exactly-once by upsert.
 *
 * WAL lets `query` and the sqlite3 shell read while the consumer writes. synchronous=FULL makes
 * a commit durable when write() returns: the runtime commits Kafka offsets right after, so a
 * commit that power loss could roll back (NORMAL's risk) would be a window lost for good.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { type ClosedWindowRows, type Sink, type SinkContext, type SqliteSinkConfig } from './types.ts';

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** Opening may wait for a reader of an older, non-WAL database to finish. */
const BUSY_TIMEOUT_MS = 5_000;
/**
 * A write blocked by another process's lock gives up sooner: the wait is synchronous (no Kafka
 * heartbeats meanwhile), and the sink writer retries with backoff around it.
 */
const WRITE_BUSY_TIMEOUT_MS = 1_000;
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
  const fail = (error: unknown): Error => new Error(`sqlite sink ${config.path}: ${(error as Error).message}`, { cause: error });
  let db: Database.Database;
  try {
    mkdirSync(dirname(config.path), { recursive: true });
    db = new Database(config.path);
  } catch (error) {
    throw fail(error);
  }
  let upsert: Database.Statement<[number, number, string, number, number, number]>;
  try {
    // First, so that switching to WAL waits for a reader of an older database instead of failing.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const mode: unknown = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') context.log.warn('sqlite sink could not switch to WAL; readers may block writes', { path: config.path, mode });
    db.pragma('synchronous = FULL');
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
    db.pragma(`busy_timeout = ${WRITE_BUSY_TIMEOUT_MS}`);
  } catch (error) {
    db.close();
    throw fail(error);
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
      assertStillWritable(config.path);
      // BEGIN IMMEDIATE takes the write lock first, so a lock held elsewhere is waited for
      // (busy_timeout) instead of failing midway with a snapshot that can no longer write.
      writeInOneTransaction.immediate(windows, now());
    },
    close() {
      if (!db.open) return;
      try {
        assertStillWritable(config.path);
      } catch (error) {
        // Closing checkpoints, which writes: leave the files as a crash would, which SQLite repairs.
        context.log.warn('sqlite sink left unclosed: its files are not writable', { path: config.path, error: (error as Error).message });
        return;
      }
      db.close();
    },
  };
}

/**
 * SQLite maps `<db>-shm` into memory and writes to it on every commit and on close; if the files
 * became read-only meanwhile (chattr +i, a filesystem remounted read-only after an I/O error),
 * that write faults with SIGBUS and kills the process without a word. Checking first turns it
 * into an ordinary error (EPERM, EROFS) that the sink writer retries and then reports.
 */
function assertStillWritable(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      accessSync(file, constants.W_OK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
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
