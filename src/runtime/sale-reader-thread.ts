/**
 * The consumer reads plainly valid records on a thread of its own while the main thread runs the
 * window engine, the sinks and the commits. Reading the records (flat-sale-reader.ts) was ~40% of
 * the consumer's main thread while the machine's second core stood mostly idle; the fetch of the
 * next batches is already in flight while a batch is handled, so reading them ahead overlaps too.
 *
 *   main:   fetched ─► read(records) ─┐          ... engine(batch n-1) ─► await read(n) ─► engine(n)
 *   thread:                           └─► flat reader over the bytes ─► columns + key ids ─┘
 *
 * What crosses: the batch's record values copied into one buffer (a fetch holds them almost
 * back to back, so that is usually one copy), and back the sales as typed columns with each key as
 * a number. A key's text crosses once, the first time the thread sees it; the thread starts its
 * table over past `maxKeys`, so a stream of ever-new keys cannot grow it without bound. Records
 * the thread is not sure of come back marked, and the main thread reads them with the reference
 * decoder (record-decoder.ts), exactly as without the thread.
 *
 * Answers come in request order, and the key table is updated as each answer arrives, before
 * anyone awaits it: a batch dropped in a rebalance still brings its keys.
 */
import { type SourceRecord } from '../broker/group-consumer.ts';
import { type RecordDecoderOptions } from './record-decoder.ts';
import { startRequestWorker } from './worker-thread.ts';

/** Main thread -> reader thread: one batch's record values. */
export interface ReadRequest {
  /** The values' bytes; record i's value is bytes [starts[i], ends[i]), or null when starts[i] < 0. */
  bytes: Uint8Array;
  starts: Int32Array;
  ends: Int32Array;
  keyBytes: Int32Array;
  timestamps: Float64Array;
}

/** Reader thread -> main thread. */
export interface ReadResponse {
  /** Per record, the sales read; -1: the record is for the reference decoder. */
  salesPerRecord: Int32Array;
  keyIds: Int32Array;
  amounts: Float64Array;
  eventTimes: Float64Array;
  elements: Int32Array;
  /** True when the thread started its key table over before this batch. */
  keysReset: boolean;
  /** Keys first seen in this batch, whose ids follow the ones given before (in order). */
  newKeys: string[];
}

/** A batch's sales as read on the thread, keys as strings again. */
export interface ThreadReadSales {
  salesPerRecord: Int32Array;
  keys: string[];
  amounts: Float64Array;
  eventTimes: Float64Array;
  elements: Int32Array;
}

export interface SaleReaderThread {
  /** Reads a batch's records; calls are answered in call order. */
  read(records: readonly SourceRecord[]): Promise<ThreadReadSales>;
  /** How many times the key table started over (see maxKeys). */
  readonly keyTableResets: number;
  close(): Promise<void>;
}

/** Most keys the thread numbers before it starts its table over (and the main thread its copy). */
export const maxKeys = 65_536;

/** Starts the reader thread; rejects when it cannot start. */
export async function startSaleReaderThread(options: RecordDecoderOptions): Promise<SaleReaderThread> {
  const thread = await startRequestWorker<ReadRequest, ReadResponse>(new URL('./sale-reader-worker.ts', import.meta.url), { options }, 'sale reader');
  let keyTable: string[] = [];
  let keyTableResets = 0;
  return {
    get keyTableResets() {
      return keyTableResets;
    },
    read(records) {
      const { request, transfer } = requestOf(records);
      return thread.request(request, transfer).then((response) => {
        if (response.keysReset) {
          keyTable = [];
          keyTableResets++;
        }
        for (const key of response.newKeys) keyTable.push(key);
        const table = keyTable;
        const keys = new Array<string>(response.keyIds.length);
        for (let i = 0; i < keys.length; i++) keys[i] = table[response.keyIds[i] as number] as string;
        return { salesPerRecord: response.salesPerRecord, keys, amounts: response.amounts, eventTimes: response.eventTimes, elements: response.elements };
      });
    },
    close: () => thread.close(),
  };
}

/**
 * The request for `records`: their values copied into one buffer. Values that sit in one buffer
 * in offset order (a fetch response) are copied as the one span that holds them; others one by one.
 */
export function requestOf(records: readonly SourceRecord[]): { request: ReadRequest; transfer: ArrayBuffer[] } {
  const count = records.length;
  const starts = new Int32Array(count);
  const ends = new Int32Array(count);
  const keyBytes = new Int32Array(count);
  const timestamps = new Float64Array(count);
  let shared: ArrayBufferLike | undefined;
  let spanStart = Infinity;
  let spanEnd = -Infinity;
  let inOrder = true;
  let total = 0;
  for (let i = 0; i < count; i++) {
    const { value, key, timestamp } = records[i] as SourceRecord;
    keyBytes[i] = key?.length ?? 0;
    timestamps[i] = timestamp;
    if (value === null) continue;
    total += value.length;
    if (shared === undefined) shared = value.buffer;
    else if (value.buffer !== shared) inOrder = false;
    if (value.byteOffset < spanEnd) inOrder = false;
    spanStart = Math.min(spanStart, value.byteOffset);
    spanEnd = value.byteOffset + value.length;
  }
  // One span when it is mostly values (record headers between them are a few bytes each).
  const oneSpan = inOrder && shared !== undefined && spanEnd - spanStart <= 2 * total + 1024;
  const bytes = new Uint8Array(oneSpan ? spanEnd - spanStart : total);
  if (oneSpan) bytes.set(new Uint8Array(shared as ArrayBufferLike, spanStart, spanEnd - spanStart));
  let at = 0;
  for (let i = 0; i < count; i++) {
    const { value } = records[i] as SourceRecord;
    if (value === null) {
      starts[i] = -1;
      continue;
    }
    if (oneSpan) {
      starts[i] = value.byteOffset - spanStart;
    } else {
      bytes.set(value, at);
      starts[i] = at;
      at += value.length;
    }
    ends[i] = (starts[i] as number) + value.length;
  }
  return { request: { bytes, starts, ends, keyBytes, timestamps }, transfer: [bytes.buffer, starts.buffer, ends.buffer, keyBytes.buffer, timestamps.buffer] as ArrayBuffer[] };
}
