/**
 * Dead letters: what the consumer writes to the dead-letter topic for a record it cannot count,
 * and how large that topic lets a record be. Both live here so they cannot drift apart: the
 * topic is created with `deadLetterTopicMaxBytes`, and a record is copied whole exactly when its
 * copy (plus the headers we add) fits under it.
 */
import { type SourceRecord } from '../broker/group-consumer.ts';
import { type OutgoingRecord } from '../broker/topic-producer.ts';
import { type PackedElement } from './record-decoder.ts';

/** Room kept for the headers a dead letter carries (ours are < 1 KiB; the source's are copied too). */
const headerRoomBytes = 65_536;

/**
 * `max.message.bytes` of the dead-letter topic for a pipeline accepting records of up to
 * `maxRecordBytes`: at least Kafka's default, and room for twice the accepted size, so that a
 * record refused only for being somewhat too large is still kept whole.
 */
export function deadLetterTopicMaxBytes(maxRecordBytes: number): number {
  return Math.max(1_048_588, 2 * maxRecordBytes + headerRoomBytes);
}

/** Key + value bytes above which a dead letter keeps only a cut key and no value. */
export function deadLetterCopyLimit(maxRecordBytes: number): number {
  return deadLetterTopicMaxBytes(maxRecordBytes) - headerRoomBytes;
}

/** Where a dead letter came from and where it goes. */
export interface DeadLetterContext {
  sourceTopic: string;
  /** Partitions of the dead-letter topic: a dead letter keeps its source partition modulo this. */
  deadLetterPartitions: number;
  maxRecordBytes: number;
}

/**
 * The dead-letter copy keeps the original bytes and says why and where from in headers. A record
 * too large to copy is dead-lettered without its value and with its key cut to 1 KiB, marked
 * `salesflow.truncated`; its source offset still leads to the original. One sale of a packed
 * record is dead-lettered alone: its own JSON, and its index in the array.
 */
export function deadLetterOf(
  context: DeadLetterContext,
  record: SourceRecord,
  reason: string,
  detail: string,
  element?: PackedElement,
): OutgoingRecord {
  const size = element === undefined ? (record.key?.length ?? 0) + (record.value?.length ?? 0) : element.json.length;
  const truncated = size > deadLetterCopyLimit(context.maxRecordBytes);
  // The partition is explicit (the source's, folded into the dead-letter topic's count) so that a
  // re-sent dead letter with a null key lands where the first attempt went. The source timestamp
  // is not reused: a broken record's timestamp may be one the broker refuses.
  return {
    partition: record.partition % Math.max(1, context.deadLetterPartitions),
    // Copies, not views: the record's bytes are a view of the fetch's buffer, which the consumer
    // reuses for a later fetch once the batch is handled (platformatic-fetch.ts).
    key: copyOf(truncated ? (record.key?.subarray(0, 1024) ?? null) : record.key),
    value: truncated ? null : (element?.json ?? copyOf(record.value)),
    headers: {
      ...(truncated ? { 'salesflow.truncated': `original key+value ${size} bytes` } : {}),
      ...record.headers,
      'salesflow.reason': reason,
      'salesflow.detail': detail.slice(0, 500),
      'salesflow.source.topic': context.sourceTopic,
      'salesflow.source.partition': String(record.partition),
      'salesflow.source.offset': String(record.offset),
      ...(element === undefined ? {} : { 'salesflow.source.index': String(element.index) }),
      'salesflow.source.timestamp': String(record.timestamp),
    },
  };
}

function copyOf(bytes: Buffer | null): Buffer | null {
  return bytes === null ? null : Buffer.from(bytes);
}
