/**
 * The consumer's fast path against its oracle, the reference decoder (JSON.parse + the schema's
 * validator): whenever the fast path reads a record, the decoder must accept every sale of it
 * with the same key, amount, event time and element; when it does not, it must leave the columns
 * as they were. Checked on generated records, on records broken or bent in every way we could
 * think of, on random JSON, on numbers at the edges of exactness, and on other schemas.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { type JsonSchemaObject } from '../../src/generator/json-schema.ts';
import { compileFlatSaleReader, type SaleColumns } from '../../src/runtime/flat-sale-reader.ts';
import { createPlainSalesReader, createSalesDecoder, type RecordDecoderOptions } from '../../src/runtime/record-decoder.ts';
import { createSaleChunkMaker, recordsOf } from '../../src/runtime/sale-chunks.ts';

const saleSchema = JSON.parse(readFileSync(new URL('../../schemas/sale.schema.json', import.meta.url), 'utf8')) as JsonSchemaObject;
const options: RecordDecoderOptions = { saleSchema, groupBy: 'customerName', sum: 'quantity', eventTime: 'timestamp', maxRecordBytes: 10_000 };
const KAFKA_TIME = 1_234;

const emptyColumns = (): SaleColumns => ({ keys: [], amounts: [], eventTimes: [], elements: [] });

/** The reference decoder's sales as columns, or undefined when it rejects any of them. */
function referenceColumns(decode: ReturnType<typeof createSalesDecoder>, value: Buffer, keyBytes = 0): SaleColumns | undefined {
  const columns = emptyColumns();
  for (const result of decode(value, KAFKA_TIME, keyBytes)) {
    if (!result.ok) return undefined;
    columns.keys.push(result.sale.key);
    columns.amounts.push(result.sale.amount);
    columns.eventTimes.push(result.sale.eventTime);
    columns.elements.push(result.element ?? -1);
  }
  return columns;
}

/**
 * Reads `value` both ways and checks they agree; returns whether the fast path read it. The
 * columns start with a sale in them, to check that a record read halfway is undone.
 */
function agree(decoderOptions: RecordDecoderOptions, value: Buffer, keyBytes = 0): boolean {
  const readPlain = createPlainSalesReaderCached(decoderOptions);
  const decode = createSalesDecoderCached(decoderOptions);
  const columns: SaleColumns = { keys: ['before'], amounts: [1], eventTimes: [2], elements: [3] };
  const read = readPlain(value, KAFKA_TIME, keyBytes, columns);
  const seen = { keys: columns.keys.slice(1), amounts: columns.amounts.slice(1), eventTimes: columns.eventTimes.slice(1), elements: columns.elements.slice(1) };
  assert.deepEqual([columns.keys[0], columns.amounts[0], columns.eventTimes[0], columns.elements[0]], ['before', 1, 2, 3]);
  if (!read) {
    assert.deepEqual(seen, emptyColumns(), `not read, yet appended: ${value.toString('latin1')}`);
    return false;
  }
  const expected = referenceColumns(decode, value, keyBytes);
  assert.ok(expected !== undefined, `read a record the decoder rejects: ${value.toString('latin1')}`);
  // Object.is on every number: -0 and 0 differ, and so would two nearby doubles.
  assert.deepEqual(seen.keys, expected.keys);
  assert.deepEqual(seen.elements, expected.elements);
  for (const column of ['amounts', 'eventTimes'] as const) {
    seen[column].forEach((number, i) => assert.ok(Object.is(number, expected[column][i]), `${column}[${i}]: ${number} vs ${expected[column][i]} in ${value.toString('latin1')}`));
  }
  return true;
}

const readers = new Map<RecordDecoderOptions, ReturnType<typeof createPlainSalesReader>>();
const decoders = new Map<RecordDecoderOptions, ReturnType<typeof createSalesDecoder>>();
function createPlainSalesReaderCached(decoderOptions: RecordDecoderOptions): ReturnType<typeof createPlainSalesReader> {
  let reader = readers.get(decoderOptions);
  if (!reader) readers.set(decoderOptions, (reader = createPlainSalesReader(decoderOptions)));
  return reader;
}
function createSalesDecoderCached(decoderOptions: RecordDecoderOptions): ReturnType<typeof createSalesDecoder> {
  let decoder = decoders.get(decoderOptions);
  if (!decoder) decoders.set(decoderOptions, (decoder = createSalesDecoder(decoderOptions)));
  return decoder;
}

const text = (value: unknown): Buffer => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
const sale = { saleId: '9a788ed3-b3b4-481e-b945-6b40a2f6c9cb', customerName: 'Ada Lovelace', quantity: 3, value: 9.99, timestamp: 1_700_000_000_000 };
const saleText = JSON.stringify(sale);

function generatedRecords(packing: number, invalid: number): Buffer[] {
  const make = createSaleChunkMaker(
    {
      source: { key: 'customerName', eventTime: 'timestamp', saleSchema },
      producer: { customers: 500, seed: 7, outOfOrder: 0.1, late: 0.05, invalid, packing },
      window: { length: 10_000, slide: 1_000, allowedLateness: 2_000 },
    },
    3,
  );
  return recordsOf(make(20_000, Date.UTC(2026, 11, 6))).map((record) => Buffer.from(record.value as Buffer));
}

void describe('createPlainSalesReader()', () => {
  for (const packing of [1, 20]) {
    void test(`reads every valid generated record as the decoder does (packing ${packing})`, () => {
      const records = generatedRecords(packing, 0);
      for (const record of records) assert.ok(agree(options, record), record.toString('latin1'));
    });
  }

  void test('leaves every record the producer broke on purpose to the decoder, and agrees on the rest', () => {
    const records = generatedRecords(1, 0.2);
    let notRead = 0;
    for (const record of records) if (!agree(options, record)) notRead++;
    // About a fifth are broken; each must be left to the decoder (agree() fails if one is read).
    assert.ok(notRead > records.length * 0.15 && notRead < records.length * 0.25, `${notRead} of ${records.length}`);
  });

  void test('reads a sale with whitespace, another property order, and an element per packed sale', () => {
    assert.ok(agree(options, text(` \t\n{ "timestamp" : 5 ,\r"value":0.5, "quantity":0,"customerName":"x","saleId":"${sale.saleId}" }\n`)));
    assert.ok(agree(options, text(`[${saleText}, ${saleText} ,${saleText}]`)));
  });

  void test('leaves to the decoder what it cannot be sure of, rejected or not', () => {
    const cases = [
      // Rejections: the decoder words them.
      '', ' ', '{', '[]', '[ ]', 'null', '1', '"sale"', '{}', `[${saleText},]`, `[${saleText}`, `${saleText},`, `${saleText} x`,
      saleText.replace('"quantity":3', '"quantity":3.5'),
      saleText.replace('"quantity":3', '"quantity":500'),
      saleText.replace('"quantity":3', '"quantity":-1'),
      saleText.replace('"quantity":3', '"quantity":"3"'),
      saleText.replace('"quantity":3', '"quantity":03'),
      saleText.replace('"quantity":3', '"quantity":3.'),
      saleText.replace('"quantity":3', '"quantity":-'),
      saleText.replace('"quantity":3', '"quantity":tru'),
      saleText.replace('"value":9.99', '"value":9.999'),
      saleText.replace('"Ada Lovelace"', '""'),
      saleText.replace('"Ada Lovelace"', `"${'x'.repeat(201)}"`),
      saleText.replace('"Ada Lovelace"', '"Ada\u0001"'),
      saleText.replace('9a788ed3-', '9a788ed3_'),
      saleText.replace(',"timestamp":1700000000000', ''),
      saleText.replace('}', ',"extra":1}'),
      saleText.replace('}', ',"quantity":4}'),
      saleText.replace('"saleId"', '"saleID"'),
      saleText.replace('"saleId"', '"sale\\u0049d"'),
      `[${saleText},{"saleId":1}]`,
      `[${saleText},[${saleText}]]`,
      `{"a":${saleText}}`,
      // Valid, but in forms the fast path does not read.
      saleText.replace('Ada Lovelace', 'Ada \\"the Countess\\" Lovelace'),
      saleText.replace('Ada Lovelace', 'Ada Lovelace\\u00e9'),
      saleText.replace('Ada Lovelace', 'Adélaïde 李'),
      saleText.replace('Ada Lovelace', 'Ada\\/Lovelace'),
      saleText.replace('"quantity":3', '"quantity":3e0'),
      saleText.replace('"quantity":3', '"quantity":0.3E1'),
      saleText.replace('"timestamp":1700000000000', '"timestamp":1700000000000.0000'),
      `\ufeff${saleText}`,
    ];
    for (const value of cases) assert.equal(agree(options, text(value)), false, value);
    // A valid sale in plain forms is read: the cases above are not refused for nothing.
    for (const value of [saleText, saleText.replace('9a788ed3-b3b4', '9A788ED3-B3B4'), saleText.replace('"quantity":3', '"quantity":3.0'), saleText.replace('"value":9.99', '"value":-0'), saleText.replace('9a788ed3-b3b4', 'urn:uuid:9a788ed3-b3b4'), saleText.replace('}', ',"quantity":4}').replace('"quantity":3,', '')]) {
      assert.equal(agree(options, text(value)), true, value);
    }
  });

  void test('agrees with the decoder on records bent at random', () => {
    const edit = fc.oneof(
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.constantFrom(' ', '\n', '\t', '\\', '"', ',', '{', '}', '[', ']', '0', '-', '.', 'e', 'é', '\u0000', 'x', '1e5', 'null', 'true') }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    );
    const base = fc.constantFrom(saleText, `[${saleText},${saleText}]`, JSON.stringify({ ...sale, value: 0.07, quantity: 499, customerName: 'O\'Hara' }));
    fc.assert(
      fc.property(base, fc.array(edit, { minLength: 1, maxLength: 4 }), (start, edits) => {
        let bytes = Buffer.from(start, 'utf8');
        for (const change of edits) {
          const at = change.at % (bytes.length + 1);
          if (change.kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(change.bytes, 'utf8'), bytes.subarray(at)]);
          else if (change.kind === 'delete') bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + change.length)]);
          else if (at < bytes.length) bytes[at] = change.byte;
        }
        agree(options, bytes);
      }),
      { numRuns: 20_000 },
    );
  });

  void test('agrees with the decoder on every byte value at every position of a sale, read where a fetch puts it', () => {
    // The reader compares names, uuid digits and cached texts 4 bytes at a time on the buffer a
    // record is a view of: each record here sits at an odd offset of a larger buffer whose bytes
    // around it would pass for its continuation ("abcd..." after, a quote before).
    const shared = Buffer.alloc(4096, 'a');
    let read = 0;
    for (const start of [saleText, `[${saleText},${saleText}]`]) {
      const original = Buffer.from(start, 'latin1');
      for (let at = 0; at < original.length; at++) {
        for (let byte = 0; byte < 256; byte++) {
          const offset = 1 + ((at * 7 + byte) % 61);
          shared.fill(0x22, 0, offset);
          original.copy(shared, offset);
          shared[offset + at] = byte;
          shared.fill(0x61, offset + original.length, offset + original.length + 64);
          if (agree(options, shared.subarray(offset, offset + original.length))) read++;
        }
      }
    }
    // Each position takes several byte values that keep the record valid (the uuid's hex digits, a name's letters, digits).
    assert.ok(read > 400, `read ${read} records`);
  });

  void test('agrees with the decoder on random objects with the sale schema property names', () => {
    const value = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.uuid(),
      fc.double(),
      fc.integer(),
      fc.integer({ min: 0, max: 600 }),
      fc.integer({ min: 0, max: 10_000 }).map((cents) => cents / 100),
      fc.boolean(),
      fc.constant(null),
      fc.jsonValue(),
    );
    const names = fc.constantFrom('saleId', 'customerName', 'quantity', 'value', 'timestamp', 'other', '__proto__');
    const object = fc.dictionary(names, value, { maxKeys: 7 }).map((fields) => ({ ...sale, ...fields }));
    fc.assert(
      fc.property(fc.oneof(object, fc.array(object, { minLength: 1, maxLength: 3 })), fc.boolean(), (record, spaced) => {
        agree(options, text(JSON.stringify(record, null, spaced ? 1 : undefined)));
      }),
      { numRuns: 20_000 },
    );
  });

  void test('reads a plain decimal as exactly the double JSON.parse gives', () => {
    const digits = (max: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: max }).map((list) => list.join(''));
    const decimal = fc
      .tuple(fc.boolean(), digits(17), fc.option(digits(17), { nil: undefined }))
      .map(([negative, whole, fraction]) => `${negative ? '-' : ''}${whole.replace(/^0+(?=\d)/, '')}${fraction === undefined ? '' : `.${fraction}`}`);
    const numberSchema = { ...saleSchema, properties: { ...saleSchema.properties, value: { type: 'number' } } } as JsonSchemaObject;
    const numberOptions: RecordDecoderOptions = { ...options, saleSchema: numberSchema, sum: 'value' };
    let read = 0;
    fc.assert(
      fc.property(fc.oneof(decimal, fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n))), (number) => {
        if (agree(numberOptions, text(saleText.replace('"value":9.99', `"value":${number}`)))) read++;
      }),
      { numRuns: 30_000 },
    );
    assert.ok(read > 10_000, `only ${read} numbers read by the fast path`);
  });

  void test('gives each name its own text, also names whose bytes hash alike', () => {
    // "Aa" and "BB" have the same 31-based hash, so they share a slot of the reader's text cache.
    const names = ['Aa', 'BB', 'Aa', 'AaBB', 'BBAa', 'BBBB', 'Aa', 'x'.repeat(65), 'x'.repeat(65)];
    const record = text(names.map((customerName) => ({ ...sale, customerName })));
    assert.ok(agree(options, record));
    const columns = emptyColumns();
    assert.ok(createPlainSalesReader(options)(record, 0, 0, columns));
    assert.deepEqual(columns.keys, names);
  });

  void test('counts the key against the size limit, and leaves a tombstone to the decoder', () => {
    const reader = createPlainSalesReader(options);
    assert.equal(reader(text(saleText), 0, 10_000, emptyColumns()), false);
    assert.equal(reader(null, 0, 0, emptyColumns()), false);
    assert.equal(agree(options, text(saleText), 10_000 - saleText.length), true);
  });

  void test('uses the Kafka time when no event-time field is set', () => {
    const byKafkaTime: RecordDecoderOptions = { ...options, eventTime: undefined };
    assert.ok(agree(byKafkaTime, text(`[${saleText},${saleText}]`)));
  });
});

void describe('compileFlatSaleReader() on other schemas', () => {
  const compile = (schema: object, overrides: Partial<RecordDecoderOptions> = {}) =>
    compileFlatSaleReader({ ...options, ...overrides, saleSchema: schema, compileProperty: () => () => true, toEpochMs: () => 0 });
  const base = { type: 'object', additionalProperties: false, required: ['k'], properties: { k: { type: 'string' }, n: { type: 'number' }, t: { type: 'integer' } } };
  const byK = { groupBy: 'k', sum: 'n', eventTime: 't' };

  void test('has no fast path for a schema whose validity it could not judge property by property', () => {
    assert.notEqual(compile(base, byK), undefined);
    for (const schema of [
      { ...base, additionalProperties: true },
      { ...base, additionalProperties: undefined },
      { ...base, minProperties: 2 },
      { ...base, patternProperties: { '^x': {} } },
      { ...base, dependentRequired: { k: ['n'] } },
      { ...base, allOf: [{}] },
      { ...base, type: ['object', 'null'] },
      { ...base, properties: { ...base.properties, 'ké': { type: 'string' } } },
      { ...base, properties: { ...base.properties, 'a"b': { type: 'string' } } },
      { ...base, properties: { ...base.properties, __proto__x: {}, ['__proto__']: { type: 'string' } } },
      { ...base, required: ['k', 'missing'] },
    ]) {
      assert.equal(compile(schema, byK), undefined, JSON.stringify(schema));
    }
    assert.equal(compile(base, { ...byK, groupBy: 'nope' }), undefined);
  });

  void test('agrees with the decoder on a schema with other keywords, a numeric key and an ISO event time', () => {
    const schema = {
      type: 'object',
      additionalProperties: false,
      required: ['store', 'amount', 'at'],
      properties: {
        store: { type: 'integer', enum: [1, 2, 3] },
        amount: { type: 'number', exclusiveMinimum: 0, multipleOf: 0.5 },
        at: { type: 'string', format: 'date-time' },
        code: { type: 'string', pattern: '^[A-Z]{3}$' },
        flag: { type: 'boolean' },
        note: { type: 'string', maxLength: 3 },
      },
    };
    const storeOptions: RecordDecoderOptions = { saleSchema: schema, groupBy: 'store', sum: 'amount', eventTime: 'at', maxRecordBytes: 10_000 };
    const at = '2026-12-06T10:00:00Z';
    const good = { store: 2, amount: 1.5, at, code: 'ABC', flag: true, note: 'ok' };
    assert.ok(agree(storeOptions, text(good)));
    assert.ok(agree(storeOptions, text([good, { ...good, store: 3, note: 'abc', flag: false }])));
    for (const bad of [{ store: 4 }, { amount: 0 }, { amount: 1.25 }, { at: 'yesterday' }, { code: 'abc' }, { note: 'abcd' }, { flag: 1 }, { at: '2026-12-06' }]) {
      assert.equal(agree(storeOptions, text({ ...good, ...bad })), false, JSON.stringify(bad));
    }
    const value = fc.oneof(fc.integer({ min: 0, max: 4 }), fc.double(), fc.constantFrom(at, 'ABC', 'abc', '2026-13-01T00:00:00Z', null, true), fc.string({ maxLength: 4 }));
    const names = fc.constantFrom('store', 'amount', 'at', 'code', 'flag', 'note');
    fc.assert(
      fc.property(fc.dictionary(names, value, { maxKeys: 6 }), (fields) => {
        agree(storeOptions, text({ ...good, ...fields }));
      }),
      { numRuns: 10_000 },
    );
  });
});
