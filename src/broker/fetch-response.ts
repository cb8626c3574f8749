/**
 * A Kafka Fetch response (versions 12 to 17) read straight into the runtime's SourceRecords: one
 * object per record, its key and value views on the response's bytes, no per-record Writer,
 * BigInt, headers array or library record object.
 *
 * Why our own parser: @platformatic/kafka decodes every record into an object with BigInt deltas
 * and a headers array, which the consumer then had to turn into a SourceRecord;
 * that was ~40% of a one-sale-per-message drain. The library still sends the request on its
 * connection (platformatic-consumer.ts); this file only reads bytes, and has no I/O.
 *
 *   response: throttle_time_ms:int32 error_code:int16 session_id:int32
 *             [topic (name | topic_id:uuid) [partition]] tags
 *   partition: index:int32 error_code:int16 high_watermark:int64 last_stable_offset:int64
 *              log_start_offset:int64 [aborted: producer_id:int64 first_offset:int64 tags]
 *              preferred_read_replica:int32 records:compact_bytes tags
 *   records: record batches (magic 2) back to back; the last one may be cut short by the
 *            fetch's byte limit and is left for the next fetch
 *
 * Compressed batches are inflated with the library's codecs. The CRC of every batch is checked
 * (as the Java consumer's check.crcs does). Control batches (transaction markers) are skipped.
 *
 * Aborted transactions are dropped as the Java consumer drops them at read_committed: the broker
 * lists, per partition, the producers with a transaction aborted in the range fetched and where
 * each began; from a batch at or past that offset on, that producer's transactional batches are
 * aborted ones, until its ABORT marker (a control batch whose record key has type 0).
 */
import { crc32c } from '@node-rs/crc32';
import { type SourceRecord } from './group-consumer.ts';

/** One partition's part of a fetch. */
export interface FetchedPartition {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  /** Records at or after the position fetched from, in offset order. */
  records: SourceRecord[];
  /** Offset after the last complete batch (control batches included); undefined when none came. */
  nextOffset: number | undefined;
}

/** The parts of a Fetch response the consumer reads, shaped like the library's. */
export interface FetchedResponse {
  errorCode: number;
  responses: Array<{ partitions: FetchedPartition[] }>;
  /**
   * The reusable buffer the response's bytes were copied into, when the fetcher used one
   * (platformatic-fetch.ts): the records' keys and values are views of it until it is released.
   */
  received?: Buffer;
}

/** Inflates a compressed batch's records; keyed by the attributes' compression bits (1 to 4). */
export type Decompress = (codec: number, compressed: Buffer) => Buffer;

/** Attribute bits of a record batch. */
const compressionMask = 0x07;
const logAppendTime = 0x08;
const transactionalBatch = 0x10;
const controlBatch = 0x20;
/** A control record's type (the second int16 of its key) for a transaction's ABORT marker. */
const abortMarker = 0;
const batchHeaderBytes = 61;
const twoPow32 = 2 ** 32;
/** Shared by records without headers (most): nothing writes to a record's headers. */
const noHeaders: Record<string, string> = Object.freeze({});

/** Thrown for bytes that are not a valid Fetch response or record batch. */
export class CorruptFetchError extends Error {
  override readonly name = 'CorruptFetchError';
}

/**
 * Reads the response body `bytes[start..]` of Fetch `version`. `positionOf(partition)` is where
 * the fetch started for that partition: records before it (a batch starts before the position
 * asked for) are skipped.
 */
export function parseFetchResponse(
  bytes: Buffer,
  start: number,
  version: number,
  positionOf: (partition: number) => number,
  decompress: Decompress,
): FetchedResponse {
  if (version < 12 || version > 17) throw new RangeError(`Fetch version ${version} is not supported (12 to 17)`);
  let at = start;
  const unsignedVarint = (): number => {
    let value = 0;
    let shift = 0;
    for (;;) {
      if (at >= bytes.length) throw new CorruptFetchError('the fetch response ends inside a varint');
      const byte = bytes[at++] as number;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
      shift += 7;
      if (shift > 35) throw new CorruptFetchError('a varint of the fetch response is too long');
    }
  };
  const skipTags = (): void => {
    for (let count = unsignedVarint(); count > 0; count--) {
      unsignedVarint(); // tag
      const size = unsignedVarint();
      at += size; // `at += unsignedVarint()` would add to the position from before the varint
    }
  };
  const need = (count: number): void => {
    if (at + count > bytes.length) throw new CorruptFetchError('the fetch response is shorter than its fields say');
  };

  need(10);
  at += 4; // throttle_time_ms
  const errorCode = bytes.readInt16BE(at);
  at += 2 + 4; // error_code, session_id
  const responses: FetchedResponse['responses'] = [];
  for (let topics = unsignedVarint() - 1; topics > 0; topics--) {
    if (version >= 13) {
      need(16);
      at += 16; // topic_id
    } else {
      const nameBytes = unsignedVarint() - 1;
      at += nameBytes; // topic name
    }
    const partitions: FetchedPartition[] = [];
    for (let count = unsignedVarint() - 1; count > 0; count--) {
      need(4 + 2 + 8 * 3);
      const partitionIndex = bytes.readInt32BE(at);
      const partitionError = bytes.readInt16BE(at + 4);
      const highWatermark = readInt64(bytes, at + 6);
      at += 4 + 2 + 8 * 3; // index, error, high watermark, last stable offset, log start offset
      let aborted: AbortedTransaction[] | undefined;
      for (let count = unsignedVarint() - 1; count > 0; count--) {
        need(16);
        (aborted ??= []).push({ producerId: readInt64(bytes, at), firstOffset: readInt64(bytes, at + 8) });
        at += 16;
        skipTags();
      }
      at += 4; // preferred_read_replica
      const recordsBytes = unsignedVarint() - 1;
      const recordsStart = at;
      if (recordsBytes > 0) need(recordsBytes);
      const fetched: FetchedPartition = { partitionIndex, errorCode: partitionError, highWatermark, records: [], nextOffset: undefined };
      if (recordsBytes > 0) readBatches(bytes, recordsStart, recordsStart + recordsBytes, positionOf(partitionIndex), fetched, decompress, aborted);
      at = recordsStart + Math.max(0, recordsBytes);
      skipTags();
      partitions.push(fetched);
    }
    skipTags();
    responses.push({ partitions });
  }
  skipTags();
  return { errorCode, responses };
}

/** A transaction the broker says was aborted: its producer, and the offset it began at. */
interface AbortedTransaction {
  producerId: number;
  firstOffset: number;
}

/**
 * The record batches in bytes[from..end) into `into.records` (records before `position` skipped,
 * and those of the `aborted` transactions).
 */
function readBatches(bytes: Buffer, from: number, end: number, position: number, into: FetchedPartition, decompress: Decompress, aborted: AbortedTransaction[] | undefined): void {
  let at = from;
  // Producers whose aborted transaction has begun and whose ABORT marker has not come yet.
  const abortingProducers = new Set<number>();
  aborted?.sort((a, b) => a.firstOffset - b.firstOffset);
  let nextAborted = 0;
  // A batch cut short by the fetch's byte limit comes again whole in the next fetch.
  while (at + batchHeaderBytes <= end) {
    const batchLength = bytes.readInt32BE(at + 8);
    if (batchLength < batchHeaderBytes - 12) throw new CorruptFetchError(`record batch at offset ${readInt64(bytes, at)} of partition ${into.partitionIndex} has a length of ${batchLength} bytes, less than its header`);
    const batchEnd = at + 12 + batchLength;
    if (batchEnd > end) break;
    const magic = bytes[at + 16];
    if (magic !== 2) throw new CorruptFetchError(`record batch at offset ${readInt64(bytes, at)} has magic ${magic}; only magic 2 (Kafka 0.11 and later) is supported`);
    const expectedCrc = bytes.readUInt32BE(at + 17);
    if (crc32c(bytes.subarray(at + 21, batchEnd)) >>> 0 !== expectedCrc) {
      throw new CorruptFetchError(`record batch at offset ${readInt64(bytes, at)} of partition ${into.partitionIndex} fails its CRC check`);
    }
    const baseOffset = readInt64(bytes, at);
    const attributes = bytes.readInt16BE(at + 21);
    const lastOffsetDelta = bytes.readInt32BE(at + 23);
    into.nextOffset = baseOffset + lastOffsetDelta + 1;
    const producerId = readInt64(bytes, at + 43);
    if (aborted !== undefined && producerId >= 0) {
      const lastOffset = into.nextOffset - 1;
      for (; nextAborted < aborted.length && (aborted[nextAborted] as AbortedTransaction).firstOffset <= lastOffset; nextAborted++) {
        abortingProducers.add((aborted[nextAborted] as AbortedTransaction).producerId);
      }
      if (attributes & controlBatch) {
        if (controlTypeOf(bytes, at + batchHeaderBytes, batchEnd) === abortMarker) abortingProducers.delete(producerId);
      } else if (attributes & transactionalBatch && abortingProducers.has(producerId)) {
        at = batchEnd;
        continue;
      }
    }
    if ((attributes & controlBatch) === 0 && into.nextOffset > position) {
      const baseTimestamp = readInt64(bytes, at + 27);
      // A topic with message.timestamp.type=LogAppendTime stamps the batch, not its records.
      const appendTime = attributes & logAppendTime ? readInt64(bytes, at + 35) : undefined;
      const count = bytes.readInt32BE(at + 57);
      const codec = attributes & compressionMask;
      const body = codec === 0 ? bytes.subarray(at + batchHeaderBytes, batchEnd) : decompress(codec, bytes.subarray(at + batchHeaderBytes, batchEnd));
      readRecords(body, count, baseOffset, baseTimestamp, appendTime, position, into);
    }
    at = batchEnd;
  }
}

/** `count` records from `body` (a batch's records, uncompressed). */
function readRecords(body: Buffer, count: number, baseOffset: number, baseTimestamp: number, appendTime: number | undefined, position: number, into: FetchedPartition): void {
  let at = 0;
  const bytesOrNull = (): Buffer | null => {
    const length = zigZagVarintAt(body, at);
    at = varintEnd;
    if (length < 0) return null;
    if (at + length > body.length) throw new CorruptFetchError('a record is shorter than its fields say');
    const value = body.subarray(at, at + length);
    at += length;
    return value;
  };
  const { records, partitionIndex: partition } = into;
  for (let index = 0; index < count; index++) {
    const length = zigZagVarintAt(body, at);
    const recordEnd = varintEnd + length;
    at = varintEnd + 1; // attributes
    const timestampDelta = zigZagVarintAt(body, at);
    const offset = baseOffset + zigZagVarintAt(body, varintEnd);
    at = varintEnd;
    const key = bytesOrNull();
    const value = bytesOrNull();
    let headers = noHeaders;
    const headerCount = zigZagVarintAt(body, at);
    at = varintEnd;
    if (headerCount > 0) {
      headers = {};
      for (let h = 0; h < headerCount; h++) {
        const name = bytesOrNull();
        const headerValue = bytesOrNull();
        if (name === null) continue;
        const text = name.toString('utf8');
        // A repeated header keeps its first value, as the kafkajs consumer does.
        if (!Object.hasOwn(headers, text)) headers[text] = headerValue?.toString('utf8') ?? '';
      }
    }
    if (at !== recordEnd) throw new CorruptFetchError(`record at offset ${offset} is ${length} bytes by its length but ${length + at - recordEnd} by its fields`);
    if (offset < position) continue;
    records.push({ partition, offset, key, value, timestamp: appendTime ?? baseTimestamp + timestampDelta, headers });
  }
}

/** Where the last zigZagVarintAt() stopped: the byte after the varint. */
let varintEnd = 0;

/**
 * The zig-zag varint at `bytes[at]` (a record's fields: 0, -1, 1, -2...), its end in `varintEnd`.
 * Up to four bytes (|value| < 2^27: lengths, offset deltas, most timestamp deltas) it is read with
 * 32-bit integer operations; longer ones in floating point, exact below 2^53. (The float path for
 * every varint, with `2 ** shift` per byte and `% 2` for the sign, was a quarter of a one-sale drain.)
 */
function zigZagVarintAt(bytes: Buffer, at: number): number {
  let byte = bytes[at];
  if (byte !== undefined && byte < 0x80) {
    varintEnd = at + 1;
    return (byte >>> 1) ^ -(byte & 1);
  }
  let value = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    byte = bytes[at++];
    if (byte === undefined) throw new CorruptFetchError('a record ends inside a varint');
    value |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      varintEnd = at;
      return (value >>> 1) ^ -(value & 1);
    }
  }
  // Five bytes or more: go on in floating point from the 28 bits read.
  let wide = value;
  for (let scale = 2 ** 28; ; scale *= 128) {
    byte = bytes[at++];
    if (byte === undefined) throw new CorruptFetchError('a record ends inside a varint');
    wide += (byte & 0x7f) * scale;
    if (byte < 0x80) break;
    if (scale >= 2 ** 63) throw new CorruptFetchError('a varint of a record is too long');
  }
  varintEnd = at;
  return wide % 2 === 0 ? wide / 2 : -(wide + 1) / 2;
}

/** zigZagVarintAt() for tests: the value and where it ends. */
export function readZigZagVarint(bytes: Buffer, at: number): { value: number; end: number } {
  const value = zigZagVarintAt(bytes, at);
  return { value, end: varintEnd };
}

/**
 * The type of a control batch's first record (its key: int16 version, int16 type), or -1 when
 * the record cannot be read. Control batches are never compressed.
 */
function controlTypeOf(bytes: Buffer, from: number, end: number): number {
  let at = from;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; at < end && shift <= 28; shift += 7) {
      const byte = bytes[at++] as number;
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) return (value >>> 1) ^ -(value & 1);
    }
    return -1;
  };
  varint(); // length
  at++; // attributes
  varint(); // timestamp delta
  varint(); // offset delta
  const keyLength = varint();
  return keyLength >= 4 && at + 4 <= end ? bytes.readInt16BE(at + 2) : -1;
}

function readInt64(bytes: Buffer, at: number): number {
  const high = bytes.readInt32BE(at);
  const low = bytes.readUInt32BE(at + 4);
  return high * twoPow32 + low;
}
