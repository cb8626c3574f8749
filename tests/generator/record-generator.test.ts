import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type JsonSchemaObject } from '../../src/generator/json-schema.ts';
import { createRecordGenerator } from '../../src/generator/record-generator.ts';
import { compileValidator, loadSaleSchema } from './sale-validator.ts';

const START = Date.UTC(2026, 10, 25, 17, 0, 0);

function generate(count: number, options: { seed?: number; customers?: number; schema?: JsonSchemaObject } = {}): Array<Record<string, unknown>> {
  const generator = createRecordGenerator({ schema: options.schema ?? loadSaleSchema(), seed: options.seed ?? 7, customers: options.customers ?? 100 });
  return Array.from({ length: count }, (_, index) => generator.next(START + index));
}

void describe('createRecordGenerator()', () => {
  void test('gives the same records for the same seed and different ones for another seed', () => {
    assert.deepEqual(generate(2_000, { seed: 42 }), generate(2_000, { seed: 42 }));
    const other = generate(2_000, { seed: 43 });
    const first = generate(2_000, { seed: 42 });
    assert.notDeepEqual(other.map((record) => record['saleId']), first.map((record) => record['saleId']));
    assert.notDeepEqual(other.map((record) => record['customerName']), first.map((record) => record['customerName']));
  });

  void test('makes records that all pass the sale schema', () => {
    const validate = compileValidator(loadSaleSchema());
    for (const record of generate(20_000)) assert.ok(validate(record), JSON.stringify({ record, errors: validate.errors }));
  });

  void test('puts the event time in the x-event-time field', () => {
    const [record] = generate(1);
    assert.equal(record?.['timestamp'], START);
  });

  void test('writes values with multipleOf 0.01 with at most two decimals and no float noise', () => {
    for (const record of generate(20_000)) assert.match(JSON.stringify(record['value']), /^\d+(\.\d{1,2})?$/);
  });

  void test('makes valid, distinct version 4 UUIDs', () => {
    const ids = generate(50_000).map((record) => record['saleId'] as string);
    for (const id of ids.slice(0, 1_000)) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(new Set(ids).size, ids.length);
  });

  void test('draws customers from a pool of the configured size with a Zipf-like skew', () => {
    const counts = new Map<unknown, number>();
    for (const record of generate(100_000, { customers: 1_000 })) counts.set(record['customerName'], (counts.get(record['customerName']) ?? 0) + 1);
    assert.ok(counts.size <= 1_000, `at most 1000 customers, got ${counts.size}`);
    assert.ok(counts.size > 900, `most of the pool appears, got ${counts.size}`);
    const sorted = [...counts.values()].sort((a, b) => b - a);
    const top = sorted[0] ?? 0;
    const median = sorted[Math.floor(sorted.length / 2)] ?? 1;
    // With s = 1.1 and 1000 customers the top one has ~18% of sales, ~900x a median one.
    assert.ok(top > 0.1 * 100_000, `top customer share ${top}`);
    assert.ok(top > 50 * median, `top ${top} vs median ${median}`);
  });

  void test('keeps pool values distinct even when faker runs out of them', () => {
    const schema: JsonSchemaObject = {
      type: 'object',
      required: ['tier'],
      properties: { tier: { type: 'string', enum: ['gold', 'silver'], 'x-pool': 'customers' } },
    };
    const names = new Set(generate(5_000, { schema, customers: 5 }).map((record) => record['tier']));
    assert.equal(names.size, 5);
    for (const name of names) assert.match(String(name), /^(gold|silver)( \d+)?$/);
  });

  void test('gives every pooled property of a record the same customer', () => {
    const schema: JsonSchemaObject = {
      type: 'object',
      required: ['name', 'email'],
      properties: {
        name: { type: 'string', 'x-faker': 'person.fullName', 'x-pool': 'customers' },
        email: { type: 'string', format: 'email', 'x-faker': 'internet.email', 'x-pool': 'customers' },
      },
    };
    const emailOf = new Map<unknown, unknown>();
    for (const record of generate(5_000, { schema, customers: 50 })) {
      const known = emailOf.get(record['name']);
      if (known === undefined) emailOf.set(record['name'], record['email']);
      else assert.equal(record['email'], known);
    }
  });

  void test('generates a field added to the schema, nested ones included, without code changes', () => {
    const schema = loadSaleSchema();
    schema.properties = {
      ...schema.properties,
      store: { type: 'string', enum: ['north', 'south'] },
      discount: { type: 'number', minimum: 0, maximum: 0.5, multipleOf: 0.05 },
      email: { type: 'string', format: 'email', 'x-faker': 'internet.email' },
      sku: { type: 'string', pattern: '^[A-Z]{3}-[0-9]{4}$' },
      paid: { type: 'boolean' },
      soldAt: { type: 'string', format: 'date-time' },
      address: { type: 'object', additionalProperties: false, required: ['city', 'zip'], properties: { city: { type: 'string', 'x-faker': 'location.city' }, zip: { type: 'string', 'x-faker': 'location.zipCode' } } },
      tags: { type: 'array', maxItems: 3, items: { type: 'string', minLength: 3, maxLength: 12 } },
    };
    schema.required = [...(schema.required ?? []), 'store', 'discount', 'email', 'sku', 'paid', 'soldAt', 'address', 'tags'];
    const validate = compileValidator(schema);
    for (const record of generate(5_000, { schema })) {
      assert.ok(validate(record), JSON.stringify({ record, errors: validate.errors }));
      assert.equal(record['soldAt'], new Date(record['timestamp'] as number).toISOString());
    }
  });

  void test('includes an optional property in about 90% of records', () => {
    const schema = loadSaleSchema();
    schema.properties = { ...schema.properties, note: { type: 'string' } };
    const records = generate(10_000, { schema });
    const share = records.filter((record) => 'note' in record).length / records.length;
    assert.ok(share > 0.87 && share < 0.93, `share ${share}`);
    for (const record of records) for (const name of schema.required ?? []) assert.ok(name in record);
  });

  void test('sends the event time to the eventTimeField property', () => {
    const schema = loadSaleSchema();
    schema.properties = { ...schema.properties, occurredAt: { type: 'string', format: 'date-time' } };
    schema.required = [...(schema.required ?? []), 'occurredAt'];
    const generator = createRecordGenerator({ schema, seed: 1, customers: 10, eventTimeField: 'occurredAt' });
    assert.equal(generator.next(START)['occurredAt'], '2026-11-25T17:00:00.000Z');
  });

  void test('rejects hints and keywords it cannot serve, naming the property', () => {
    const withProperty = (property: JsonSchemaObject): JsonSchemaObject => ({ type: 'object', properties: { field: property } });
    const cases: Array<[JsonSchemaObject, string]> = [
      [withProperty({ type: 'string', 'x-faker': 'persona.fullName' }), 'cannot generate field: "x-faker": faker has no module "persona" (see https://fakerjs.dev/api/)'],
      [withProperty({ type: 'string', 'x-faker': 'person.fullNam' }), 'cannot generate field: "x-faker": faker.person has no method "fullNam" (see https://fakerjs.dev/api/person)'],
      [withProperty({ type: 'string', 'x-faker': 'fullName' }), 'cannot generate field: "x-faker" must be "module.method" (e.g. "person.fullName"), got "fullName"'],
      [withProperty({ type: 'boolean', 'x-faker': 'person.fullName' }), 'cannot generate field: "x-faker": faker.person.fullName() returns a string, but the property is of type boolean'],
      [withProperty({ type: 'string', 'x-faker': 'person.fullName', 'x-pool': 'products' }), 'cannot generate field: "x-pool" must be one of "customers", got "products"'],
      [withProperty({ oneOf: [{ type: 'string' }, { type: 'integer' }] } as JsonSchemaObject), 'cannot generate field: "oneOf" is not supported by the generator; give the property an "x-faker" hint or an "enum"'],
      [withProperty({ type: 'string', format: 'iban' }), 'cannot generate field: format "iban" is not supported by the generator; add an "x-faker" hint'],
      [withProperty({ type: 'integer', minimum: 5, maximum: 4 }), 'cannot generate field: no integer fits between its bounds'],
      [{ type: 'object', required: ['ghost'], properties: {} }, 'cannot generate ghost: it is required but has no schema under "properties"'],
      [{ type: 'array' }, `cannot generate the record: the schema's "type" must be "object"`],
    ];
    for (const [schema, message] of cases) {
      assert.throws(() => createRecordGenerator({ schema, seed: 1, customers: 3 }), { name: 'SchemaGenerationError', message });
    }
    assert.throws(() => createRecordGenerator({ schema: loadSaleSchema(), seed: 1, customers: 3, eventTimeField: 'when' }), {
      message: 'cannot generate when: the event time field is not a property of the schema',
    });
  });
});
