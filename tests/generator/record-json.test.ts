/**
 * compileRecordJson() against its oracle, JSON.stringify: the same text (as UTF-8) for every generated
 * record, whatever the schema, and for the awkward values a record may hold. And
 * compileGeneratingRecordJson(), which makes and writes a record in one pass, against building the
 * record from the same seed and writing it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { type JsonSchemaObject } from '../../src/generator/json-schema.ts';
import { createRecordGenerator } from '../../src/generator/record-generator.ts';
import { ByteArena } from '../../src/generator/byte-arena.ts';
import { compileGeneratingRecordJson, compileRecordJson } from '../../src/generator/record-json.ts';
import { loadSaleSchema } from './sale-validator.ts';

const START = Date.UTC(2026, 11, 6, 12, 0, 0);

/** The writer as text: what it writes, decoded, into an arena far too small at first (so it grows). */
function jsonText(schema: JsonSchemaObject, eventTimeField?: string): (record: Record<string, unknown>) => string {
  const write = compileRecordJson(schema, eventTimeField);
  return (record) => {
    const arena = new ByteArena(1);
    arena.text('<');
    write(record, arena);
    arena.text('>');
    const text = arena.written().toString('utf8');
    assert.ok(text.startsWith('<') && text.endsWith('>'));
    return text.slice(1, -1);
  };
}

void describe('compileRecordJson()', () => {
  void test('writes every generated sale exactly as JSON.stringify does', () => {
    const schema = loadSaleSchema();
    for (const seed of [1, 2, 3]) {
      const generator = createRecordGenerator({ schema, seed, customers: 1_000, eventTimeField: 'timestamp' });
      const write = jsonText(schema, 'timestamp');
      for (let i = 0; i < 20_000; i++) {
        // Event times repeat for a while and then move, as in a producer's chunks.
        const record = generator.next(START + Math.floor(i / 7) * 13);
        assert.equal(write(record), JSON.stringify(record));
      }
    }
  });

  void test('writes awkward values as JSON.stringify does', () => {
    const schema: JsonSchemaObject = {
      type: 'object',
      properties: {
        '2': { type: 'integer' },
        text: { type: 'string' },
        nullableText: { type: ['string', 'null'] },
        count: { type: 'integer' },
        price: { type: 'number' },
        at: { type: 'integer', 'x-event-time': true },
        flag: { type: 'boolean' },
        nested: { type: 'object', properties: { a: { type: 'string' } } },
        list: { type: 'array', items: { type: 'number' } },
        anything: {},
      },
    };
    const write = jsonText(schema);
    const strings = ['', 'plain', 'quote " here', 'back\\slash', 'tab\tnew\nline', '\u0000\u001f', 'é ü 漢字', '😀 pair', 'lone \ud800 high', 'lone \udc00 low', '\u2028\u2029'];
    const numbers = [0, -0, 1, -1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 1e21, 1e-7, 5e-324, 0.1 + 0.2, 12.34, Number.NaN, Infinity, -Infinity, Number.MAX_VALUE];
    const others: unknown[] = [null, true, false, 'text', 7, { a: 'b"' }, [1, 2.5], undefined, () => 1, Symbol('s')];
    const records: Array<Record<string, unknown>> = [];
    for (const text of strings) records.push({ text, nullableText: text });
    for (const value of numbers) records.push({ '2': value, count: value, price: value, at: value, list: [value] });
    for (const value of others) records.push({ '2': value, text: value, nullableText: value, count: value, price: value, at: value, flag: value, nested: value, list: value, anything: value });
    records.push({});
    records.push({ anything: undefined });
    for (const record of records) assert.equal(write(record), JSON.stringify(record), `record ${String(JSON.stringify(record))}`);
  });

  void test('stays exact past the memo limit and when the event time changes every record', () => {
    const schema: JsonSchemaObject = { type: 'object', properties: { price: { type: 'number' }, at: { type: 'number', 'x-event-time': true } } };
    const write = jsonText(schema);
    for (let i = 0; i < 100_000; i++) {
      const record = { price: i / 7, at: START + i + 0.5 };
      assert.equal(write(record), JSON.stringify(record));
    }
  });

  void test('matches JSON.stringify for records generated from random schemas', () => {
    const leaf = fc.oneof(
      fc.constant<JsonSchemaObject>({ type: 'string' }),
      fc.constant<JsonSchemaObject>({ type: 'string', format: 'uuid' }),
      fc.constant<JsonSchemaObject>({ type: 'string', 'x-faker': 'person.fullName', 'x-pool': 'customers' }),
      fc.array(fc.string({ unit: 'binary' }), { minLength: 1, maxLength: 4 }).map((values): JsonSchemaObject => ({ enum: values })),
      fc.record({ minimum: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), span: fc.integer({ min: 0, max: 2 ** 40 }) }).map(({ minimum, span }): JsonSchemaObject => ({ type: 'integer', minimum, maximum: minimum + span })),
      fc.constantFrom<JsonSchemaObject>({ type: 'number' }, { type: 'number', minimum: 0, maximum: 100, multipleOf: 0.01 }, { type: 'number', minimum: -1e6, maximum: 1e6, multipleOf: 0.5 }, { type: 'number', minimum: 0, maximum: 1e-3 }),
      fc.constant<JsonSchemaObject>({ type: 'boolean' }),
      fc.constant<JsonSchemaObject>({ type: ['integer', 'null'] }),
      fc.constant<JsonSchemaObject>({ type: 'array', items: { type: 'number' }, maxItems: 3 }),
      fc.constant<JsonSchemaObject>({ type: 'object', properties: { inner: { type: 'string' } }, required: ['inner'] }),
    );
    const schemaArbitrary = fc
      .uniqueArray(fc.tuple(fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fc.nat({ max: 20 }).map(String)), leaf, fc.boolean()), { minLength: 1, maxLength: 8, selector: ([name]) => name })
      .map((entries) => ({
        schema: {
          type: 'object',
          properties: Object.fromEntries(entries.map(([name, propertySchema]) => [name, propertySchema])),
          required: entries.filter(([, , required]) => required).map(([name]) => name),
        } satisfies JsonSchemaObject,
        eventTimeField: entries.find(([, propertySchema]) => propertySchema.type === 'integer')?.[0],
      }));
    fc.assert(
      fc.property(schemaArbitrary, fc.integer({ min: 1, max: 1_000 }), ({ schema, eventTimeField }, seed) => {
        const generator = createRecordGenerator({ schema, seed, customers: 20, eventTimeField });
        const write = jsonText(schema, eventTimeField);
        for (let i = 0; i < 50; i++) {
          const record = generator.next(START + Math.floor(i / 3));
          assert.equal(write(record), JSON.stringify(record));
        }
      }),
      { numRuns: 200 },
    );
  });
});

void describe('compileGeneratingRecordJson()', () => {
  /** Text written into a fresh arena by `write`. */
  const textOf = (write: (arena: ByteArena) => unknown): { text: string; key: unknown } => {
    const arena = new ByteArena(1);
    const key = write(arena);
    return { text: arena.written().toString('utf8'), key };
  };

  void test('writes the records the generator would build, and keeps its draws in step when records are built in between', () => {
    const leaf = fc.oneof(
      fc.constant<JsonSchemaObject>({ type: 'string', 'x-faker': 'string.uuid' }),
      fc.constant<JsonSchemaObject>({ type: 'string', format: 'uuid' }),
      fc.constant<JsonSchemaObject>({ type: 'string', 'x-faker': 'person.fullName', 'x-pool': 'customers' }),
      fc.constant<JsonSchemaObject>({ type: 'string' }),
      fc.constant<JsonSchemaObject>({ type: 'integer', minimum: 0, maximum: 499 }),
      fc.constant<JsonSchemaObject>({ type: 'number', minimum: 0, maximum: 100, multipleOf: 0.01 }),
      fc.constant<JsonSchemaObject>({ type: 'boolean' }),
      fc.constant<JsonSchemaObject>({ type: ['integer', 'null'] }),
      fc.constant<JsonSchemaObject>({ enum: ['a', 1, null] }),
      // Texts from tables: escapes, non-ASCII, -0, booleans, negative and stepped ranges.
      fc.constant<JsonSchemaObject>({ enum: ['é', 'a"b\\', '\u2028', 1.5, -0, true, null, { nested: [1] }] }),
      fc.constant<JsonSchemaObject>({ type: 'integer', minimum: -3, maximum: 40, multipleOf: 4 }),
      fc.constant<JsonSchemaObject>({ type: 'number', minimum: -1, maximum: 1, multipleOf: 0.25 }),
      fc.constant<JsonSchemaObject>({ type: 'object', properties: { inner: { type: 'string', 'x-faker': 'string.uuid' } }, required: ['inner'] }),
    );
    const schemaArbitrary = fc
      .uniqueArray(fc.tuple(fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fc.nat({ max: 20 }).map(String)), leaf, fc.boolean()), { minLength: 1, maxLength: 7, selector: ([name]) => name })
      .filter((entries) => entries.every(([name]) => name !== '__proto__'))
      .chain((entries) => fc.record({ entries: fc.constant(entries), keyAt: fc.nat({ max: entries.length - 1 }) }))
      .map(({ entries, keyAt }) => ({
        schema: {
          type: 'object',
          properties: Object.fromEntries(entries.map(([name, propertySchema]) => [name, propertySchema])),
          required: entries.filter(([, , required]) => required).map(([name]) => name),
        } satisfies JsonSchemaObject,
        keyField: entries[keyAt]?.[0] ?? '',
        eventTimeField: entries.find(([, propertySchema]) => propertySchema.type === 'integer')?.[0],
      }));
    fc.assert(
      fc.property(schemaArbitrary, fc.integer({ min: 1, max: 1_000 }), fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }), ({ schema, keyField, eventTimeField }, seed, builtInBetween) => {
        const direct = createRecordGenerator({ schema, seed, customers: 20, eventTimeField });
        const built = createRecordGenerator({ schema, seed, customers: 20, eventTimeField });
        const writeGenerated = compileGeneratingRecordJson(schema, eventTimeField, direct, keyField);
        assert.ok(writeGenerated !== undefined, 'every schema here has a plan');
        const write = compileRecordJson(schema, eventTimeField);
        builtInBetween.forEach((buildOne, i) => {
          const eventTime = START + Math.floor(i / 3);
          if (buildOne) {
            // A sale the faults break is built on both sides.
            assert.deepEqual(direct.next(eventTime), built.next(eventTime));
            return;
          }
          const record = built.next(eventTime);
          const expected = textOf((arena) => write(record, arena)).text;
          // An own property only: an absent "toString" key must not read Object.prototype's.
          const key = Object.hasOwn(record, keyField) ? record[keyField] : undefined;
          const early = writeGenerated.begin();
          const written = textOf((arena) => writeGenerated.write(eventTime, arena));
          // A pooled key is known before the record is written; any other only after.
          assert.deepEqual(early, writeGenerated.keyAtBegin ? key : undefined);
          assert.equal(written.text, expected);
          assert.equal(written.text, JSON.stringify(record));
          assert.deepEqual(written.key, key);
        });
      }),
      { numRuns: 300 },
    );
  });

  void test('has no one-pass writer when the key is not a property', () => {
    const schema = loadSaleSchema();
    const generator = createRecordGenerator({ schema, seed: 1, customers: 10, eventTimeField: 'timestamp' });
    assert.equal(compileGeneratingRecordJson(schema, 'timestamp', generator, 'nope'), undefined);
    assert.notEqual(compileGeneratingRecordJson(schema, 'timestamp', generator, 'customerName'), undefined);
  });
});
