/**
 * The text sink's exactly-once repair, without a broker: a crash is played by abandoning a sink
 * mid-write (a throwing `midAppend` hook leaves half an append, as kill -9 would) and opening the
 * file again, as a restarted consumer does.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { appendFile, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import { createLogger, silentLogger } from '../../src/logger.ts';
import { createTextSink } from '../../src/sinks/text.ts';
import { type ClosedWindowRows } from '../../src/sinks/types.ts';

const window = (end: number, ...keys: string[]): ClosedWindowRows => ({
  start: end - 2_000,
  end,
  rows: keys.map((key, index) => ({ key, total: 100 - index, count: 1 })),
});
const w1 = window(1_000, 'Ann', 'Bo');
const w2 = window(2_000, 'Cy');
const w3 = window(3_000, 'Di', 'Ed');
const format = '{windowEnd} {key}';

let dir = '';
let path = '';
void beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'salesflow-text-progress-'));
  path = join(dir, 'out.txt');
});
void after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const open = (log = silentLogger) => createTextSink({ type: 'text', path, format }, { log });
const crashMidAppend = {
  midAppend: () => {
    throw new Error('killed mid-append');
  },
};

void describe('text sink exactly-once', () => {
  void test('skips windows it already holds, so windows written again after a restart appear once', async () => {
    const first = await open();
    await first.write([w1, w2]);
    // The process dies before the offset commit; the restarted consumer re-emits w1 and w2.
    const second = await open();
    await second.write([w1, w2, w3]);
    await second.write([w3]);
    await second.close();
    assert.equal(await readFile(path, 'utf8'), '1000 Ann\n1000 Bo\n2000 Cy\n3000 Di\n3000 Ed\n');
  });

  void test('drops a torn last line when opened again, then writes the window whole', async () => {
    const first = await open();
    await first.write([w1]);
    await assert.rejects(Promise.resolve(first.write([w2, w3], crashMidAppend)), /killed mid-append/);
    assert.match(await readFile(path, 'utf8'), /^1000 Ann\n1000 Bo\n2000 Cy\n3000$/);
    const second = await open();
    await second.write([w2, w3]);
    await second.close();
    assert.equal(await readFile(path, 'utf8'), '1000 Ann\n1000 Bo\n2000 Cy\n3000 Di\n3000 Ed\n');
  });

  void test('repairs a crash inside the very first append to a new file', async () => {
    const first = await open();
    await assert.rejects(Promise.resolve(first.write([w1], crashMidAppend)));
    const second = await open();
    await second.write([w1]);
    await second.close();
    assert.equal(await readFile(path, 'utf8'), '1000 Ann\n1000 Bo\n');
  });

  void test('a retry in the same process rewrites an unfinished append instead of adding to it', async () => {
    const sink = await open();
    await sink.write([w1]);
    await assert.rejects(Promise.resolve(sink.write([w2], crashMidAppend)));
    await sink.write([w2]);
    await sink.close();
    assert.equal(await readFile(path, 'utf8'), '1000 Ann\n1000 Bo\n2000 Cy\n');
  });

  void test('splits the append in two around the midAppend hook when one is given', async () => {
    const sink = await open();
    const seen: string[] = [];
    await sink.write([w1], { midAppend: () => void seen.push(readFileSync(path, 'utf8')) });
    await sink.close();
    assert.deepEqual(seen, ['1000 Ann'], 'the first half of 17 bytes, a torn line');
    assert.equal(await readFile(path, 'utf8'), '1000 Ann\n1000 Bo\n');
  });

  void test('records its progress next to the file, as bytes and the last window end', async () => {
    const sink = await open();
    await sink.write([w1, w2]);
    await sink.close();
    assert.deepEqual(JSON.parse(await readFile(`${path}.progress`, 'utf8')), { v: 1, bytes: 25, windowEnd: 2_000 });
  });

  void test('keeps a file without a progress record whole and appends after it', async () => {
    await writeFile(path, 'written by an older version\n');
    const sink = await open();
    await sink.write([w1]);
    await sink.close();
    assert.equal(await readFile(path, 'utf8'), 'written by an older version\n1000 Ann\n1000 Bo\n');
  });

  void test('ignores a progress record longer than the file, which no longer describes it', async () => {
    const lines: string[] = [];
    const first = await open();
    await first.write([w1, w2]);
    await first.close();
    await truncate(path, 0);
    const second = await open(createLogger({ write: (line) => void lines.push(line) }));
    await second.write([w1, w2]);
    await second.close();
    assert.equal(await readFile(path, 'utf8'), '1000 Ann\n1000 Bo\n2000 Cy\n');
    assert.ok(lines.some((line) => line.includes('shorter than its progress record')), lines.join('\n'));
  });

  void test('never cuts lines another process appended: it warns once and only appends from then on', async () => {
    const lines: string[] = [];
    const sink = await open(createLogger({ write: (line) => void lines.push(line) }));
    await sink.write([w1]);
    await appendFile(path, 'another writer\n');
    await sink.write([w2]);
    await appendFile(path, 'another writer again\n');
    // A failed append can no longer be told apart from the other writer's lines: it stays.
    await assert.rejects(Promise.resolve(sink.write([w3], crashMidAppend)));
    await sink.write([w3]);
    await sink.close();
    assert.equal(
      await readFile(path, 'utf8'),
      '1000 Ann\n1000 Bo\nanother writer\n2000 Cy\nanother writer again\n3000 Di\n3000 Di\n3000 Ed\n',
    );
    assert.equal(lines.filter((line) => line.includes('one writer per file')).length, 1);
  });
});
