/**
 * `check` prints what a run would use: resolved values, durations in ms, secrets masked.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { runCheckCommand } from '../../src/config/check-command.ts';
import { maskSecrets } from '../../src/config/mask-secrets.ts';
import { loadValid, minimalPipeline } from './pipeline-fixture.ts';

const withSasl = `${minimalPipeline}broker:\n  sasl: { mechanism: scram-sha-512, username: sales, password: "\${KAFKA_PASSWORD}" }\nwindow: { length: 2m }\n`;

test('maskSecrets() hides the sasl password and leaves the config untouched', async (t) => {
  const config = await loadValid(t, withSasl, { env: { KAFKA_PASSWORD: 'hunter2' } });
  const masked = maskSecrets(config);
  assert.equal(masked.broker.sasl?.password, '***');
  assert.equal(config.broker.sasl?.password, 'hunter2');
});

test('runCheckCommand() prints the resolved config as YAML, masked, in the documented key order', async (t) => {
  const config = await loadValid(t, withSasl, { env: { KAFKA_PASSWORD: 'hunter2' } });
  let printed = '';
  runCheckCommand(config, (text) => {
    printed += text;
  });
  assert.ok(!printed.includes('hunter2'));
  assert.match(printed, /^# .*pipeline\.yaml: valid/);
  const source = Object.fromEntries(Object.entries(config.source).filter(([key]) => key !== 'saleSchema'));
  assert.deepEqual(parse(printed), { ...maskSecrets(config), source });
  assert.deepEqual(Object.keys(parse(printed) as object), ['name', 'broker', 'source', 'producer', 'window', 'aggregate', 'sinks', 'monitor', 'file', 'baseDir']);
  assert.match(printed, /\n {2}length: 120000\n/);
});
