/**
 * Interop with an independent client, Debian's kcat (librdkafka): what kcat produces our code
 * consumes, and what our code produces kcat reads back byte for byte. kcat is required (CI
 * installs it); a missing kcat fails these tests rather than skipping them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Partitioners } from 'kafkajs';
import { ensureTopics } from '../../src/broker/topics.ts';
import { brokersForTests, deleteTopicsAfter, testKafkaClient, uniqueGroup, uniqueTopic } from '../support/broker.ts';
import { runKcat } from '../support/cli.ts';

test('records produced by kcat with keys are consumed by our kafkajs client with identical bytes', async (t) => {
  const brokers = (await brokersForTests()).join(',');
  const kafka = await testKafkaClient('kcat-interop');
  const topic = uniqueTopic('kcat-to-us');
  deleteTopicsAfter(t, kafka, [topic]);
  await ensureTopics(kafka, [{ topic, partitions: 1 }]);

  // kcat splits each line at the first key delimiter, so values may contain it.
  const lines = ['c-1:{"amount":12.5}', 'c-2:plain text with: a colon', 'kündin-3:ünïcode ✓ ẞ', 'c-1:second for c-1', 'c-4:'];
  await runKcat(['-b', brokers, '-t', topic, '-P', '-K', ':', '-p', '0'], Buffer.from(lines.join('\n') + '\n', 'utf8'));

  const expected = lines.map((line) => ({ key: line.slice(0, line.indexOf(':')), value: line.slice(line.indexOf(':') + 1) }));
  const received: Array<{ key: Buffer | null; value: Buffer | null }> = [];
  const consumer = kafka.consumer({ groupId: uniqueGroup('kcat-to-us'), maxWaitTimeInMs: 200 });
  await consumer.connect();
  t.after(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${received.length} of ${lines.length} records arrived`)), 30_000);
    consumer
      .run({
        eachMessage: ({ message }) => {
          received.push({ key: message.key, value: message.value });
          if (received.length === lines.length) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      })
      .catch(reject);
  });
  for (const [index, want] of expected.entries()) {
    assert.deepEqual(received[index]?.key, Buffer.from(want.key, 'utf8'), `key of record ${index}`);
    // kcat sends an empty value as a zero-length value; kafkajs may surface it as null or empty.
    assert.deepEqual(received[index]?.value ?? Buffer.alloc(0), Buffer.from(want.value, 'utf8'), `value of record ${index}`);
  }
});

test('records produced by our kafkajs client are read back by kcat byte for byte', async (t) => {
  const brokers = (await brokersForTests()).join(',');
  const kafka = await testKafkaClient('kcat-interop');
  const topic = uniqueTopic('us-to-kcat');
  deleteTopicsAfter(t, kafka, [topic]);
  await ensureTopics(kafka, [{ topic, partitions: 1 }]);

  // Bytes that break line-based tools: newlines, tabs, NUL, every byte value, multi-byte UTF-8.
  const allBytes = Buffer.from(Array.from({ length: 256 }, (_, index) => index));
  const sent = [
    { key: Buffer.from('c-1'), value: Buffer.from('{"amount":12.5,"customer":"c-1"}') },
    { key: Buffer.from('line\nbreak\tand tab'), value: Buffer.from('value\nwith\r\nnewlines\0and NUL') },
    { key: Buffer.from('ünïcode ✓'), value: Buffer.from('ẞ€😀', 'utf8') },
    { key: Buffer.from([0, 255, 10]), value: allBytes },
  ];
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  t.after(() => producer.disconnect());
  await producer.send({ topic, acks: -1, messages: sent.map((message) => ({ ...message, partition: 0 })) });

  // Length-prefixed format: "<offset> <key length> <value length>\n<key><value>\n" survives any byte.
  const output = await runKcat(['-b', brokers, '-t', topic, '-C', '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o %K %S\n%k%s\n']);
  const records = parseLengthPrefixed(output);
  assert.equal(records.length, sent.length);
  for (const [index, message] of sent.entries()) {
    assert.equal(records[index]?.offset, index);
    assert.ok(records[index]?.key.equals(message.key), `key of record ${index} differs`);
    assert.ok(records[index]?.value.equals(message.value), `value of record ${index} differs`);
  }
});

function parseLengthPrefixed(output: Buffer): Array<{ offset: number; key: Buffer; value: Buffer }> {
  const records: Array<{ offset: number; key: Buffer; value: Buffer }> = [];
  let position = 0;
  while (position < output.length) {
    const headerEnd = output.indexOf(0x0a, position);
    const [offset = NaN, keyLength = NaN, valueLength = NaN] = output.subarray(position, headerEnd).toString('ascii').split(' ').map(Number);
    assert.ok(Number.isInteger(offset) && keyLength >= 0 && valueLength >= 0, `bad kcat header at byte ${position}`);
    const keyStart = headerEnd + 1;
    const valueStart = keyStart + keyLength;
    records.push({ offset, key: output.subarray(keyStart, valueStart), value: output.subarray(valueStart, valueStart + valueLength) });
    position = valueStart + valueLength + 1; // the trailing "\n" of the format
  }
  return records;
}
