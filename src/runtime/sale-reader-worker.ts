/**
 * The reader thread (sale-reader-thread.ts starts it): reads each batch's plainly valid records
 * with the consumer's fast path and answers with the sales as columns, keys as numbers.
 */
import { type SaleColumns } from './flat-sale-reader.ts';
import { createPlainSalesReader, type RecordDecoderOptions } from './record-decoder.ts';
import { maxKeys, type ReadRequest, type ReadResponse } from './sale-reader-thread.ts';
import { serveRequests } from './worker-thread.ts';

serveRequests<ReadRequest, ReadResponse>((data) => {
  const { options } = data as { options: RecordDecoderOptions };
  const readPlainSales = createPlainSalesReader(options);
  let keyIds = new Map<string, number>();
  return ({ bytes, starts, ends, keyBytes, timestamps }) => {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const count = starts.length;
    const salesPerRecord = new Int32Array(count);
    const sales: SaleColumns = { keys: [], amounts: [], eventTimes: [], elements: [] };
    for (let i = 0; i < count; i++) {
      const start = starts[i] as number;
      const before = sales.keys.length;
      const value = start < 0 ? null : buffer.subarray(start, ends[i]);
      salesPerRecord[i] = readPlainSales(value, timestamps[i] as number, keyBytes[i] as number, sales) ? sales.keys.length - before : -1;
    }
    const keysReset = keyIds.size + sales.keys.length > maxKeys;
    if (keysReset) keyIds = new Map();
    const newKeys: string[] = [];
    const ids = new Int32Array(sales.keys.length);
    for (let i = 0; i < ids.length; i++) {
      const key = sales.keys[i] as string;
      let id = keyIds.get(key);
      if (id === undefined) {
        id = keyIds.size;
        keyIds.set(key, id);
        newKeys.push(key);
      }
      ids[i] = id;
    }
    const amounts = Float64Array.from(sales.amounts);
    const eventTimes = Float64Array.from(sales.eventTimes);
    const elements = Int32Array.from(sales.elements);
    return {
      response: { salesPerRecord, keyIds: ids, amounts, eventTimes, elements, keysReset, newKeys },
      transfer: [salesPerRecord.buffer, ids.buffer, amounts.buffer, eventTimes.buffer, elements.buffer],
    };
  };
});
