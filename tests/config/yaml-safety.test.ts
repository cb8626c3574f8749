/**
 * The YAML rules do not bend to the file: core schema whatever `%YAML` says, no tags beyond the
 * core ones, unique string keys, bounded aliases and size.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { maxConfigBytes } from '../../src/config/load-config.ts';
import { issuesOf, loadInvalid, loadValid, minimalPipeline, writePipeline } from './pipeline-fixture.ts';

const rest = 'aggregate: { threshold: 1 }\nsinks: [{ type: text, path: out.txt }]\n';

test('a duplicate key is refused, naming the line of the first one', async (t) => {
  assert.deepEqual(await loadInvalid(t, `name: sales\nsource:\n  topic: a\n  topic: b\n${rest}`), [
    '4:3 source.topic: duplicate key, first defined at line 3',
  ]);
});

test('an alias bomb is stopped at the first alias', async (t) => {
  const bomb = 'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n';
  assert.deepEqual(await loadInvalid(t, minimalPipeline + bomb), [
    '11:8 b[0]: aliases expand to too many values (limit 20): write the values out',
  ]);
});

test('a few anchors and aliases are fine', async (t) => {
  const config = await loadValid(t, `name: sales\nsource: { topic: &topic sales }\nbroker: { clientId: *topic }\n${rest}`);
  assert.equal(config.broker.clientId, 'sales');
});

test('a custom tag is refused', async (t) => {
  assert.deepEqual(await loadInvalid(t, `${minimalPipeline}monitor:\n  host: !env HOST\n`), [
    '11:9 monitor.host: tag "!env" is not allowed: write a plain YAML value',
  ]);
});

test('a YAML 1.1 tag such as !!binary is refused', async (t) => {
  assert.deepEqual(await loadInvalid(t, `${minimalPipeline}monitor:\n  host: !!binary aGVsbG8=\n`), [
    '11:9 monitor.host: tag "!!binary" is not allowed: write a plain YAML value',
  ]);
});

test('a core tag such as !!str is allowed and makes a string', async (t) => {
  const config = await loadValid(t, `name: !!str 123\nsource: { topic: sales }\n${rest}`);
  assert.equal(config.name, '123');
});

test('a %YAML 1.1 directive does not bring back 1.1 booleans or octals', async (t) => {
  const yaml = `%YAML 1.1\n---\nname: sales\nbroker: { clientId: yes }\nsource: { topic: sales, partitions: 010 }\nmonitor: { host: on }\n${rest}`;
  const config = await loadValid(t, yaml);
  assert.equal(config.broker.clientId, 'yes');
  assert.equal(config.monitor.host, 'on');
  assert.equal(config.source.partitions, 10);
});

test('a %YAML 1.1 directive does not enable merge keys', async (t) => {
  const yaml = `%YAML 1.1\n---\nname: sales\nsource: { topic: sales }\n${rest}monitor:\n  <<: { host: example }\n`;
  assert.deepEqual(await loadInvalid(t, yaml), ['8:3 monitor["<<"]: unknown key, expected one of "host", "port"']);
});

test('a non-string key is refused', async (t) => {
  assert.deepEqual(await loadInvalid(t, `${minimalPipeline}? [a, b]\n: 1\n`), ['10:3 keys must be plain text, not numbers, lists or mappings']);
});

test('a second YAML document is refused', async (t) => {
  assert.deepEqual(await loadInvalid(t, `${minimalPipeline}---\nname: other\n`), ['10:1 a pipeline file holds one YAML document: remove the extra "---"']);
});

test('a syntax error is reported at its line', async (t) => {
  assert.deepEqual(await loadInvalid(t, `name: sales\nsource:\n  topic: sales\n partitions: 3\n${rest}`), [
    '4:1 All mapping items must start at the same column',
  ]);
});

test('a file above the size limit is refused before parsing', async (t) => {
  const file = await writePipeline(t, minimalPipeline);
  await writeFile(file, `${minimalPipeline}#${'x'.repeat(maxConfigBytes)}\n`);
  const size = minimalPipeline.length + maxConfigBytes + 2;
  assert.deepEqual(await issuesOf(file), [`file the pipeline file is too large (${size} bytes, at most ${maxConfigBytes})`]);
});

test('a missing file or a folder is reported as a config error, not a crash', async (t) => {
  const dir = dirname(await writePipeline(t, minimalPipeline));
  assert.deepEqual(await issuesOf(join(dir, 'nope.yaml')), ['file cannot read the pipeline file: no such file']);
  await mkdir(join(dir, 'folder.yaml'));
  assert.deepEqual(await issuesOf(join(dir, 'folder.yaml')), ['file cannot read the pipeline file: it is not a regular file']);
});
