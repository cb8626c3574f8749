import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FAULT_KINDS, makeInvalidPayload, shiftEventTime, type FaultKind } from '../../src/generator/faults.ts';
import { type JsonSchemaObject } from '../../src/generator/json-schema.ts';
import { createRandom } from '../../src/generator/random.ts';
import { createRecordGenerator } from '../../src/generator/record-generator.ts';
import { compileValidator, loadSaleSchema } from './sale-validator.ts';

const schema = loadSaleSchema();
const validate = compileValidator(schema);

function saleRecords(count: number): Array<Record<string, unknown>> {
  const generator = createRecordGenerator({ schema, seed: 3, customers: 20 });
  return Array.from({ length: count }, (_, index) => generator.next(1_764_090_000_000 + index));
}

function isValidSale(payload: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return false;
  }
  return validate(parsed);
}

void describe('makeInvalidPayload()', () => {
  for (const kind of FAULT_KINDS) {
    void test(`makes ${kind} payloads that fail parsing or the sale schema`, () => {
      const random = createRandom(11);
      for (const record of saleRecords(300)) {
        assert.ok(isValidSale(JSON.stringify(record)), 'the input is valid');
        const fault = makeInvalidPayload(record, schema, random, [kind]);
        assert.equal(fault.kind, kind);
        assert.equal(isValidSale(fault.payload), false, `${kind} stayed valid: ${fault.payload}`);
      }
    });
  }

  void test('breaks the expected field, e.g. a negative quantity or a missing one', () => {
    const [record = {}] = saleRecords(1);
    const random = createRandom(5);
    const outOfRange = makeInvalidPayload(record, schema, random, ['out-of-range']);
    const broken = JSON.parse(outOfRange.payload) as Record<string, unknown>;
    assert.equal(broken[outOfRange.field ?? ''], -1);
    const missing = makeInvalidPayload(record, schema, random, ['missing-field']);
    assert.equal((JSON.parse(missing.payload) as Record<string, unknown>)[missing.field ?? ''], undefined);
    assert.ok(schema.required?.includes(missing.field ?? ''));
  });

  void test('mixes all kinds by default and is deterministic for a seed', () => {
    const records = saleRecords(500);
    const run = (): FaultKind[] => {
      const random = createRandom(99);
      return records.map((record) => makeInvalidPayload(record, schema, random).kind);
    };
    const kinds = run();
    assert.deepEqual(kinds, run());
    assert.deepEqual(new Set(kinds), new Set(FAULT_KINDS));
  });

  void test('falls back to not-json when the schema leaves a kind nothing to break', () => {
    const open: JsonSchemaObject = { type: 'object', properties: { note: { type: 'string' } } };
    const fault = makeInvalidPayload({ note: 'hello' }, open, createRandom(1), ['unknown-field', 'out-of-range', 'missing-field']);
    assert.equal(fault.kind, 'not-json');
    assert.throws(() => JSON.parse(fault.payload) as unknown);
  });
});

void describe('shiftEventTime()', () => {
  const settings = { length: 60_000, slide: 10_000, allowedLateness: 5_000 };

  void test('moves an out-of-order record back by 1 ms to allowedLateness', () => {
    const random = createRandom(8);
    for (let i = 0; i < 1_000; i++) {
      const shifted = shiftEventTime(1_000_000, 'out-of-order', settings, random);
      assert.ok(shifted < 1_000_000 && shifted >= 1_000_000 - settings.allowedLateness, String(shifted));
    }
  });

  void test('moves a late record back past every window that could still be open', () => {
    const random = createRandom(8);
    for (let i = 0; i < 1_000; i++) {
      const shifted = shiftEventTime(1_000_000, 'late', settings, random);
      // Its last window ends at most `length` after it, still behind newest - allowedLateness.
      assert.ok(shifted + settings.length + settings.slide < 1_000_000 - settings.allowedLateness, String(shifted));
      assert.ok(shifted >= 1_000_000 - (settings.allowedLateness + settings.slide + 2 * settings.length + 1));
    }
  });

  void test('leaves the time alone for out-of-order without allowed lateness', () => {
    assert.equal(shiftEventTime(5_000, 'out-of-order', { ...settings, allowedLateness: 0 }, createRandom(1)), 5_000);
  });
});
