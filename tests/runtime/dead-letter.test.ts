/**
 * Dead letters: the copy limit follows the dead-letter topic's size limit, so a record is kept
 * whole whenever the topic can hold it, and cut (never refused by the broker) when it cannot.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type SourceRecord } from '../../src/broker/group-consumer.ts';
import { deadLetterCopyLimit, deadLetterOf, deadLetterTopicMaxBytes } from '../../src/runtime/dead-letter.ts';

function sourceRecord(keyBytes: number, valueBytes: number): SourceRecord {
  return {
    partition: 5,
    offset: 42,
    key: Buffer.alloc(keyBytes, 'k'),
    value: Buffer.alloc(valueBytes, 'v'),
    timestamp: 1_700_000_000_000,
    headers: { origin: 'test' },
  };
}

const context = { sourceTopic: 'sales', deadLetterPartitions: 3, maxRecordBytes: 1_048_576 };

describe('deadLetterOf()', () => {
  test('keeps a record twice the accepted size whole, and it fits the dead-letter topic with its headers', () => {
    const record = sourceRecord(1_024, 2 * context.maxRecordBytes - 1_024);
    const letter = deadLetterOf(context, record, 'too-large', 'record of 2 MiB');
    assert.deepEqual(letter.value, record.value);
    assert.deepEqual(letter.key, record.key);
    assert.equal(letter.headers?.['salesflow.truncated'], undefined);
    const headerBytes = Object.entries(letter.headers ?? {}).reduce((sum, [name, value]) => sum + name.length + value.length, 0);
    assert.ok(2 * context.maxRecordBytes + headerBytes <= deadLetterTopicMaxBytes(context.maxRecordBytes));
  });

  test('owns its bytes: a copy of the key and value, not views of the fetch buffer the consumer reuses', () => {
    const record = sourceRecord(16, 64);
    const letter = deadLetterOf(context, record, 'invalid-json', 'x');
    record.key?.fill(0);
    record.value?.fill(0);
    assert.deepEqual(letter.key, Buffer.alloc(16, 'k'));
    assert.deepEqual(letter.value, Buffer.alloc(64, 'v'));
  });

  test('cuts a record larger than the dead-letter topic accepts: no value, a 1 KiB key, the original size named', () => {
    const limit = deadLetterCopyLimit(context.maxRecordBytes);
    const record = sourceRecord(4_096, limit);
    const letter = deadLetterOf(context, record, 'too-large', 'huge');
    assert.equal(letter.value, null);
    assert.equal(letter.key?.length, 1_024);
    assert.equal(letter.headers?.['salesflow.truncated'], `original key+value ${limit + 4_096} bytes`);
  });

  test('the copy limit grows with maxRecordBytes instead of staying at Kafka\'s default', () => {
    const big = { ...context, maxRecordBytes: 10_000_000 };
    const record = sourceRecord(0, 15_000_000);
    assert.deepEqual(deadLetterOf(big, record, 'too-large', '').value, record.value);
    assert.equal(deadLetterCopyLimit(1_000), 1_048_588 - 65_536);
  });

  test('says where the record came from, keeps its headers, and folds its partition into the topic\'s', () => {
    const letter = deadLetterOf(context, sourceRecord(3, 10), 'invalid-json', 'x'.repeat(800), { index: 7, json: '{"a":1}' });
    assert.equal(letter.partition, 5 % 3);
    assert.equal(letter.value, '{"a":1}');
    assert.deepEqual(letter.headers, {
      origin: 'test',
      'salesflow.reason': 'invalid-json',
      'salesflow.detail': 'x'.repeat(500),
      'salesflow.source.topic': 'sales',
      'salesflow.source.partition': '5',
      'salesflow.source.offset': '42',
      'salesflow.source.index': '7',
      'salesflow.source.timestamp': '1700000000000',
    });
  });
});
