/**
 * The generator thread: the same records as making the chunks on the calling thread (the same
 * seed gives the same sales wherever they are made), in request order, and its failures reported
 * with their reason.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { type JsonSchemaObject } from '../../src/generator/json-schema.ts';
import { createSaleChunkMaker, recordsOf, type SaleChunkConfig } from '../../src/runtime/sale-chunks.ts';
import { startSaleGeneratorThread } from '../../src/runtime/sale-generator-thread.ts';

const saleSchema = JSON.parse(readFileSync(new URL('../../schemas/sale.schema.json', import.meta.url), 'utf8')) as JsonSchemaObject;
const START = Date.UTC(2026, 11, 6, 12, 0, 0);

function configWith(producer: Partial<SaleChunkConfig['producer']>): SaleChunkConfig {
  return {
    source: { key: 'customerName', eventTime: 'timestamp', saleSchema },
    producer: { customers: 50, seed: 9, outOfOrder: 0.1, late: 0.05, invalid: 0.05, packing: 1, ...producer },
    window: { length: 10_000, slide: 1_000, allowedLateness: 2_000 },
  };
}

/** Records as comparable plain data (values as text). */
const plain = (chunk: Parameters<typeof recordsOf>[0]): unknown[] => recordsOf(chunk).map((record) => ({ ...record, value: String(record.value) }));

void describe('startSaleGeneratorThread()', () => {
  for (const packing of [1, 20]) {
    void test(`makes the same records as the calling thread would, in request order (packing ${packing})`, async () => {
      const config = configWith({ packing });
      const here = createSaleChunkMaker(config, 4);
      const thread = await startSaleGeneratorThread(config, 4);
      try {
        const sizes = [1, 500, 37, 2_000, 6_000];
        // All requested at once: the answers must still come back in order.
        const made = await Promise.all(sizes.map((size, i) => thread.make(size, START + i * 1_000)));
        made.forEach((chunk, i) => {
          const expected = here(sizes[i] ?? 0, START + i * 1_000);
          assert.deepEqual(plain(chunk), plain(expected));
          assert.deepEqual(chunk.injected, expected.injected);
        });
        const injected = made.reduce((sum, chunk) => sum + chunk.injected.invalid + chunk.injected.late + chunk.injected.outOfOrder, 0);
        assert.ok(injected > 0, 'the config injects faults, so some chunks must carry them');
      } finally {
        await thread.close();
      }
    });
  }

  void test('reports a schema it cannot generate with the reason, and starts no thread', async () => {
    const schema: JsonSchemaObject = { type: 'object', properties: { customerName: { type: 'string' }, mystery: {} }, required: ['customerName', 'mystery'] };
    const config = { ...configWith({}), source: { key: 'customerName', saleSchema: schema } };
    await assert.rejects(startSaleGeneratorThread(config, 4), /cannot generate mystery: it has no "type"/);
  });

  void test('rejects what is asked after close, and what was still being made', async () => {
    const thread = await startSaleGeneratorThread(configWith({}), 4);
    const pending = assert.rejects(thread.make(200_000, START), /closed/);
    await thread.close();
    await pending;
    await assert.rejects(thread.make(1, START), /closed/);
  });
});
