/**
 * The Produce request encoder, checked against decoders that share no code with it: the request
 * envelope by a parser written here from the protocol guide, each partition's record batch by
 * @platformatic/kafka's readRecordsBatch and by kafkajs' RecordBatch decoder, and the batch CRC by
 * @platformatic/kafka's pure-JS CRC-32C (the encoder uses the native @node-rs/crc32).
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { jsCRC32C, Reader, readRecord, readRecordsBatch } from '@platformatic/kafka';
import fc from 'fast-check';
import {
  createProduceEncoder,
  nextSequence,
  type PartitionRecords,
  type ProduceRequestOptions,
} from '../../src/broker/produce-request.ts';
import { type OutgoingRecord } from '../../src/broker/topic-producer.ts';

// kafkajs ships no types for its protocol internals: these describe what its v0 RecordBatch
// decoder (magic 2) returns.
interface KafkajsDecoder {
  readonly offset: number;
}
type KafkajsDecoderClass = new (buffer: Buffer) => KafkajsDecoder;
interface KafkajsRecord {
  magicByte: number;
  attributes: number;
  timestamp: string;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
  isControlRecord: boolean;
}
interface KafkajsBatch {
  firstOffset: string;
  firstTimestamp: string;
  maxTimestamp: string;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  timestampType: number;
  records: KafkajsRecord[];
}

const requireCommonJs = createRequire(import.meta.url);
const KafkajsDecoder = requireCommonJs('kafkajs/src/protocol/decoder.js') as KafkajsDecoderClass;
const decodeKafkajsBatch = requireCommonJs('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (decoder: KafkajsDecoder) => Promise<KafkajsBatch>;

/** Offset of the first record in a magic-2 batch, and of the attributes field where the CRC starts. */
const batchHeaderBytes = 61;
const crcStart = 21;

// ---- The request envelope, parsed from the protocol guide (Produce v3..v11) ----

interface ParsedPartition {
  index: number;
  records: Buffer | null;
  taggedFields: number;
}
interface ParsedTopic {
  name: string;
  partitions: ParsedPartition[];
  taggedFields: number;
}
interface ParsedRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topics: ParsedTopic[];
  taggedFields: number;
}

/**
 * Produce request body: transactional_id acks:int16 timeout_ms:int32
 * [name [index:int32 records]]; v9+ use compact strings, arrays and records (unsigned varint
 * length + 1) and end each struct and the request with tagged fields.
 */
function parseProduceRequest(body: Buffer, version: number): ParsedRequest {
  const flexible = version >= 9;
  let at = 0;
  const take = (length: number): Buffer => {
    assert.ok(at + length <= body.length, `a field of ${length} bytes at ${at} runs past the end (${body.length})`);
    const bytes = body.subarray(at, at + length);
    at += length;
    return bytes;
  };
  const int16 = (): number => take(2).readInt16BE(0);
  const int32 = (): number => take(4).readInt32BE(0);
  const unsignedVarint = (): number => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = take(1)[0] as number;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  const nullableString = (): string | null => {
    const length = flexible ? unsignedVarint() - 1 : int16();
    return length < 0 ? null : take(length).toString('utf8');
  };
  const nullableBytes = (): Buffer | null => {
    const length = flexible ? unsignedVarint() - 1 : int32();
    return length < 0 ? null : take(length);
  };
  const array = <T>(item: () => T): T[] => {
    const count = flexible ? unsignedVarint() - 1 : int32();
    assert.ok(count >= 0, 'arrays in a Produce request are not null');
    return Array.from({ length: count }, () => item());
  };
  const taggedFields = (): number => {
    if (!flexible) return 0;
    const count = unsignedVarint();
    for (let field = 0; field < count; field++) {
      unsignedVarint(); // tag
      take(unsignedVarint());
    }
    return count;
  };

  const transactionalId = nullableString();
  const acks = int16();
  const timeoutMs = int32();
  const topics = array((): ParsedTopic => {
    const name = nullableString();
    assert.ok(name !== null, 'a topic name is not null');
    const partitions = array((): ParsedPartition => ({ index: int32(), records: nullableBytes(), taggedFields: taggedFields() }));
    return { name, partitions, taggedFields: taggedFields() };
  });
  const request = { transactionalId, acks, timeoutMs, topics, taggedFields: taggedFields() };
  assert.equal(at, body.length, 'the request ends after its last field');
  return request;
}

// ---- What the batches must hold ----

function utf8(value: Buffer | string | null): Buffer | null {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

function headerEntries(record: OutgoingRecord): Array<[string, string]> {
  return record.headers === undefined ? [] : Object.entries(record.headers);
}

/** Size of the unsigned varint starting at `at`. */
function varintSizeAt(bytes: Buffer, at: number): number {
  let size = 1;
  while ((bytes[at + size - 1] as number) >= 0x80) size++;
  return size;
}

/**
 * Checks one partition's batch with both decoders and returns each record's length prefix,
 * after checking that it is the size of the record's body.
 */
async function assertBatch(batchBytes: Buffer, batch: PartitionRecords, options: ProduceRequestOptions): Promise<number[]> {
  const timestamps = batch.records.map((record) => record.timestamp ?? options.now);
  const baseTimestamp = timestamps[0] ?? options.now;
  const maxTimestamp = timestamps.reduce((max, timestamp) => Math.max(max, timestamp), baseTimestamp);
  const count = batch.records.length;

  // @platformatic/kafka
  const reader = Reader.from(batchBytes);
  const { records, ...header } = readRecordsBatch(reader);
  assert.equal(reader.position, batchBytes.length, 'the batch ends after its last record');
  assert.deepEqual(header, {
    firstOffset: 0n,
    length: batchBytes.length - 12,
    partitionLeaderEpoch: -1,
    magic: 2,
    crc: jsCRC32C(batchBytes.subarray(crcStart)),
    attributes: 0,
    lastOffsetDelta: count - 1,
    firstTimestamp: BigInt(baseTimestamp),
    maxTimestamp: BigInt(maxTimestamp),
    producerId: options.producerId,
    producerEpoch: options.producerEpoch,
    firstSequence: batch.baseSequence,
  });
  assert.deepEqual(
    records.map((record) => ({
      attributes: record.attributes,
      timestamp: header.firstTimestamp + record.timestampDelta,
      offsetDelta: record.offsetDelta,
      key: record.key,
      value: record.value,
      headers: record.headers,
    })),
    batch.records.map((record, index) => ({
      attributes: 0,
      timestamp: BigInt(timestamps[index] as number),
      offsetDelta: index,
      key: utf8(record.key),
      value: utf8(record.value),
      headers: headerEntries(record).map(([name, value]) => [Buffer.from(name, 'utf8'), Buffer.from(value, 'utf8')]),
    })),
  );

  // Each record's length prefix is the size of what follows it up to the next record.
  const walker = Reader.from(batchBytes);
  walker.skip(batchHeaderBytes);
  const lengths: number[] = [];
  for (let index = 0; index < count; index++) {
    const start = walker.position;
    const { length } = readRecord(walker);
    assert.equal(walker.position - start - varintSizeAt(batchBytes, start), length, `record ${index}'s length prefix is its body size`);
    lengths.push(length);
  }

  // kafkajs
  const outer = new KafkajsDecoder(batchBytes);
  const { records: kafkajsRecords, ...kafkajsHeader } = await decodeKafkajsBatch(outer);
  assert.equal(outer.offset, batchBytes.length);
  assert.deepEqual(kafkajsHeader, {
    firstOffset: '0',
    firstTimestamp: String(baseTimestamp),
    maxTimestamp: String(maxTimestamp),
    partitionLeaderEpoch: -1,
    inTransaction: false,
    isControlBatch: false,
    lastOffsetDelta: count - 1,
    producerId: options.producerId.toString(),
    producerEpoch: options.producerEpoch,
    firstSequence: batch.baseSequence,
    timestampType: 0, // create time
  });
  assert.deepEqual(
    kafkajsRecords.map(({ magicByte, attributes, timestamp, offset, key, value, headers, isControlRecord }) => ({
      magicByte,
      attributes,
      timestamp,
      offset,
      key,
      value,
      headers,
      isControlRecord,
    })),
    batch.records.map((record, index) => ({
      magicByte: 2,
      attributes: 0,
      timestamp: String(timestamps[index]),
      offset: String(index),
      key: utf8(record.key),
      value: utf8(record.value),
      headers: Object.fromEntries(headerEntries(record).map(([name, value]) => [name, Buffer.from(value, 'utf8')])),
      isControlRecord: false,
    })),
  );
  return lengths;
}

/** Checks the whole request; returns the record length prefixes per partition. */
async function assertRequest(body: Buffer, options: ProduceRequestOptions, partitions: readonly PartitionRecords[]): Promise<number[][]> {
  const request = parseProduceRequest(body, options.version);
  assert.equal(request.transactionalId, null);
  assert.equal(request.acks, options.acks);
  assert.equal(request.timeoutMs, options.timeoutMs);
  assert.equal(request.taggedFields, 0);
  assert.equal(request.topics.length, 1);
  const topic = request.topics[0] as ParsedTopic;
  assert.equal(topic.name, options.topic);
  assert.equal(topic.taggedFields, 0);
  assert.deepEqual(
    topic.partitions.map(({ index, taggedFields }) => ({ index, taggedFields })),
    partitions.map(({ partition }) => ({ index: partition, taggedFields: 0 })),
  );
  const lengths: number[][] = [];
  for (const [index, parsed] of topic.partitions.entries()) {
    assert.ok(parsed.records !== null, `partition ${parsed.index} has records`);
    lengths.push(await assertBatch(parsed.records, partitions[index] as PartitionRecords, options));
  }
  return lengths;
}

function optionsFor(version: number, overrides: Partial<ProduceRequestOptions> = {}): ProduceRequestOptions {
  return {
    version,
    topic: 'sales',
    acks: -1,
    timeoutMs: 30_000,
    producerId: 4_242n,
    producerEpoch: 3,
    now: 1_700_000_000_000,
    ...overrides,
  };
}

/** Text of exactly `bytes` UTF-8 bytes, mostly 3-byte characters: its UTF-16 length is about a third. */
function threeByteText(bytes: number): string {
  return '€'.repeat(Math.floor(bytes / 3)) + 'a'.repeat(bytes % 3);
}

// ---- Arbitraries ----

/** `pattern` repeated to `units` UTF-16 units, without splitting a surrogate pair. */
function repeatTo(pattern: string, units: number): string {
  const text = pattern.repeat(Math.ceil(units / pattern.length)).slice(0, units);
  return /[\uD800-\uDBFF]$/.test(text) ? text.slice(0, -1) : text;
}

const cjk = fc.integer({ min: 0x4e00, max: 0x9fff }).map((code) => String.fromCodePoint(code));
const shortText = fc.oneof(
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }), // emoji and other multi-code-point graphemes
  fc.string({ unit: 'binary', maxLength: 20 }), // any code point, no lone surrogates
  fc.string({ unit: cjk, maxLength: 30 }),
);
/** Lengths (UTF-16 units) around where the length varints change size, and anything to 20000. */
const longLength = fc.oneof(
  fc.integer({ min: 0, max: 20_000 }),
  fc.integer({ min: 18, max: 70 }),
  fc.integer({ min: 2_700, max: 2_740 }),
  fc.integer({ min: 8_150, max: 8_200 }),
  fc.constantFrom(63, 64, 8_191, 8_192),
);
const longText = fc
  .tuple(fc.oneof(fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 8 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }), cjk), longLength)
  .map(([pattern, units]) => repeatTo(pattern, units));
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 100 }).map((array) => Buffer.from(array)),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 16 }), longLength).map(([pattern, length]) => Buffer.alloc(length, pattern)),
);
const keyArbitrary = fc.oneof(fc.constant(null), shortText, bytes);
const valueArbitrary = fc.oneof(
  { arbitrary: fc.constant(null), weight: 1 },
  { arbitrary: shortText, weight: 2 },
  { arbitrary: longText, weight: 2 },
  { arbitrary: bytes, weight: 2 },
);
// Not names on Object.prototype: kafkajs collects headers into a plain object and would take
// "constructor" for a header it already saw.
const headerName = fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 6 })).filter((name) => !(name in Object.prototype));
const headersArbitrary = fc.dictionary(headerName, shortText, { maxKeys: 4 });

// Epoch ms well above the largest offset below, so every timestamp stays positive.
const nowArbitrary = fc.integer({ min: 1_500_000_000_000, max: 2 ** 42 });
/** Offsets from `now`: small, either side of the 2^30 varlong fast path, beyond 2^31, up to 2^40. */
const timestampOffset = fc.oneof(
  fc.integer({ min: -100_000, max: 100_000 }),
  fc.constantFrom(0x3fffffff, 0x40000000, -0x40000000, -0x40000001, 2 ** 31, 2 ** 31 + 1, -(2 ** 31) - 1, 2 ** 32 + 7),
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
);

interface RecordShape {
  key: Buffer | string | null;
  value: Buffer | string | null;
  timestampOffset: number | null;
  headers: Record<string, string> | null;
}
const recordShape: fc.Arbitrary<RecordShape> = fc.record({
  key: keyArbitrary,
  value: valueArbitrary,
  timestampOffset: fc.option(timestampOffset, { freq: 3 }),
  headers: fc.option(headersArbitrary, { freq: 2 }),
});

function toRecord(shape: RecordShape, now: number): OutgoingRecord {
  const record: OutgoingRecord = { key: shape.key, value: shape.value };
  if (shape.timestampOffset !== null) record.timestamp = now + shape.timestampOffset;
  if (shape.headers !== null) record.headers = shape.headers;
  return record;
}

const requestArbitrary = fc
  .record({
    version: fc.constantFrom(3, 7, 8, 9, 11),
    topic: fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-'), minLength: 1, maxLength: 249 }),
    acks: fc.constantFrom(-1, 0, 1),
    timeoutMs: fc.integer({ min: 0, max: 0x7fffffff }),
    producerId: fc.oneof(fc.constant(-1n), fc.bigInt({ min: 0n, max: 2n ** 63n - 1n })),
    producerEpoch: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 0x7fff })),
    now: nowArbitrary,
    partitions: fc.uniqueArray(
      fc.record({
        partition: fc.integer({ min: 0, max: 10_000 }),
        baseSequence: fc.integer({ min: 0, max: 0x7fffffff }),
        records: fc.array(recordShape, { minLength: 1, maxLength: 6 }),
      }),
      { selector: (partition) => partition.partition, minLength: 1, maxLength: 4 },
    ),
  })
  .map(({ partitions, ...options }) => ({
    options,
    partitions: partitions.map(({ partition, baseSequence, records }): PartitionRecords => ({
      partition,
      baseSequence,
      records: records.map((shape) => toRecord(shape, options.now)),
    })),
  }));

// ---- Tests ----

describe('createProduceEncoder()', () => {
  test('encodes requests whose every field two independent decoders read back', async () => {
    // One encoder for every run, starting small: its scratch is reused and grows along the way.
    const encoder = createProduceEncoder(256);
    await fc.assert(
      fc.asyncProperty(requestArbitrary, async ({ options, partitions }) => {
        await assertRequest(encoder.encode(options, partitions), options, partitions);
      }),
      { numRuns: 200 },
    );
  });

  test('encodes every version from 3 to 11, compact from 9 on', async () => {
    const encoder = createProduceEncoder();
    const partitions: PartitionRecords[] = [
      { partition: 2, baseSequence: 7, records: [{ key: 'k', value: 'v', timestamp: 1_700_000_000_001 }] },
      { partition: 0, baseSequence: 0, records: [{ key: null, value: Buffer.from([1, 2, 3]), headers: { trace: 'abc' } }] },
    ];
    for (let version = 3; version <= 11; version++) {
      const options = optionsFor(version);
      const body = encoder.encode(options, partitions);
      // Null transactional_id: int16 -1 before v9, compact 0 from v9 on.
      assert.deepEqual([...body.subarray(0, version >= 9 ? 1 : 2)], version >= 9 ? [0] : [0xff, 0xff], `version ${version}`);
      await assertRequest(body, options, partitions);
    }
  });

  test('writes text whose UTF-8 length is 63, 64, 8191 or 8192 bytes, a varint boundary its UTF-16 length is not on', async () => {
    const encoder = createProduceEncoder();
    for (const size of [63, 64, 8_191, 8_192]) {
      const texts = [threeByteText(size), '😀'.repeat(Math.floor(size / 4)) + 'a'.repeat(size % 4)];
      for (const text of texts) {
        assert.equal(Buffer.byteLength(text, 'utf8'), size);
        assert.notEqual(text.length, size);
        const records: OutgoingRecord[] = [
          { key: null, value: text },
          { key: text, value: null },
          { key: 'k', value: 'v', headers: { [text.slice(0, 10)]: text } },
          { key: text, value: text, headers: { a: text, b: '' } },
        ];
        for (const version of [3, 9]) {
          const options = optionsFor(version);
          const partitions = [{ partition: 0, baseSequence: 0, records }];
          await assertRequest(encoder.encode(options, partitions), options, partitions);
        }
      }
    }
  });

  test('sizes the record length prefix right for bodies of 63, 64, 8191 and 8192 bytes, guessed high or low', async () => {
    const encoder = createProduceEncoder();
    // A body is attributes, timestamp delta, offset delta, null key, value length, value, header
    // count: 5 bytes of one-byte fields, the value, and its length varint (1 byte to 63, else 2).
    const valueBytes = (body: number): number => body - 5 - (body - 6 <= 63 ? 1 : 2);
    for (const body of [63, 64, 8_191, 8_192]) {
      const ascii = 'a'.repeat(valueBytes(body)); // the encoder's guess runs a few bytes high
      const threeByte = threeByteText(valueBytes(body)); // its guess runs about 3 times low
      for (const value of [ascii, threeByte]) {
        const options = optionsFor(11);
        const partitions = [{ partition: 0, baseSequence: 0, records: [{ key: null, value, timestamp: options.now }] }];
        assert.deepEqual(await assertRequest(encoder.encode(options, partitions), options, partitions), [[body]]);
      }
    }
  });

  test('writes timestamp deltas either side of the 2^30 fast path and beyond 2^31, forwards and backwards', async () => {
    const encoder = createProduceEncoder();
    const now = 1_700_000_000_000;
    const deltas = [0, 1, -1, 0x3fffffff, 0x40000000, -0x40000000, -0x40000001, 2 ** 31 + 1, -(2 ** 31) - 1, 2 ** 40, -(2 ** 40)];
    const records: OutgoingRecord[] = deltas.map((delta, index) => ({ key: `k${index}`, value: null, timestamp: now + delta }));
    const options = optionsFor(9, { now: 1 });
    const partitions = [{ partition: 0, baseSequence: 0, records }];
    await assertRequest(encoder.encode(options, partitions), options, partitions);
  });

  test('stamps records without a timestamp with options.now, also as the base timestamp', async () => {
    const encoder = createProduceEncoder();
    const options = optionsFor(7, { now: 1_650_000_000_000 });
    const partitions = [
      { partition: 1, baseSequence: 10, records: [{ key: 'a', value: 'x' }, { key: 'b', value: 'y', timestamp: options.now - 5 }, { key: 'c', value: 'z' }] },
    ];
    const body = encoder.encode(options, partitions);
    await assertRequest(body, options, partitions);
    const batch = parseProduceRequest(body, 7).topics[0]?.partitions[0]?.records;
    assert.ok(batch);
    assert.equal(batch.readBigInt64BE(27), 1_650_000_000_000n);
    assert.equal(batch.readBigInt64BE(35), 1_650_000_000_000n);
  });

  test('grows a 64-byte scratch to a 3 MB request and then encodes a small one, leaving the first intact', async () => {
    const encoder = createProduceEncoder(64);
    const options = optionsFor(9);
    const large: PartitionRecords[] = [
      { partition: 0, baseSequence: 100, records: [{ key: 'big', value: threeByteText(2_000_001), headers: { kind: 'text' } }] },
      {
        partition: 1,
        baseSequence: 5,
        records: Array.from({ length: 10 }, (_, index) => ({ key: Buffer.from([index]), value: Buffer.alloc(100_000, index) })),
      },
    ];
    const largeBody = encoder.encode(options, large);
    assert.ok(largeBody.length > 3_000_000, `the request is ${largeBody.length} bytes`);
    const largeCopy = Buffer.from(largeBody);
    await assertRequest(largeBody, options, large);

    const small: PartitionRecords[] = [{ partition: 3, baseSequence: 0, records: [{ key: 'k', value: 'v' }] }];
    const smallBody = encoder.encode(options, small);
    await assertRequest(smallBody, options, small);
    assert.ok(largeBody.equals(largeCopy), 'the earlier request is not overwritten by the later one');
  });

  test('rejects a version outside 3 to 11 with a RangeError', () => {
    const encoder = createProduceEncoder();
    const partitions = [{ partition: 0, baseSequence: 0, records: [{ key: null, value: 'v' }] }];
    for (const version of [-1, 0, 2, 12, 13, 3.5, Number.NaN]) {
      assert.throws(() => encoder.encode(optionsFor(version), partitions), {
        name: 'RangeError',
        message: `Produce version ${version} is not supported (3 to 11)`,
      });
    }
  });
});

describe('nextSequence()', () => {
  test('adds the record count to the sequence', () => {
    assert.equal(nextSequence(0, 1), 1);
    assert.equal(nextSequence(41, 10), 51);
    assert.equal(nextSequence(2_147_483_646, 1), 2_147_483_647);
  });

  test('wraps past 2^31 - 1 to 0, as Kafka does', () => {
    assert.equal(nextSequence(2_147_483_647, 1), 0);
    assert.equal(nextSequence(2_147_483_600, 100), 52);
    assert.equal(nextSequence(2_147_483_647, 2_147_483_647), 2_147_483_646);
  });
});
