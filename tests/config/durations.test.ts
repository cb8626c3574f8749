/**
 * Durations, paths and wording: the small pieces every config message is made of.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatConfigPath, parseConfigPath } from '../../src/config/config-path.ts';
import { formatDuration, parseDuration } from '../../src/config/durations.ts';
import { expandEnvReferences } from '../../src/config/env.ts';
import { closestMatch } from '../../src/config/wording.ts';

test('parseDuration() reads units, combinations and integer milliseconds', () => {
  const table: Array<[string | number, number]> = [
    ['250ms', 250],
    ['10s', 10_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['0s', 0],
    [1500, 1500],
  ];
  for (const [input, ms] of table) assert.equal(parseDuration(input), ms, String(input));
});

test('parseDuration() refuses anything else', () => {
  for (const input of ['10', '10 s', '1.5s', '-5s', 's', '', '5d', -1, 1.5]) {
    assert.throws(() => parseDuration(input), RangeError, String(input));
  }
});

test('formatDuration() prints whole seconds as seconds and the rest as ms', () => {
  assert.equal(formatDuration(60_000), '60s');
  assert.equal(formatDuration(90_000), '90s');
  assert.equal(formatDuration(250), '250ms');
  assert.equal(formatDuration(1_500), '1500ms');
  assert.equal(parseDuration(formatDuration(3_600_000)), 3_600_000);
});

test('parseConfigPath() and formatConfigPath() round-trip dotted and indexed paths', () => {
  assert.deepEqual(parseConfigPath('sinks[0].path'), ['sinks', 0, 'path']);
  assert.deepEqual(parseConfigPath('broker.brokers[1]'), ['broker', 'brokers', 1]);
  assert.equal(formatConfigPath(['sinks', 0, 'path']), 'sinks[0].path');
  assert.equal(formatConfigPath(['monitor', '<<']), 'monitor["<<"]');
  for (const bad of ['', '.a', 'a.', 'a..b', 'a[x]', 'a b']) assert.equal(parseConfigPath(bad), undefined, bad);
});

test('closestMatch() suggests plausible typos only', () => {
  assert.equal(closestMatch('windw', ['name', 'window', 'sinks']), 'window');
  assert.equal(closestMatch('clientid', ['brokers', 'clientId']), 'clientId');
  assert.equal(closestMatch('colour', ['groupBy', 'sum', 'threshold']), undefined);
});

test('expandEnvReferences() follows the shell: a default replaces unset or empty values', () => {
  const env = { SET: 'x', EMPTY: '' };
  assert.deepEqual(expandEnvReferences('${SET}-${EMPTY:-d}-${UNSET:-u}-${EMPTY}', env), { text: 'x-d-u-', problems: [] });
  assert.deepEqual(expandEnvReferences('a $b $${c}', env), { text: 'a $b ${c}', problems: [] });
  assert.deepEqual(expandEnvReferences('${A}${B}', {}).problems, [
    'environment variable A is not set: set it, or write ${A:-default}',
    'environment variable B is not set: set it, or write ${B:-default}',
  ]);
});
