import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../src/logger.ts';
import { runQueryCommand, type QueryOptions } from '../../src/runtime/query-command.ts';
import { createSqliteSink } from '../../src/sinks/sqlite.ts';

process.env['TZ'] = 'UTC';

const T0 = Date.UTC(2026, 10, 25, 17, 0, 0);
const MINUTE = 60_000;
let dir = '';
let dbPath = '';

void before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'salesflow-query-'));
  dbPath = join(dir, 'results.db');
  const sink = createSqliteSink({ type: 'sqlite', path: dbPath, table: 'results' }, { log: silentLogger, now: () => T0 });
  sink.write([
    { start: T0, end: T0 + MINUTE, rows: [{ key: 'Ann Lee', total: 900, count: 9 }, { key: 'Bo', total: 120.5, count: 2 }] },
    { start: T0 + 10 * MINUTE, end: T0 + 11 * MINUTE, rows: [{ key: 'Ann Lee', total: 1_520, count: 12 }, { key: 'Smith, "Jo"\nJr', total: 1_003, count: 7 }, { key: 'Bo', total: 980, count: 5 }] },
  ]);
  sink.close();
});
void after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function query(options: Partial<QueryOptions>): { code: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const code = runQueryCommand({ dbPath, table: 'results', format: 'table', now: T0 + 11 * MINUTE, ...options }, (line) => out.push(line), (line) => err.push(line));
  return { code, out, err };
}

void describe('runQueryCommand()', () => {
  void test('shows the latest window as an aligned table, biggest totals first', () => {
    assert.deepEqual(query({}), {
      code: 0,
      err: [],
      out: [
        'window start                   window end                     key              total  count',
        '2026-11-25T17:10:00.000+00:00  2026-11-25T17:11:00.000+00:00  Ann Lee           1520     12',
        '2026-11-25T17:10:00.000+00:00  2026-11-25T17:11:00.000+00:00  Smith, "Jo"\\nJr   1003      7',
        '2026-11-25T17:10:00.000+00:00  2026-11-25T17:11:00.000+00:00  Bo                 980      5',
      ],
    });
  });

  void test('limits each window to the biggest N with --top', () => {
    assert.deepEqual(query({ top: 1 }).out, [
      'window start                   window end                     key      total  count',
      '2026-11-25T17:10:00.000+00:00  2026-11-25T17:11:00.000+00:00  Ann Lee   1520     12',
    ]);
  });

  void test("shows one customer's windows in time order with --key", () => {
    assert.deepEqual(query({ key: 'Bo' }).out, [
      'window start                   window end                     key  total  count',
      '2026-11-25T17:00:00.000+00:00  2026-11-25T17:01:00.000+00:00  Bo   120.5      2',
      '2026-11-25T17:10:00.000+00:00  2026-11-25T17:11:00.000+00:00  Bo     980      5',
    ]);
  });

  void test('shows windows that ended within --since, and says so when none did', () => {
    assert.deepEqual(query({ since: 9 * MINUTE, top: 1 }).out.slice(1), ['2026-11-25T17:10:00.000+00:00  2026-11-25T17:11:00.000+00:00  Ann Lee   1520     12']);
    // The bound is inclusive: a window ending exactly 10 minutes ago is in.
    assert.deepEqual(query({ since: 10 * MINUTE, top: 1 }).out.slice(1), [
      '2026-11-25T17:00:00.000+00:00  2026-11-25T17:01:00.000+00:00  Ann Lee    900      9',
      '2026-11-25T17:10:00.000+00:00  2026-11-25T17:11:00.000+00:00  Ann Lee   1520     12',
    ]);
    assert.deepEqual(query({ since: 5 * MINUTE, now: T0 + 60 * MINUTE }), { code: 0, err: [], out: ['no results in windows that ended in the last 5m'] });
    assert.deepEqual(query({ key: 'Nobody' }).out, ['no results for key "Nobody"']);
  });

  void test('prints a JSON array with --json', () => {
    const { code, out } = query({ format: 'json', top: 2 });
    assert.equal(code, 0);
    assert.equal(out.length, 1);
    assert.deepEqual(JSON.parse(out[0] ?? ''), [
      { windowStart: T0 + 10 * MINUTE, windowEnd: T0 + 11 * MINUTE, key: 'Ann Lee', total: 1_520, count: 12 },
      { windowStart: T0 + 10 * MINUTE, windowEnd: T0 + 11 * MINUTE, key: 'Smith, "Jo"\nJr', total: 1_003, count: 7 },
    ]);
  });

  void test('prints CSV with a header and quotes fields that need it with --csv', () => {
    const start = T0 + 10 * MINUTE;
    const end = T0 + 11 * MINUTE;
    assert.deepEqual(query({ format: 'csv' }).out, [
      'window_start,window_end,key,total,count',
      `${start},${end},Ann Lee,1520,12`,
      `${start},${end},"Smith, ""Jo""\nJr",1003,7`,
      `${start},${end},Bo,980,5`,
    ]);
  });

  void test('fails with a clear message and exit 1 when the database does not exist', () => {
    const missing = join(dir, 'none', 'results.db');
    assert.deepEqual(query({ dbPath: missing }), {
      code: 1,
      out: [],
      err: [`query failed: no results database at ${missing}: run the pipeline (or "consume") first to create it`],
    });
  });

  void test('says there are no results yet, and keeps JSON and CSV parseable, for an empty table', () => {
    const emptyPath = join(dir, 'empty.db');
    createSqliteSink({ type: 'sqlite', path: emptyPath, table: 'results' }, { log: silentLogger }).close();
    assert.deepEqual(query({ dbPath: emptyPath }), { code: 0, out: ['no results yet'], err: [] });
    assert.deepEqual(query({ dbPath: emptyPath, format: 'json' }).out, ['[]']);
    assert.deepEqual(query({ dbPath: emptyPath, format: 'csv' }).out, ['window_start,window_end,key,total,count']);
    assert.deepEqual(query({ table: 'not_created_yet' }).out, ['no results yet']);
  });

  void test('rejects a --top that is not a positive integer with exit 2', () => {
    assert.deepEqual(query({ top: 0 }), { code: 2, out: [], err: ['query failed: --top must be a positive integer, got 0'] });
  });
});
