/**
 * Packing sales into messages: keyed partitioning holds (the partition is kafkajs' own), each
 * message holds sales of one partition only, and sends are sliced under the broker's batch limit.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { createKeyPartitioner, slicesOf, type OutgoingRecord } from '../../src/broker/topic-producer.ts';
import { createChunkWriter, recordsOf } from '../../src/runtime/sale-chunks.ts';

function kafkajsPartition(key: string, partitionCount: number): number {
  const partitionMetadata: PartitionMetadata[] = Array.from({ length: partitionCount }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
  }));
  return Partitioners.DefaultPartitioner()({ topic: 't', partitionMetadata, message: { key, value: null } });
}

/** org.apache.kafka.common.utils.Utils.murmur2, transcribed: the oracle for the partitioner. */
function javaMurmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = 0x9747b28c ^ length;
  const quads = length >> 2;
  for (let i = 0; i < quads; i++) {
    let k = data.readInt32LE(i * 4);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = quads * 4;
  const rest = length & 3;
  if (rest === 3) h ^= (data[tail + 2] ?? 0) << 16;
  if (rest >= 2) h ^= (data[tail + 1] ?? 0) << 8;
  if (rest >= 1) {
    h ^= data[tail] ?? 0;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

describe('createKeyPartitioner()', () => {
  test('gives every key the partition kafkajs would give it, cached or not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.array(fc.string({ unit: 'grapheme' }), { maxLength: 30 }), (count, keys) => {
        const partitionOf = createKeyPartitioner(count);
        for (const key of [...keys, ...keys]) assert.equal(partitionOf(key), kafkajsPartition(key, count));
      }),
    );
  });

  test('matches an independent murmur2, as the Java client computes it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.string({ unit: 'grapheme' }), (count, key) => {
        assert.equal(createKeyPartitioner(count)(key), (javaMurmur2(Buffer.from(key)) & 0x7fffffff) % count);
      }),
    );
  });

  test('refuses a partition count that is not a positive integer', () => {
    assert.throws(() => createKeyPartitioner(0), /partitionCount must be a positive integer, got 0/);
  });
});

describe('createChunkWriter()', () => {
  const sale = (customer: string, index: number): Record<string, unknown> => ({ customerName: customer, quantity: index });
  const asText = (records: OutgoingRecord[]): OutgoingRecord[] => records.map((record) => ({ ...record, value: String(record.value) }));

  test('packs up to N sales of one partition per message, as a JSON array, first event time as timestamp', () => {
    const writer = createChunkWriter(2, 4);
    writer.beginPacked(0, 100).text(JSON.stringify(sale('a', 1)));
    writer.endPacked(0);
    writer.beginPacked(1, 101).text(JSON.stringify(sale('b', 2)));
    writer.endPacked(1);
    writer.beginPacked(0, 102).text(JSON.stringify(sale('c', 3)));
    writer.endPacked(0);
    writer.beginPacked(0, 103).text(JSON.stringify(sale('d', 4)));
    writer.endPacked(0);
    const chunk = writer.finish({ invalid: 0, late: 0, outOfOrder: 0 });
    assert.deepEqual(asText(recordsOf(chunk)), [
      { key: null, value: JSON.stringify([sale('a', 1), sale('c', 3)]), timestamp: 100, partition: 0 },
      { key: null, value: JSON.stringify([sale('b', 2)]), timestamp: 101, partition: 1 },
      { key: null, value: JSON.stringify([sale('d', 4)]), timestamp: 103, partition: 0 },
    ]);
  });

  test('keeps one-sale records with their key, in order, and any text intact', () => {
    const writer = createChunkWriter(1, 1);
    const texts = ['{"a":1}', '', 'é 漢字 😀', 'x'.repeat(10_000)];
    texts.forEach((text, i) => {
      writer.beginSingle().text(text);
      writer.endSingle(`key-${i}`, i % 3, 1_000 + i);
    });
    const chunk = writer.finish({ invalid: 1, late: 2, outOfOrder: 3 });
    assert.deepEqual(chunk.injected, { invalid: 1, late: 2, outOfOrder: 3 });
    assert.deepEqual(
      asText(recordsOf(chunk)),
      texts.map((text, i) => ({ key: `key-${i}`, value: text, timestamp: 1_000 + i, partition: i % 3 })),
    );
  });

  test('loses no sale and never mixes partitions, whatever the order, past any arena size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 50 }), fc.array(fc.tuple(fc.nat(7), fc.string({ maxLength: 300, unit: 'binary' })), { maxLength: 500 }), (packing, sales) => {
        const writer = createChunkWriter(packing, 1);
        sales.forEach(([partition, note], index) => {
          writer.beginPacked(partition, index).text(JSON.stringify({ partition, index, note }));
          writer.endPacked(partition);
        });
        const records = recordsOf(writer.finish({ invalid: 0, late: 0, outOfOrder: 0 }));
        const unpacked = records.flatMap((record) => {
          const packed = JSON.parse(String(record.value)) as Array<{ partition: number; index: number; note: string }>;
          assert.ok(packed.length >= 1 && packed.length <= packing);
          assert.equal(record.timestamp, packed[0]?.index);
          for (const one of packed) {
            assert.equal(one.partition, record.partition);
            assert.equal(one.note, sales[one.index]?.[1]);
          }
          return packed.map((one) => one.index);
        });
        assert.deepEqual([...unpacked].sort((a, b) => a - b), sales.map((_, index) => index));
      }),
    );
  });
});

describe('slicesOf()', () => {
  test('cuts sends at the byte limit, in order, with an oversized record alone', () => {
    const record = (value: string): OutgoingRecord => ({ key: 'k', value });
    const slices = slicesOf([record('a'.repeat(4)), record('b'.repeat(4)), record('c'.repeat(20)), record('d')], 11);
    assert.deepEqual(
      slices.map((slice) => slice.map((message) => String(message.value))),
      [['aaaa', 'bbbb'], ['c'.repeat(20)], ['d']],
    );
  });

  test('counts UTF-8 bytes, not characters', () => {
    assert.equal(slicesOf([{ key: null, value: 'é'.repeat(4) }, { key: null, value: 'é'.repeat(4) }], 12).length, 2);
  });
});
