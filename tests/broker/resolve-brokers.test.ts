/** resolveBrokers(): the order in which a broker is found, and the message when there is none. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { probeDocker } from '../../src/broker/redpanda-container.ts';
import { parseBrokerList, resolveBrokers } from '../../src/broker/resolve-brokers.ts';
import { silentLogger } from '../../src/logger.ts';

test('parseBrokerList() splits on commas and drops blanks', () => {
  assert.deepEqual(parseBrokerList(' a:1, b:2 ,,'), ['a:1', 'b:2']);
  assert.deepEqual(parseBrokerList(undefined), []);
});

test('resolveBrokers() prefers KAFKA_BROKERS over the configured brokers and starts nothing', async () => {
  const resolved = await resolveBrokers({ configured: ['config:9092'], log: silentLogger, env: { KAFKA_BROKERS: 'env-a:9092,env-b:9092' } });
  assert.deepEqual(resolved.brokers, ['env-a:9092', 'env-b:9092']);
  assert.equal(resolved.origin, 'env');
  assert.equal(resolved.startedHere, false);
});

test('resolveBrokers() uses the configured brokers when KAFKA_BROKERS is not set', async () => {
  const resolved = await resolveBrokers({ configured: ['config:9092'], log: silentLogger, env: {} });
  assert.deepEqual(resolved.brokers, ['config:9092']);
  assert.equal(resolved.origin, 'config');
  assert.equal(resolved.startedHere, false);
});

test('resolveBrokers() says what to install when there is no broker, no Docker, no Java and no Maven', async (t) => {
  const env = { PATH: '/nonexistent' };
  if ((await probeDocker({ env })).available) {
    t.skip('a Docker engine answers here, so resolveBrokers() would start Redpanda instead of failing');
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'salesflow-no-broker-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  await assert.rejects(
    resolveBrokers({ configured: [], log: silentLogger, env, localKafka: { dataDir }, reuseRunning: { dataDirs: [], address: null } }),
    (error: Error) => {
      assert.match(error.message, /^no Kafka broker to use: /);
      assert.match(error.message, /install Docker \(Redpanda then starts by itself\) or Java 17 and Maven/);
      assert.match(error.message, /KAFKA_BROKERS/);
      return true;
    },
  );
});
