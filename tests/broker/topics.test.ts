/** ensureTopics(): creates what is missing, leaves what exists, returns once leaders are known. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ensureTopics } from '../../src/broker/topics.ts';
import { createLogger } from '../../src/logger.ts';
import { deleteTopicsAfter, testKafkaClient, uniqueTopic } from '../support/broker.ts';

test('ensureTopics() creates missing topics with the requested partitions and every partition has a leader', async (t) => {
  const kafka = await testKafkaClient('topics');
  const source = uniqueTopic('source');
  const deadLetters = `${source}.dlq`;
  deleteTopicsAfter(t, kafka, [source, deadLetters]);

  const result = await ensureTopics(kafka, [
    { topic: source, partitions: 3 },
    { topic: deadLetters, partitions: 1 },
  ]);
  assert.deepEqual(result, [
    { topic: source, partitions: 3, created: true },
    { topic: deadLetters, partitions: 1, created: true },
  ]);
  const admin = kafka.admin();
  await admin.connect();
  const { topics } = await admin.fetchTopicMetadata({ topics: [source, deadLetters] });
  await admin.disconnect();
  for (const topic of topics) {
    assert.ok(topic.partitions.every((partition) => partition.leader >= 0), `${topic.name} has leaders`);
  }
});

test('ensureTopics() is idempotent: a second call creates nothing and changes nothing', async (t) => {
  const kafka = await testKafkaClient('topics');
  const topic = uniqueTopic('idempotent');
  deleteTopicsAfter(t, kafka, [topic]);

  assert.deepEqual(await ensureTopics(kafka, [{ topic, partitions: 2 }]), [{ topic, partitions: 2, created: true }]);
  assert.deepEqual(await ensureTopics(kafka, [{ topic, partitions: 2 }]), [{ topic, partitions: 2, created: false }]);
});

test('ensureTopics() leaves an existing topic with another partition count as it is, and warns', async (t) => {
  const kafka = await testKafkaClient('topics');
  const existing = uniqueTopic('existing');
  const missing = uniqueTopic('missing');
  deleteTopicsAfter(t, kafka, [existing, missing]);
  await ensureTopics(kafka, [{ topic: existing, partitions: 2 }]);

  const lines: string[] = [];
  const log = createLogger({ level: 'warn', write: (line) => lines.push(line) });
  const result = await ensureTopics(
    kafka,
    [
      { topic: existing, partitions: 4 },
      { topic: missing, partitions: 4 },
    ],
    { log },
  );
  assert.deepEqual(result, [
    { topic: existing, partitions: 2, created: false },
    { topic: missing, partitions: 4, created: true },
  ]);
  assert.deepEqual(lines, [`warn: topic exists with a different partition count; left as it is topic=${existing} partitions=2 configured=4`]);
});

test('ensureTopics() refuses a partition count that is not a positive integer before touching the broker', async () => {
  const kafka = await testKafkaClient('topics');
  await assert.rejects(ensureTopics(kafka, [{ topic: uniqueTopic('bad'), partitions: 0 }]), {
    message: /partitions must be a positive integer, got 0/,
  });
});
