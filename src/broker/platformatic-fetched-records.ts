/**
 * What a @platformatic/kafka fetch brought, as the runtime's SourceRecords, and where the next
 * fetch starts. Runs once per fetched record: plain loops, no spreads.
 */
import { type Consumer, IS_CONTROL, type RecordsBatch } from '@platformatic/kafka';
import { type SourceRecord } from './group-consumer.ts';

type FetchResponse = Awaited<ReturnType<Consumer['fetch']>>;

/** Record batch attribute bit: the timestamps are the broker's append time. */
const logAppendTime = 0x08;

/** Where each partition's next fetch starts once `responses` are handled: past their last batch. */
export function positionsAfter(responses: readonly FetchResponse[], from: ReadonlyMap<number, bigint>): Map<number, bigint> {
  const next = new Map(from);
  for (const response of responses) {
    for (const topicResponse of response.responses) {
      for (const { partitionIndex, records } of topicResponse.partitions) {
        const position = from.get(partitionIndex);
        const last = records?.[records.length - 1];
        if (position === undefined || last === undefined) continue;
        const end = last.firstOffset + BigInt(last.lastOffsetDelta) + 1n;
        if (end > position) next.set(partitionIndex, end);
      }
    }
  }
  return next;
}

/**
 * The records of one partition's record batches from `position` on. Control batches
 * (transaction markers) are skipped; positionsAfter() moves the position past them.
 */
export function toSourceRecords(partition: number, batches: readonly RecordsBatch[], position: bigint): SourceRecord[] {
  const records: SourceRecord[] = [];
  const from = Number(position);
  for (const batch of batches) {
    if (batch.attributes & IS_CONTROL) continue;
    const firstOffset = Number(batch.firstOffset);
    const firstTimestamp = Number(batch.firstTimestamp);
    // A topic with message.timestamp.type=LogAppendTime stamps the batch, not its records.
    const appendTime = batch.attributes & logAppendTime ? Number(batch.maxTimestamp) : undefined;
    for (const record of batch.records) {
      const offset = firstOffset + record.offsetDelta;
      if (offset < from) continue;
      const headers: Record<string, string> = {};
      for (const [name, value] of record.headers) {
        if (name === null) continue;
        const key = name.toString();
        // A repeated header keeps its first value, as the kafkajs consumer does.
        if (!Object.hasOwn(headers, key)) headers[key] = value?.toString() ?? '';
      }
      const timestamp = appendTime ?? firstTimestamp + Number(record.timestampDelta);
      records.push({ partition, offset, key: record.key, value: record.value, timestamp, headers });
    }
  }
  return records;
}
