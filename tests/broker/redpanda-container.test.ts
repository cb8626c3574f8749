/**
 * The Docker path: Redpanda through @testcontainers/redpanda. Real code, run wherever a Docker
 * engine answers; skipped with the reason where none does (as on the project's CI machine).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Partitioners } from 'kafkajs';
import { createKafkaClient } from '../../src/broker/client.ts';
import { probeDocker, startRedpandaContainer } from '../../src/broker/redpanda-container.ts';
import { ensureTopics } from '../../src/broker/topics.ts';
import { silentLogger } from '../../src/logger.ts';
import { uniqueGroup, uniqueTopic } from '../support/broker.ts';

test('probeDocker() answers quickly', async () => {
  const started = Date.now();
  const probe = await probeDocker();
  assert.equal(typeof probe.available, 'boolean');
  assert.ok(probe.reason.length > 0);
  assert.ok(Date.now() - started < 6_000, 'bounded by its timeout');
});

test('startRedpandaContainer() starts Redpanda in Docker, and records round-trip through it', async (t) => {
  const probe = await probeDocker();
  if (!probe.available) {
    t.skip(`no Docker engine answers: ${probe.reason}`);
    return;
  }
  const redpanda = await startRedpandaContainer(silentLogger);
  t.after(() => redpanda.stop());
  const kafka = createKafkaClient({ clientId: 'redpanda-test', ssl: false, sasl: null }, [redpanda.bootstrap], silentLogger);
  const topic = uniqueTopic('redpanda');
  await ensureTopics(kafka, [{ topic, partitions: 3 }]);

  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  t.after(() => producer.disconnect());
  const sent = Array.from({ length: 100 }, (_, index) => ({ key: `k-${index % 7}`, value: `v-${index}` }));
  await producer.send({ topic, acks: -1, messages: sent });

  const received: Array<{ key: string; value: string }> = [];
  const consumer = kafka.consumer({ groupId: uniqueGroup('redpanda') });
  await consumer.connect();
  t.after(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${received.length} of ${sent.length} records arrived`)), 60_000);
    consumer
      .run({
        eachMessage: ({ message }) => {
          received.push({ key: message.key?.toString() ?? '', value: message.value?.toString() ?? '' });
          if (received.length === sent.length) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      })
      .catch(reject);
  });
  const byValue = (a: { value: string }, b: { value: string }): number => a.value.localeCompare(b.value);
  assert.deepEqual([...received].sort(byValue), [...sent].sort(byValue));
});
