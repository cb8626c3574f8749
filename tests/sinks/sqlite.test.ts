import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { silentLogger } from '../../src/logger.ts';
import { createSqliteSink, openResultsReader } from '../../src/sinks/sqlite.ts';
import { type ClosedWindowRows, type WindowRow } from '../../src/sinks/types.ts';

let dir = '';
void before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'salesflow-sqlite-'));
});
void after(async () => {
  await rm(dir, { recursive: true, force: true });
});

let clock = 1_000;
const context = { log: silentLogger, now: () => clock };
const window = (start: number, rows: WindowRow[]): ClosedWindowRows => ({ start, end: start + 60_000, rows });

function readAll(path: string, sql: string): unknown[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

void describe('sqlite sink', () => {
  void test('creates folders, the table with its columns and key, the indexes, and uses WAL', () => {
    const path = join(dir, 'nested', 'results.db');
    createSqliteSink({ type: 'sqlite', path, table: 'high_volume' }, context).close();
    const columns = readAll(path, "SELECT name, type, \"notnull\", pk FROM pragma_table_info('high_volume') ORDER BY cid");
    assert.deepEqual(columns, [
      { name: 'window_start', type: 'INTEGER', notnull: 1, pk: 1 },
      { name: 'window_end', type: 'INTEGER', notnull: 1, pk: 2 },
      { name: 'key', type: 'TEXT', notnull: 1, pk: 3 },
      { name: 'total', type: 'NUMERIC', notnull: 1, pk: 0 },
      { name: 'count', type: 'INTEGER', notnull: 1, pk: 0 },
      { name: 'emitted_at', type: 'INTEGER', notnull: 1, pk: 0 },
    ]);
    const indexes = readAll(path, "SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name");
    assert.deepEqual(indexes, [{ name: 'high_volume_by_end_total' }, { name: 'high_volume_by_key_end' }]);
    assert.deepEqual(readAll(path, 'PRAGMA journal_mode'), [{ journal_mode: 'wal' }]);
  });

  void test('writes a window again as an update: one row per key with the latest values', () => {
    const path = join(dir, 'upsert.db');
    const sink = createSqliteSink({ type: 'sqlite', path, table: 'results' }, context);
    clock = 1_000;
    sink.write([window(0, [{ key: 'Ann', total: 10, count: 1 }, { key: 'Bo', total: 7.5, count: 2 }])]);
    clock = 2_000;
    sink.write([window(0, [{ key: 'Ann', total: 12, count: 2 }])]);
    sink.close();
    assert.deepEqual(readAll(path, 'SELECT window_start, window_end, key, total, count, emitted_at FROM results ORDER BY key'), [
      { window_start: 0, window_end: 60_000, key: 'Ann', total: 12, count: 2, emitted_at: 2_000 },
      { window_start: 0, window_end: 60_000, key: 'Bo', total: 7.5, count: 2, emitted_at: 1_000 },
    ]);
  });

  void test('writes all windows of one write() in one transaction: a failing row leaves none', () => {
    const path = join(dir, 'atomic.db');
    const sink = createSqliteSink({ type: 'sqlite', path, table: 'results' }, context);
    const broken = { key: null, total: 1, count: 1 } as unknown as WindowRow;
    assert.throws(() => sink.write([window(0, [{ key: 'Ann', total: 10, count: 1 }]), window(10_000, [broken])]), /NOT NULL/);
    sink.write([window(20_000, [{ key: 'Cy', total: 3, count: 1 }])]);
    sink.close();
    assert.deepEqual(readAll(path, 'SELECT key FROM results'), [{ key: 'Cy' }]);
  });

  void test('rejects an unsafe table name and a table with other columns', () => {
    assert.throws(() => createSqliteSink({ type: 'sqlite', path: join(dir, 'bad.db'), table: 'x; DROP TABLE y' }, context), {
      message: 'invalid table name "x; DROP TABLE y": use letters, digits and _, not starting with a digit, at most 63 characters',
    });
    const path = join(dir, 'foreign.db');
    const db = new Database(path);
    db.exec('CREATE TABLE results (id INTEGER PRIMARY KEY, window_end INTEGER, total REAL, key TEXT)');
    db.close();
    assert.throws(() => createSqliteSink({ type: 'sqlite', path, table: 'results' }, context), {
      message: `sqlite sink ${path}: table results exists without the columns window_start, count, emitted_at`,
    });
    assert.deepEqual(readAll(path, "SELECT name FROM sqlite_schema WHERE type = 'index'"), []);
  });

  void test('refuses writes after close, and close twice is harmless', () => {
    const sink = createSqliteSink({ type: 'sqlite', path: join(dir, 'closed.db'), table: 'results' }, context);
    sink.close();
    sink.close();
    assert.throws(() => sink.write([window(0, [{ key: 'Ann', total: 1, count: 1 }])]), /write after close/);
  });
});

void describe('openResultsReader()', () => {
  void test('finds the latest window and filters rows by window, key, end time and top', () => {
    const path = join(dir, 'reader.db');
    const sink = createSqliteSink({ type: 'sqlite', path, table: 'results' }, context);
    sink.write([
      window(0, [{ key: 'Ann', total: 10, count: 1 }, { key: 'Bo', total: 30, count: 3 }, { key: 'Cy', total: 20, count: 2 }]),
      window(10_000, [{ key: 'Ann', total: 40, count: 4 }, { key: 'Bo', total: 5, count: 1 }]),
    ]);
    sink.close();
    const reader = openResultsReader(path, 'results');
    try {
      assert.deepEqual(reader.latestWindow(), { start: 10_000, end: 70_000 });
      assert.deepEqual(reader.rows({ window: { start: 0, end: 60_000 }, top: 2 }).map((row) => row.key), ['Bo', 'Cy']);
      assert.deepEqual(reader.rows({ key: 'Ann' }).map((row) => row.total), [10, 40]);
      assert.deepEqual(reader.rows({ endingSince: 65_000 }).map((row) => row.key), ['Ann', 'Bo']);
      assert.deepEqual(reader.rows({ top: 1 }), [
        { windowStart: 0, windowEnd: 60_000, key: 'Bo', total: 30, count: 3 },
        { windowStart: 10_000, windowEnd: 70_000, key: 'Ann', total: 40, count: 4 },
      ]);
    } finally {
      reader.close();
    }
  });
});
