/**
 * simplePropertyCheck() against its oracle, the validator the sale schema's Ajv compiles from the
 * same property schema: the same answer for every value the consumer's fast path can hand it
 * (finite numbers, ASCII strings, booleans, null), and no check at all for other keywords.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { createSaleSchemaAjv } from '../../src/config/sale-schema.ts';
import { simplePropertyCheck } from '../../src/runtime/simple-property-check.ts';

const ajv = createSaleSchemaAjv();
const precision = ajv.opts.multipleOfPrecision ?? 0;

/** Numbers near the bounds a schema uses: exact, off by a little, multiples and not. */
const edgyNumber = fc.oneof(
  fc.integer({ min: -1_000, max: 1_000 }),
  fc.integer({ min: -100_000, max: 100_000 }).map((cents) => cents / 100),
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map((thousandths) => thousandths / 1_000),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
  fc.constantFrom(0, -0, 0.1 + 0.2, 0.29, 1.15, 100, 100.0000001, 99.999999, 1e15, -1e15, 2 ** 53),
);
const fastPathValue = fc.oneof(edgyNumber, fc.string({ unit: fc.integer({ min: 0x20, max: 0x7f }).map((code) => String.fromCharCode(code)), maxLength: 12 }), fc.boolean(), fc.constant(null));
const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
const numberSchema = fc
  .record({
    type: fc.constantFrom('integer', 'number'),
    minimum: maybe(edgyNumber),
    maximum: maybe(edgyNumber),
    exclusiveMinimum: maybe(edgyNumber),
    exclusiveMaximum: maybe(edgyNumber),
    multipleOf: maybe(fc.constantFrom(0.01, 0.5, 1, 3, 0.1, 0.001, 2.5)),
    description: maybe(fc.constant('annotation')),
  })
  .map((schema) => Object.fromEntries(Object.entries(schema).filter(([, value]) => value !== undefined)));
const stringSchema = fc
  .record({ type: fc.constant('string'), minLength: maybe(fc.nat({ max: 6 })), maxLength: maybe(fc.nat({ max: 8 })), 'x-faker': maybe(fc.constant('person.fullName')) })
  .map((schema) => Object.fromEntries(Object.entries(schema).filter(([, value]) => value !== undefined)));

void describe('simplePropertyCheck()', () => {
  void test('answers as the compiled validator does, for bounded numbers and strings', () => {
    fc.assert(
      fc.property(fc.oneof(numberSchema, stringSchema), fc.array(fastPathValue, { minLength: 1, maxLength: 30 }), (schema, values) => {
        const check = simplePropertyCheck(schema, precision);
        assert.ok(check, `a check for ${JSON.stringify(schema)}`);
        const validate = ajv.compile(schema);
        for (const value of values) assert.equal(check(value), validate(value), `${JSON.stringify(schema)} with ${JSON.stringify(value)}`);
      }),
      { numRuns: 3_000 },
    );
  });

  void test('answers as the compiled validator does for the sale schema properties', () => {
    const sale = { quantity: { type: 'integer', minimum: 0, maximum: 499 }, value: { type: 'number', minimum: 0, maximum: 100, multipleOf: 0.01 }, timestamp: { type: 'integer', minimum: 0, 'x-event-time': true }, name: { type: 'string', minLength: 1, maxLength: 200 } };
    for (const schema of Object.values(sale)) {
      const check = simplePropertyCheck(schema, precision);
      assert.ok(check);
      const validate = ajv.compile(schema);
      fc.assert(fc.property(fastPathValue, (value) => check(value) === validate(value)), { numRuns: 5_000 });
    }
  });

  void test('leaves every other schema to Ajv', () => {
    for (const schema of [
      { type: 'string', format: 'uuid' },
      { type: 'string', pattern: '^a' },
      { type: 'integer', enum: [1, 2] },
      { type: 'number', const: 1 },
      { type: ['number', 'null'] },
      { minimum: 0 },
      { type: 'boolean' },
      { type: 'integer', minimum: '0' },
      { type: 'number', multipleOf: 0 },
      true,
      null,
    ]) {
      assert.equal(simplePropertyCheck(schema, precision), undefined, JSON.stringify(schema));
    }
  });
});
