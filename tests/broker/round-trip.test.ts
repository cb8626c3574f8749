/**
 * kafkajs against the test broker: what goes in comes back out, with keys, values and
 * per-partition order intact. Also proves that kafkajs 2.2.4 negotiates with a Kafka 4.x broker
 * (KIP-896 removed old protocol versions).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Partitioners } from 'kafkajs';
import { ensureTopics } from '../../src/broker/topics.ts';
import { deleteTopicsAfter, testKafkaClient, uniqueGroup, uniqueTopic } from '../support/broker.ts';

const messageCount = 10_000;
const partitions = 3;

interface Received {
  partition: number;
  offset: number;
  key: string;
  value: string;
}

test('10,000 keyed messages come back with the same keys and values, in order within each partition', async (t) => {
  const kafka = await testKafkaClient('round-trip');
  const topic = uniqueTopic('round-trip');
  deleteTopicsAfter(t, kafka, [topic]);
  await ensureTopics(kafka, [{ topic, partitions }]);

  // 200 customers, so every partition gets many keys and every key many records.
  const sent = Array.from({ length: messageCount }, (_, seq) => ({
    key: `customer-${seq % 200}`,
    value: JSON.stringify({ seq, amount: (seq * 7) % 1000, note: 'ünïcode ✓' }),
  }));
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  t.after(() => producer.disconnect());
  // Sent in sequence (each batch acknowledged before the next): production order is seq order.
  for (let start = 0; start < sent.length; start += 1_000) {
    await producer.send({ topic, acks: -1, messages: sent.slice(start, start + 1_000) });
  }

  const received: Received[] = [];
  const consumer = kafka.consumer({ groupId: uniqueGroup('round-trip'), maxWaitTimeInMs: 200 });
  await consumer.connect();
  t.after(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${received.length} of ${messageCount} messages arrived in 60 s`)), 60_000);
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            received.push({
              partition: batch.partition,
              offset: Number(message.offset),
              key: message.key?.toString('utf8') ?? '<null>',
              value: message.value?.toString('utf8') ?? '<null>',
            });
          }
          if (received.length >= messageCount) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      })
      .catch(reject);
  });

  assert.equal(received.length, messageCount, 'no duplicates');
  // Same multiset of (key, value): compare sorted by seq.
  const bySeq = [...received].sort((a, b) => seqOf(a.value) - seqOf(b.value));
  assert.deepEqual(
    bySeq.map(({ key, value }) => ({ key, value })),
    sent,
  );
  // Per partition: offsets 0..n-1 without gaps, and records in the order they were produced.
  const partitionsSeen = new Map<number, Received[]>();
  for (const record of received) partitionsSeen.set(record.partition, [...(partitionsSeen.get(record.partition) ?? []), record]);
  assert.equal(partitionsSeen.size, partitions, 'the keys spread over all partitions');
  for (const [partition, records] of partitionsSeen) {
    assert.deepEqual(records.map((record) => record.offset), records.map((_, index) => index), `offsets of partition ${partition}`);
    const seqs = records.map((record) => seqOf(record.value));
    assert.ok(seqs.every((seq, index) => index === 0 || seq > (seqs[index - 1] ?? -1)), `partition ${partition} kept production order`);
  }
  // One key, one partition: what keyed partitioning promises.
  const partitionOfKey = new Map<string, number>();
  for (const record of received) {
    assert.equal(partitionOfKey.get(record.key) ?? record.partition, record.partition, `key ${record.key} stayed on one partition`);
    partitionOfKey.set(record.key, record.partition);
  }
});

function seqOf(value: string): number {
  return (JSON.parse(value) as { seq: number }).seq;
}
