import assert from 'node:assert/strict';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../src/logger.ts';
import { createSinks, sinks } from '../../src/sinks/registry.ts';
import { openResultsReader } from '../../src/sinks/sqlite.ts';

let dir = '';
void before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'salesflow-registry-'));
});
void after(async () => {
  await rm(dir, { recursive: true, force: true });
});

void describe('sink registry', () => {
  void test('has a factory for every sink type', () => {
    assert.deepEqual(Object.keys(sinks).sort(), ['sqlite', 'text']);
  });

  void test('createSinks() builds every configured sink, named by type and path, in order', async () => {
    const textPath = join(dir, 'out', 'results.txt');
    const dbPath = join(dir, 'out', 'results.db');
    const built = await createSinks(
      [
        { type: 'text', path: textPath, format: '{key}={total}' },
        { type: 'sqlite', path: dbPath, table: 'results' },
      ],
      { log: silentLogger },
    );
    assert.deepEqual(built.map((entry) => entry.name), [`text ${textPath}`, `sqlite ${dbPath}`]);
    const window = { start: 0, end: 60_000, rows: [{ key: 'Ann', total: 5, count: 1 }] };
    for (const { sink } of built) await sink.write([window]);
    for (const { sink } of built) await sink.close();
    assert.equal(await readFile(textPath, 'utf8'), 'Ann=5\n');
    const reader = openResultsReader(dbPath, 'results');
    assert.deepEqual(reader.rows({}), [{ windowStart: 0, windowEnd: 60_000, key: 'Ann', total: 5, count: 1 }]);
    reader.close();
  });

  void test('createSinks() reports the failing sink after building the ones before it', async () => {
    const textPath = join(dir, 'first.txt');
    await assert.rejects(
      createSinks(
        [
          { type: 'text', path: textPath },
          { type: 'sqlite', path: join(dir, 'second.db'), table: '1bad' },
        ],
        { log: silentLogger },
      ),
      { message: 'invalid table name "1bad": use letters, digits and _, not starting with a digit, at most 63 characters' },
    );
    await access(textPath);
  });
});
