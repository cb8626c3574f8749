/**
 * parseFetchResponse() checked against bytes it did not make: every record batch is encoded by
 * kafkajs' RecordBatch and Record encoders (GZIP by its codec, the CRC re-stamped by its CRC-32C
 * when a test sets an attribute kafkajs cannot), and the Fetch response around the batches is
 * written here from the protocol guide (v12 to v17, flexible encoding).
 */
import assert from 'node:assert/strict';
import { crc32c } from '@node-rs/crc32';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { CorruptFetchError, type Decompress, type FetchedResponse, parseFetchResponse, readZigZagVarint } from '../../src/broker/fetch-response.ts';
import { type SourceRecord } from '../../src/broker/group-consumer.ts';

// ---- kafkajs' protocol internals (untyped CommonJS), described by what this file passes ----

interface KafkajsEncoder {
  readonly buffer: Buffer;
}
interface KafkajsRecordFields {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers: Record<string, string[]>;
}
interface KafkajsBatchFields {
  compression: number;
  firstOffset: number;
  firstTimestamp: number;
  maxTimestamp: number;
  lastOffsetDelta: number;
  transactional: boolean;
  producerId: number;
  records: KafkajsEncoder[];
}
const requireCommonJs = createRequire(import.meta.url);
const { RecordBatch: kafkajsRecordBatch } = requireCommonJs('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (fields: KafkajsBatchFields) => Promise<KafkajsEncoder>;
};
const kafkajsRecord = requireCommonJs('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (fields: KafkajsRecordFields) => KafkajsEncoder;
const kafkajsCrc32c = requireCommonJs('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (bytes: Buffer) => number;
const { Types: compressionTypes } = requireCommonJs('kafkajs/src/protocol/message/compression/index.js') as {
  Types: { None: number; GZIP: number };
};

// ---- Record batches (magic 2), from a description of their messages ----

interface MessageSpec {
  key: Buffer | string | null;
  value: Buffer | string | null;
  timestamp: number;
  /** In wire order; a repeated name is sent once per value. */
  headers?: Array<[string, string]>;
  /** From the batch's base offset; the message's index when absent (a compacted log has gaps). */
  offsetDelta?: number;
}
interface BatchSpec {
  baseOffset: number;
  messages: MessageSpec[];
  gzip?: boolean;
  transactional?: boolean;
  /** The producer id in the batch header; -1 (none) when absent. */
  producerId?: number;
  /** The batch's max_timestamp; the largest message timestamp when absent. */
  maxTimestamp?: number;
}

const offsetDeltaOf = (message: MessageSpec, index: number): number => message.offsetDelta ?? index;
const lastOffsetDeltaOf = (batch: BatchSpec): number => batch.messages.reduce((last, message, index) => Math.max(last, offsetDeltaOf(message, index)), 0);
const nextOffsetAfter = (batch: BatchSpec): number => batch.baseOffset + lastOffsetDeltaOf(batch) + 1;

async function encodeBatch(batch: BatchSpec): Promise<Buffer> {
  const firstTimestamp = batch.messages[0]?.timestamp ?? 0;
  const records = batch.messages.map((message, index) => {
    const headers: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
    for (const [name, value] of message.headers ?? []) (headers[name] ??= []).push(value);
    return kafkajsRecord({
      offsetDelta: offsetDeltaOf(message, index),
      timestampDelta: message.timestamp - firstTimestamp,
      key: message.key,
      value: message.value,
      headers,
    });
  });
  const encoded = await kafkajsRecordBatch({
    compression: batch.gzip === true ? compressionTypes.GZIP : compressionTypes.None,
    firstOffset: batch.baseOffset,
    firstTimestamp,
    maxTimestamp: batch.maxTimestamp ?? Math.max(firstTimestamp, ...batch.messages.map((message) => message.timestamp)),
    lastOffsetDelta: lastOffsetDeltaOf(batch),
    transactional: batch.transactional ?? false,
    producerId: batch.producerId ?? -1,
    records,
  });
  return Buffer.from(encoded.buffer);
}

/** Byte positions in a magic-2 batch. */
const magicAt = 16;
const crcAt = 17;
const attributesAt = 21;

/** A copy of `batch` with attribute bits set, its CRC (attributes to the end) stamped again. */
function withAttributes(batch: Buffer, bits: number): Buffer {
  const copy = Buffer.from(batch);
  copy.writeInt16BE(copy.readInt16BE(attributesAt) | bits, attributesAt);
  copy.writeUInt32BE(kafkajsCrc32c(copy.subarray(attributesAt)), crcAt);
  return copy;
}

async function encodeBatches(batches: BatchSpec[]): Promise<Buffer> {
  return Buffer.concat(await Promise.all(batches.map(encodeBatch)));
}

/** What the parser should make of the batches' messages at or after `position`. */
function expectedRecords(partition: number, batches: BatchSpec[], position: number): SourceRecord[] {
  return batches.flatMap((batch) =>
    batch.messages
      .map((message, index): SourceRecord => {
        const headers: Record<string, string> = {};
        for (const [name, value] of message.headers ?? []) if (!Object.hasOwn(headers, name)) headers[name] = value;
        const bytes = (payload: Buffer | string | null): Buffer | null => (payload === null ? null : Buffer.from(payload));
        return {
          partition,
          offset: batch.baseOffset + offsetDeltaOf(message, index),
          key: bytes(message.key),
          value: bytes(message.value),
          timestamp: message.timestamp,
          headers,
        };
      })
      .filter((record) => record.offset >= position),
  );
}

// ---- The Fetch response envelope (v12..v17), written from the protocol guide ----

interface TaggedField {
  tag: number;
  data: Buffer;
}
interface PartitionSpec {
  index: number;
  errorCode?: number;
  highWatermark?: number;
  aborted?: Array<{ producerId: number; firstOffset: number; tags?: TaggedField[] }>;
  records: Buffer | null;
  tags?: TaggedField[];
}
interface TopicSpec {
  name: string;
  partitions: PartitionSpec[];
  tags?: TaggedField[];
}
interface ResponseSpec {
  errorCode?: number;
  topics: TopicSpec[];
  tags?: TaggedField[];
}

class ProtocolWriter {
  private readonly parts: Buffer[] = [];
  raw(bytes: Buffer): this {
    this.parts.push(bytes);
    return this;
  }
  int16(value: number): this {
    const bytes = Buffer.alloc(2);
    bytes.writeInt16BE(value);
    return this.raw(bytes);
  }
  int32(value: number): this {
    const bytes = Buffer.alloc(4);
    bytes.writeInt32BE(value);
    return this.raw(bytes);
  }
  int64(value: number): this {
    const bytes = Buffer.alloc(8);
    bytes.writeBigInt64BE(BigInt(value));
    return this.raw(bytes);
  }
  unsignedVarint(value: number): this {
    const out: number[] = [];
    let rest = value;
    for (; rest >= 0x80; rest = Math.floor(rest / 0x80)) out.push((rest % 0x80) | 0x80);
    out.push(rest);
    return this.raw(Buffer.from(out));
  }
  compactBytes(bytes: Buffer | null): this {
    return bytes === null ? this.unsignedVarint(0) : this.unsignedVarint(bytes.length + 1).raw(bytes);
  }
  compactArray<T>(items: T[], write: (item: T) => void): this {
    this.unsignedVarint(items.length + 1);
    items.forEach(write);
    return this;
  }
  tags(fields: TaggedField[] = []): this {
    this.unsignedVarint(fields.length);
    for (const { tag, data } of fields) this.unsignedVarint(tag).unsignedVarint(data.length).raw(data);
    return this;
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** A topic id for v13+: 16 bytes that differ per topic. */
function topicId(name: string): Buffer {
  const id = Buffer.alloc(16, '#');
  id.write(name);
  return id;
}

function encodeFetchResponse(version: number, response: ResponseSpec): Buffer {
  const out = new ProtocolWriter().int32(0).int16(response.errorCode ?? 0).int32(12345);
  out.compactArray(response.topics, (topic) => {
    if (version >= 13) out.raw(topicId(topic.name));
    else out.compactBytes(Buffer.from(topic.name));
    out.compactArray(topic.partitions, (partition) => {
      out.int32(partition.index).int16(partition.errorCode ?? 0).int64(partition.highWatermark ?? 0);
      out.int64(partition.highWatermark ?? 0).int64(0); // last_stable_offset, log_start_offset
      out.compactArray(partition.aborted ?? [], (aborted) => out.int64(aborted.producerId).int64(aborted.firstOffset).tags(aborted.tags));
      out.int32(-1); // preferred_read_replica
      out.compactBytes(partition.records).tags(partition.tags);
    });
    out.tags(topic.tags);
  });
  return out.tags(response.tags).toBuffer();
}

const noCompression: Decompress = (codec) => assert.fail(`decompress was called for codec ${codec} with no compressed batch`);
const parse = (version: number, body: Buffer, positions: Record<number, number> = {}, decompress = noCompression): FetchedResponse =>
  parseFetchResponse(body, 0, version, (partition) => positions[partition] ?? 0, decompress);

/** The response of one topic with one partition holding `records`. */
function onePartition(records: Buffer | null, partition: Partial<PartitionSpec> = {}): ResponseSpec {
  return { topics: [{ name: 'sales', partitions: [{ index: 0, highWatermark: 100, ...partition, records }] }] };
}
/** The one partition parseFetchResponse() found in a onePartition() response. */
function onlyPartition(response: FetchedResponse): FetchedResponse['responses'][number]['partitions'][number] {
  assert.equal(response.responses.length, 1);
  const partitions = response.responses[0]?.partitions ?? [];
  assert.equal(partitions.length, 1);
  return partitions[0] as (typeof partitions)[number];
}


const t0 = 1_700_000_000_000;
const simple = (baseOffset: number, count: number): BatchSpec => ({
  baseOffset,
  messages: Array.from({ length: count }, (_, index) => ({ key: `k${baseOffset + index}`, value: `v${baseOffset + index}`, timestamp: t0 + baseOffset + index })),
});

describe('parseFetchResponse()', () => {
  const plainBatch: BatchSpec = {
    baseOffset: 0,
    messages: [
      { key: null, value: 'plain', timestamp: t0 },
      { key: Buffer.from([0, 255, 1, 128]), value: 'Grüße aus Köln, 東京 🚀', timestamp: t0 + 1500, headers: [['source', 'pos-7'], ['trace', 'first'], ['trace', 'second']] },
      { key: Buffer.alloc(0), value: null, timestamp: t0 - 20, headers: [['ünïcode', '值']] },
    ],
  };
  /** Offsets 3, 5 and 8: a compacted log's gaps. */
  const gappedBatch: BatchSpec = {
    baseOffset: 3,
    messages: [
      { key: 'c-1', value: '{"amount":12.5}', timestamp: t0 + 10_000, offsetDelta: 0 },
      { key: 'c-2', value: '{"amount":3}', timestamp: t0 + 10_001, offsetDelta: 2 },
      { key: 'c-3', value: '', timestamp: t0 + 9_999, offsetDelta: 5 },
    ],
  };
  const mixedBatches = [plainBatch, gappedBatch];
  /** Offsets and timestamps above 2^32: the int64 fields are read past their low word. */
  const bigOffsetBatch: BatchSpec = {
    baseOffset: 2 ** 33 + 7,
    messages: [
      { key: 'far', value: 'one', timestamp: 2 ** 41 + 3 },
      { key: 'far', value: 'two', timestamp: 2 ** 41 + 9 },
    ],
  };

  for (const version of [12, 13, 17]) {
    test(`parseFetchResponse() reads the records, offsets, timestamps and headers of several partitions and batches (v${version})`, async () => {
      const body = encodeFetchResponse(version, {
        topics: [
          {
            name: 'sales',
            partitions: [
              { index: 0, highWatermark: 9, records: await encodeBatches(mixedBatches) },
              { index: 1, errorCode: 1, highWatermark: 40, records: Buffer.alloc(0) },
            ],
          },
          { name: 'returns', partitions: [{ index: 4, highWatermark: 2 ** 33 + 9, records: await encodeBatches([bigOffsetBatch]) }] },
        ],
      });
      assert.deepEqual(parse(version, body), {
        errorCode: 0,
        responses: [
          {
            partitions: [
              { partitionIndex: 0, errorCode: 0, highWatermark: 9, records: expectedRecords(0, mixedBatches, 0), nextOffset: 9 },
              { partitionIndex: 1, errorCode: 1, highWatermark: 40, records: [], nextOffset: undefined },
            ],
          },
          { partitions: [{ partitionIndex: 4, errorCode: 0, highWatermark: 2 ** 33 + 9, records: expectedRecords(4, [bigOffsetBatch], 0), nextOffset: 2 ** 33 + 9 }] },
        ],
      });
    });
  }

  test('parseFetchResponse() keeps the first value of a header name that is repeated', async () => {
    const partition = onlyPartition(parse(13, encodeFetchResponse(13, onePartition(await encodeBatches(mixedBatches)))));
    assert.deepEqual(partition.records[1]?.headers, { source: 'pos-7', trace: 'first' });
  });

  test('parseFetchResponse() reads the top-level error code and starts at the offset it is given', async () => {
    const body = encodeFetchResponse(15, { ...onePartition(await encodeBatches([simple(0, 2)])), errorCode: 58 });
    // A response header (correlation_id, tags) before the body, as on the wire.
    const framed = Buffer.concat([new ProtocolWriter().int32(77).tags().toBuffer(), body]);
    const response = parseFetchResponse(framed, 5, 15, () => 0, noCompression);
    assert.equal(response.errorCode, 58);
    assert.deepEqual(onlyPartition(response).records, expectedRecords(0, [simple(0, 2)], 0));
  });

  test('parseFetchResponse() skips records before the position but still moves nextOffset past their batch', async () => {
    const batches = [simple(0, 3), simple(3, 3)];
    const records = await encodeBatches(batches);
    for (const position of [0, 2, 3, 4, 5, 6, 50]) {
      const partition = onlyPartition(parse(13, encodeFetchResponse(13, onePartition(records)), { 0: position }));
      assert.deepEqual(partition.records, expectedRecords(0, batches, position), `position ${position}`);
      assert.equal(partition.nextOffset, 6, `position ${position}`);
    }
  });

  test('parseFetchResponse() ignores a last batch cut short by the byte limit and stops nextOffset before it', async () => {
    const first = await encodeBatch(simple(10, 2));
    const second = await encodeBatch(simple(12, 3));
    for (const kept of [0, 1, 12, 60, 61, 62, second.length - 1]) {
      const cut = Buffer.concat([first, second.subarray(0, kept)]);
      const partition = onlyPartition(parse(14, encodeFetchResponse(14, onePartition(cut))));
      assert.deepEqual(partition.records, expectedRecords(0, [simple(10, 2)], 0), `${kept} bytes of the second batch`);
      assert.equal(partition.nextOffset, 12, `${kept} bytes of the second batch`);
    }
    const alone = onlyPartition(parse(14, encodeFetchResponse(14, onePartition(second.subarray(0, second.length - 1)))));
    assert.deepEqual(alone.records, []);
    assert.equal(alone.nextOffset, undefined);
  });

  test('parseFetchResponse() yields no records for a control batch but moves nextOffset past it', async () => {
    // A commit marker: key (version 0, type 1), value (version 0, coordinator epoch 0).
    const marker = (baseOffset: number): BatchSpec => ({
      baseOffset,
      transactional: true,
      messages: [{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 0]), timestamp: t0 }],
    });
    const control = async (baseOffset: number): Promise<Buffer> => withAttributes(await encodeBatch(marker(baseOffset)), 0x20);
    const between = Buffer.concat([await encodeBatch(simple(0, 2)), await control(2), await encodeBatch(simple(3, 1))]);
    const partition = onlyPartition(parse(16, encodeFetchResponse(16, onePartition(between))));
    assert.deepEqual(partition.records, expectedRecords(0, [simple(0, 2), simple(3, 1)], 0));
    assert.equal(partition.nextOffset, 4);

    const last = onlyPartition(parse(16, encodeFetchResponse(16, onePartition(Buffer.concat([await encodeBatch(simple(0, 2)), await control(2)])))));
    assert.deepEqual(last.records, expectedRecords(0, [simple(0, 2)], 0));
    assert.equal(last.nextOffset, 3);
  });

  test('parseFetchResponse() drops the batches of aborted transactions, as the Java consumer does at read_committed', async () => {
    // Transaction markers: key (version 0, type 0 ABORT / 1 COMMIT), value (version 0, coordinator epoch 0).
    const marker = async (baseOffset: number, producerId: number, type: 0 | 1): Promise<Buffer> =>
      withAttributes(await encodeBatch({ baseOffset, producerId, transactional: true, messages: [{ key: Buffer.from([0, 0, 0, type]), value: Buffer.from([0, 0, 0, 0, 0, 0]), timestamp: t0 }] }), 0x20);
    const inTransaction = (baseOffset: number, count: number, producerId: number): BatchSpec => ({ ...simple(baseOffset, count), producerId, transactional: true });
    // Producer 5 aborts [0, 1] and later commits [8, 9]; producer 6 commits [2, 3]; [4, 5] are
    // plain idempotent records of producer 5, outside any transaction.
    const log = Buffer.concat([
      await encodeBatch(inTransaction(0, 2, 5)),
      await encodeBatch(inTransaction(2, 2, 6)),
      await encodeBatch({ ...simple(4, 2), producerId: 5 }),
      await marker(6, 5, 0),
      await marker(7, 6, 1),
      await encodeBatch(inTransaction(8, 2, 5)),
    ]);
    const kept = (aborted: PartitionSpec['aborted'], position = 0) => {
      const partition = onlyPartition(parse(16, encodeFetchResponse(16, onePartition(log, aborted === undefined ? {} : { aborted })), { 0: position }));
      assert.equal(partition.nextOffset, 10);
      return partition.records.map((record) => record.offset);
    };
    assert.deepEqual(kept(undefined), [0, 1, 2, 3, 4, 5, 8, 9], 'no aborted transaction listed: everything');
    assert.deepEqual(kept([{ producerId: 5, firstOffset: 0 }]), [2, 3, 4, 5, 8, 9], 'the ABORT marker ends the aborted transaction');
    assert.deepEqual(kept([{ producerId: 5, firstOffset: 8 }, { producerId: 5, firstOffset: 0 }]), [2, 3, 4, 5], 'two aborted transactions, listed in any order');
    assert.deepEqual(kept([{ producerId: 6, firstOffset: 2 }]), [0, 1, 4, 5, 8, 9], "another producer's transaction");
    assert.deepEqual(kept([{ producerId: 5, firstOffset: 0 }], 3), [3, 4, 5, 8, 9], 'from a later position');
  });

  test('parseFetchResponse() inflates a GZIP batch with the decompress callback, passing codec 1', async () => {
    const batches: BatchSpec[] = [simple(0, 2), { ...gappedBatch, gzip: true }];
    const codecs: number[] = [];
    const gunzip: Decompress = (codec, compressed) => {
      codecs.push(codec);
      assert.equal(codec, 1);
      return gunzipSync(compressed);
    };
    const body = encodeFetchResponse(17, onePartition(await encodeBatches(batches)));
    const partition = onlyPartition(parse(17, body, {}, gunzip));
    assert.deepEqual(codecs, [1]);
    assert.deepEqual(partition.records, expectedRecords(0, batches, 0));
    assert.equal(partition.nextOffset, 9);
  });

  test('parseFetchResponse() stamps every record with the batch max timestamp under LogAppendTime', async () => {
    const appendTime = t0 + 777_777;
    const batch: BatchSpec = { ...plainBatch, maxTimestamp: appendTime };
    const records = withAttributes(await encodeBatch(batch), 0x08);
    const partition = onlyPartition(parse(14, encodeFetchResponse(14, onePartition(records))));
    assert.deepEqual(
      partition.records,
      expectedRecords(0, [batch], 0).map((record) => ({ ...record, timestamp: appendTime })),
    );
    assert.equal(partition.nextOffset, 3);
  });

  test('parseFetchResponse() throws CorruptFetchError when a byte inside a batch is changed', async () => {
    const good = await encodeBatch(plainBatch);
    for (const at of [attributesAt, 30, 61, good.length - 1]) {
      const bad = Buffer.from(good);
      bad[at] = (bad[at] as number) ^ 0x04;
      const body = encodeFetchResponse(13, onePartition(bad));
      assert.throws(() => parse(13, body), (error: unknown) => error instanceof CorruptFetchError && /fails its CRC check/.test(error.message), `byte ${at}`);
    }
  });

  test('parseFetchResponse() throws CorruptFetchError for a batch of magic 1', async () => {
    const batch = await encodeBatch(simple(5, 1));
    batch[magicAt] = 1;
    const body = encodeFetchResponse(16, onePartition(batch));
    assert.throws(() => parse(16, body), (error: unknown) => error instanceof CorruptFetchError && /has magic 1/.test(error.message));
  });

  test('parseFetchResponse() throws CorruptFetchError for a batch length shorter than its header instead of looping on it', () => {
    for (const length of [-12, -100, 0, 48]) {
      const batch = Buffer.alloc(61);
      batch.writeInt32BE(length, 8);
      batch[magicAt] = 2;
      const body = encodeFetchResponse(16, onePartition(batch));
      assert.throws(() => parse(16, body), (error: unknown) => error instanceof CorruptFetchError && /less than its header/.test(error.message), `length ${length}`);
    }
    // The smallest real batch (no records) is 49 bytes after the length field: accepted.
    const empty = Buffer.alloc(61);
    empty.writeInt32BE(49, 8);
    empty[magicAt] = 2;
    empty.writeInt32BE(-1, 23);
    empty.writeUInt32BE(crc32c(empty.subarray(21)) >>> 0, 17);
    assert.doesNotThrow(() => parse(16, encodeFetchResponse(16, onePartition(empty))));
  });

  test('parseFetchResponse() skips tagged fields at the partition, topic and top level', async () => {
    const field = (tag: number, size: number): TaggedField => ({ tag, data: Buffer.alloc(size, 0x5a) });
    const [first, second] = [simple(0, 2), simple(20, 3)];
    for (const version of [13, 17]) {
      const body = encodeFetchResponse(version, {
        topics: [
          {
            name: 'sales',
            partitions: [
              {
                index: 0,
                highWatermark: 2,
                aborted: [{ producerId: 7, firstOffset: 0, tags: [field(0, 5)] }],
                records: await encodeBatch(first),
                tags: [field(0, 29), field(1, 200)],
              },
              { index: 1, highWatermark: 23, records: await encodeBatch(second), tags: [field(2, 3)] },
            ],
            tags: [field(7, 9)],
          },
        ],
        tags: [field(0, 150)],
      });
      const response = parse(version, body);
      assert.deepEqual(response.responses[0]?.partitions.map((partition) => [partition.records, partition.nextOffset]), [
        [expectedRecords(0, [first], 0), 2],
        [expectedRecords(1, [second], 0), 23],
      ]);
    }
  });

  test('parseFetchResponse() gives no records and no nextOffset for null records', () => {
    const partition = onlyPartition(parse(13, encodeFetchResponse(13, onePartition(null, { errorCode: 6 }))));
    assert.deepEqual(partition, { partitionIndex: 0, errorCode: 6, highWatermark: 100, records: [], nextOffset: undefined });
  });

  test('parseFetchResponse() skips aborted transactions before the records', async () => {
    const aborted = [
      { producerId: 4001, firstOffset: 3 },
      { producerId: 2 ** 40, firstOffset: 9 },
    ];
    const records = await encodeBatches([simple(0, 3)]);
    const partition = onlyPartition(parse(15, encodeFetchResponse(15, onePartition(records, { aborted }))));
    assert.deepEqual(partition.records, expectedRecords(0, [simple(0, 3)], 0));
    assert.equal(partition.nextOffset, 3);
  });

  test('parseFetchResponse() throws RangeError for a version outside 12 to 17', () => {
    const body = encodeFetchResponse(12, onePartition(null));
    for (const version of [0, 11, 18]) assert.throws(() => parse(version, body), RangeError, `version ${version}`);
  });

  test('parseFetchResponse() returns exactly the encoded records at or after the position (property)', async () => {
    const payload = fc.oneof(fc.constant(null), fc.uint8Array({ maxLength: 24 }).map((bytes) => Buffer.from(bytes)), fc.string({ unit: 'binary', maxLength: 12 }));
    const headerName = fc.oneof(fc.constantFrom('trace', 'ürsprung', ''), fc.string({ unit: 'grapheme', maxLength: 6 })).filter((name) => name !== '__proto__');
    const message = fc.record({
      key: payload,
      value: payload,
      timestamp: fc.integer({ min: 0, max: 2 ** 42 }),
      headers: fc.array(fc.tuple(headerName, fc.string({ unit: 'binary', maxLength: 8 })), { maxLength: 3 }),
      offsetGap: fc.integer({ min: 1, max: 3 }),
    });
    const batch = fc.record({ messages: fc.array(message, { minLength: 1, maxLength: 5 }), gap: fc.nat({ max: 5 }), gzip: fc.boolean() });
    const partition = fc.record({
      index: fc.nat({ max: 100 }),
      firstOffset: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 40 })),
      batches: fc.array(batch, { minLength: 1, maxLength: 3 }),
      positionFrom: fc.nat({ max: 60 }),
    });
    const scenario = fc.record({
      version: fc.integer({ min: 12, max: 17 }),
      partitions: fc.uniqueArray(partition, { selector: (spec) => spec.index, minLength: 1, maxLength: 3 }),
    });
    const gunzip: Decompress = (codec, compressed) => (codec === 1 ? gunzipSync(compressed) : assert.fail(`unexpected codec ${codec}`));

    await fc.assert(
      fc.asyncProperty(scenario, async ({ version, partitions }) => {
        const specs = partitions.map((spec) => {
          let next = spec.firstOffset;
          const batches = spec.batches.map((generated): BatchSpec => {
            const baseOffset = next + generated.gap;
            let delta = -1;
            const messages = generated.messages.map(({ offsetGap, ...fields }): MessageSpec => ({ ...fields, offsetDelta: (delta += offsetGap) }));
            const built = { baseOffset, messages, gzip: generated.gzip };
            next = nextOffsetAfter(built);
            return built;
          });
          return { index: spec.index, batches, position: spec.firstOffset + spec.positionFrom, nextOffset: next };
        });
        const body = encodeFetchResponse(version, {
          topics: [
            {
              name: 'sales',
              partitions: await Promise.all(specs.map(async (spec) => ({ index: spec.index, highWatermark: spec.nextOffset, records: await encodeBatches(spec.batches) }))),
            },
          ],
        });
        const positions = Object.fromEntries(specs.map((spec) => [spec.index, spec.position]));
        assert.deepEqual(parse(version, body, positions, gunzip), {
          errorCode: 0,
          responses: [
            {
              partitions: specs.map((spec) => ({
                partitionIndex: spec.index,
                errorCode: 0,
                highWatermark: spec.nextOffset,
                records: expectedRecords(spec.index, spec.batches, spec.position),
                nextOffset: spec.nextOffset,
              })),
            },
          ],
        });
      }),
      { numRuns: 100 },
    );
  });
});

describe('readZigZagVarint() (the record fields\' varints)', () => {
  const KafkajsEncoder = requireCommonJs('kafkajs/src/protocol/encoder.js') as new () => { writeVarLong(value: number): unknown; buffer: Buffer };
  const encoded = (value: number): Buffer => {
    const encoder = new KafkajsEncoder();
    encoder.writeVarLong(value);
    return encoder.buffer;
  };
  // Around every length boundary (1 to 8 bytes) and the int32 path's end, both signs.
  const boundaries = [0, 1, 63, 64, 8_191, 8_192, 2 ** 20 - 1, 2 ** 20, 2 ** 27 - 1, 2 ** 27, 2 ** 31, 2 ** 34, 2 ** 41, 2 ** 48, 2 ** 52];
  const values = boundaries.flatMap((b) => [b, -b, b + 1, -b - 1, b - 1, -(b - 1)]).filter((v) => Math.abs(v) <= 2 ** 52).map((v) => v + 0); // no -0

  test('reads what kafkajs writes, at any offset, and says where it ends', () => {
    for (const value of values) {
      const bytes = encoded(value);
      const framed = Buffer.concat([Buffer.from([0xff, 0x80]), bytes, Buffer.from([0x05])]);
      assert.deepEqual(readZigZagVarint(framed, 2), { value, end: 2 + bytes.length }, `value ${value}`);
    }
  });

  test('reads random values of every magnitude as kafkajs writes them (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 52 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean(), (bits, fraction, negative) => {
        const magnitude = Math.floor(fraction * 2 ** bits);
        const value = negative ? -magnitude : magnitude;
        const bytes = encoded(value);
        assert.deepEqual(readZigZagVarint(bytes, 0), { value: value + 0, end: bytes.length });
      }),
      { numRuns: 5_000 },
    );
  });

  test('refuses a varint cut short and one longer than ten bytes', () => {
    for (const value of [300, 2 ** 27, 2 ** 40]) {
      const bytes = encoded(value);
      assert.throws(() => readZigZagVarint(bytes.subarray(0, bytes.length - 1), 0), CorruptFetchError, `${value} cut short`);
    }
    assert.throws(() => readZigZagVarint(Buffer.alloc(11, 0x80), 0), CorruptFetchError);
  });
});
