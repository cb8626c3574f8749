/**
 * The consumer's reader thread against reading on the main thread: for each batch, the same
 * records read (or left to the reference decoder), and the same sales in the same order, with the
 * same key strings. Batches of generated records with faults, packed and not, as views on one
 * buffer (a fetch) and as separate buffers; tombstones; more distinct keys than the thread keeps.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type SourceRecord } from '../../src/broker/group-consumer.ts';
import { type JsonSchemaObject } from '../../src/generator/json-schema.ts';
import { type SaleColumns } from '../../src/runtime/flat-sale-reader.ts';
import { createPlainSalesReader, type RecordDecoderOptions } from '../../src/runtime/record-decoder.ts';
import { createSaleChunkMaker, recordsOf } from '../../src/runtime/sale-chunks.ts';
import { maxKeys, requestOf, startSaleReaderThread, type SaleReaderThread } from '../../src/runtime/sale-reader-thread.ts';

const saleSchema = JSON.parse(readFileSync(new URL('../../schemas/sale.schema.json', import.meta.url), 'utf8')) as JsonSchemaObject;
const options: RecordDecoderOptions = { saleSchema, groupBy: 'customerName', sum: 'quantity', eventTime: 'timestamp', maxRecordBytes: 10_000 };

/** Generated records as a fetch delivers them: values are views on one buffer, keys too. */
function batchOf(packing: number, invalid: number, customers: number, sales: number, seed: number): SourceRecord[] {
  const make = createSaleChunkMaker(
    {
      source: { key: 'customerName', eventTime: 'timestamp', saleSchema },
      producer: { customers, seed, outOfOrder: 0.1, late: 0.05, invalid, packing },
      window: { length: 10_000, slide: 1_000, allowedLateness: 2_000 },
    },
    3,
  );
  const outgoing = recordsOf(make(sales, Date.UTC(2026, 11, 7)));
  // One buffer with a few header bytes between the values, as in a record batch.
  const pieces: Buffer[] = [];
  for (const record of outgoing) pieces.push(Buffer.from('hdr'), Buffer.from(record.value as Buffer));
  const fetched = Buffer.concat(pieces);
  let at = 0;
  return outgoing.map((record, offset) => {
    at += 3;
    const length = (record.value as Buffer).length;
    const value = fetched.subarray(at, at + length);
    at += length;
    return { partition: 0, offset, key: typeof record.key === 'string' ? Buffer.from(record.key) : null, value, timestamp: record.timestamp ?? 0, headers: {} };
  });
}

/** What the main thread reads of `records`: per record the sales read, or -1. */
function readHere(records: readonly SourceRecord[]): { salesPerRecord: number[]; sales: SaleColumns } {
  const read = createPlainSalesReader(options);
  const sales: SaleColumns = { keys: [], amounts: [], eventTimes: [], elements: [] };
  const salesPerRecord = records.map((record) => {
    const before = sales.keys.length;
    return read(record.value, record.timestamp, record.key?.length ?? 0, sales) ? sales.keys.length - before : -1;
  });
  return { salesPerRecord, sales };
}

void describe('the sale reader thread', () => {
  let thread: SaleReaderThread;
  before(async () => {
    thread = await startSaleReaderThread(options);
  });
  after(async () => {
    await thread.close();
  });

  const check = async (records: SourceRecord[]): Promise<void> => {
    const expected = readHere(records);
    const actual = await thread.read(records);
    assert.deepEqual([...actual.salesPerRecord], expected.salesPerRecord);
    assert.deepEqual(actual.keys, expected.sales.keys);
    assert.deepEqual([...actual.amounts], expected.sales.amounts);
    assert.deepEqual([...actual.eventTimes], expected.sales.eventTimes);
    assert.deepEqual([...actual.elements], expected.sales.elements);
  };

  void test('reads what the main thread reads, packed or not, faults included', async () => {
    for (const packing of [1, 20]) {
      const records = batchOf(packing, 0.1, 300, 5_000, packing);
      const expected = readHere(records);
      assert.ok(expected.salesPerRecord.includes(-1), 'some records are left to the reference decoder');
      await check(records);
    }
  });

  void test('reads values from separate buffers and tombstones', async () => {
    const records = batchOf(1, 0.05, 50, 500, 3).map((record, index) => ({ ...record, value: index % 7 === 0 ? null : Buffer.from(record.value as Buffer) }));
    assert.equal(requestOf(records).request.bytes.length, records.reduce((bytes, record) => bytes + (record.value?.length ?? 0), 0));
    await check(records);
  });

  void test('copies a fetch\'s values as one span', () => {
    const records = batchOf(20, 0, 50, 2_000, 4);
    const { request } = requestOf(records);
    // The three header bytes between values come along: one copy, not one per record.
    assert.equal(request.bytes.length, records.reduce((bytes, record) => bytes + (record.value?.length ?? 0), 0) + 3 * (records.length - 1));
  });

  void test('gives every key its text across many batches, past the thread\'s key table limit', async () => {
    // More distinct customers than the table keeps: it starts over at least once.
    const customers = 4 * maxKeys;
    const resetsBefore = thread.keyTableResets;
    const reads: Array<Promise<void>> = [];
    for (let batch = 0; batch < 16; batch++) reads.push(check(batchOf(1, 0, customers, 20_000, 100 + batch)));
    await Promise.all(reads);
    assert.ok(thread.keyTableResets > resetsBefore, 'the key table started over');
  });
});
