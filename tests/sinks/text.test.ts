import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import { silentLogger } from '../../src/logger.ts';
import { formatLocalIso, formatTotal } from '../../src/sinks/formatting.ts';
import { compileLineTemplate } from '../../src/sinks/line-template.ts';
import { createTextSink } from '../../src/sinks/text.ts';
import { type ClosedWindowRows } from '../../src/sinks/types.ts';

// Node re-reads TZ when process.env.TZ is assigned, so local-time output is fixed for the file.
process.env['TZ'] = 'UTC';

const END = Date.UTC(2026, 10, 25, 17, 30, 0);
const windows: ClosedWindowRows[] = [
  { start: END - 60_000, end: END, rows: [{ key: 'Ann Lee', total: 1_520, count: 7 }, { key: 'Bo Diaz', total: 1_003, count: 4 }] },
  { start: END - 50_000, end: END + 10_000, rows: [{ key: 'Ann Lee', total: 1_600, count: 8 }] },
];

let dir = '';
void beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'salesflow-text-'));
});
void after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeAndRead(format: string | undefined, batches: ClosedWindowRows[][], path = join(dir, 'out.txt')): Promise<string> {
  const sink = await createTextSink({ type: 'text', path, format }, { log: silentLogger });
  for (const batch of batches) await sink.write(batch);
  await sink.close();
  return readFile(path, 'utf8');
}

void describe('text sink', () => {
  void test('writes one line per window and key in the original layout', async () => {
    assert.equal(
      await writeAndRead(undefined, [windows]),
      "Time: '2026-11-25T17:30:00.000+00:00' : Name: 'Ann Lee' : Quantity '1520'.\n" +
        "Time: '2026-11-25T17:30:00.000+00:00' : Name: 'Bo Diaz' : Quantity '1003'.\n" +
        "Time: '2026-11-25T17:30:10.000+00:00' : Name: 'Ann Lee' : Quantity '1600'.\n",
    );
  });

  void test('appends to an existing file and creates missing folders', async () => {
    const path = join(dir, 'a', 'b', 'results.txt');
    await writeAndRead('{key}', [[windows[0] as ClosedWindowRows]], path);
    assert.equal(await writeAndRead('{key}', [[windows[1] as ClosedWindowRows], []], path), 'Ann Lee\nBo Diaz\nAnn Lee\n');
  });

  void test('fills every placeholder of a format template, with {{ and }} for braces', async () => {
    const format = '{{{windowStart}}} {windowEnd} {windowStartIso} {windowEndIso} {key} {total} {count}';
    assert.equal(
      await writeAndRead(format, [[{ start: END - 60_000, end: END, rows: [{ key: 'Ann', total: 0.1 + 0.2, count: 2 }] }]]),
      `{${END - 60_000}} ${END} 2026-11-25T17:29:00.000+00:00 2026-11-25T17:30:00.000+00:00 Ann 0.3 2\n`,
    );
  });

  void test('keeps a key with line breaks on one line by escaping them', async () => {
    const rows = [{ key: 'two\nlines\r\\n', total: 1, count: 1 }];
    assert.equal(await writeAndRead('<{key}>', [[{ start: 0, end: 1, rows }]]), '<two\\nlines\\r\\\\n>\n');
  });

  void test('rejects an unknown placeholder or a multi-line format when created', async () => {
    await assert.rejects(createTextSink({ type: 'text', path: join(dir, 'x.txt'), format: '{key} {totl}' }, { log: silentLogger }), {
      message: `text sink ${join(dir, 'x.txt')}: unknown placeholder {totl} in format, expected one of {windowStart}, {windowEnd}, {windowStartIso}, {windowEndIso}, {key}, {total}, {count}`,
    });
    assert.throws(() => compileLineTemplate('{key}\n{total}'), { message: 'format must be a single line (one line per window and key)' });
  });

  void test('writes nothing for windows without rows and refuses writes after close', async () => {
    const path = join(dir, 'empty.txt');
    await writeFile(path, 'before\n');
    const sink = await createTextSink({ type: 'text', path }, { log: silentLogger });
    await sink.write([{ start: 0, end: 1, rows: [] }]);
    await sink.close();
    await sink.close();
    await assert.rejects(Promise.resolve(sink.write(windows)), { message: `text sink ${path}: write after close` });
    assert.equal(await readFile(path, 'utf8'), 'before\n');
  });
});

void describe('formatLocalIso()', () => {
  void test('shows local time with the zone offset, following TZ', () => {
    try {
      process.env['TZ'] = 'Europe/Paris';
      assert.equal(formatLocalIso(END), '2026-11-25T18:30:00.000+01:00');
      process.env['TZ'] = 'America/St_Johns';
      assert.equal(formatLocalIso(END + 7), '2026-11-25T14:00:00.007-03:30');
    } finally {
      process.env['TZ'] = 'UTC';
    }
    assert.equal(formatLocalIso(END), '2026-11-25T17:30:00.000+00:00');
  });
});

void describe('formatTotal()', () => {
  void test('prints integers as they are and removes float noise from decimals', () => {
    assert.equal(formatTotal(1520), '1520');
    assert.equal(formatTotal(12.34 + 0.000000000000002), '12.34');
    assert.equal(formatTotal(0.1 + 0.2), '0.3');
    assert.equal(formatTotal(-2.5), '-2.5');
  });
});
