/**
 * The record decoder: one sale or a packed array of sales per record, each sale aggregated or
 * rejected on its own, and the fast uuid check agreeing with ajv-formats' regex.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  createSalesDecoder,
  isUuid,
  packedElementJson,
  type DecodeResult,
  type RecordDecoderOptions,
} from '../../src/runtime/record-decoder.ts';

const saleSchema = JSON.parse(readFileSync(new URL('../../schemas/sale.schema.json', import.meta.url), 'utf8')) as object;
const options: RecordDecoderOptions = { saleSchema, groupBy: 'customerName', sum: 'quantity', eventTime: 'timestamp', maxRecordBytes: 10_000 };

function sale(customerName: string, quantity: number, timestamp = 1_700_000_000_000): Record<string, unknown> {
  return { saleId: '9a788ed3-b3b4-481e-b945-6b40a2f6c9cb', customerName, quantity, value: 9.99, timestamp };
}

function bytes(value: unknown): Buffer {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
}

function reasons(results: DecodeResult[]): string[] {
  return results.map((result) => (result.ok ? 'ok' : result.reason));
}

describe('createSalesDecoder()', () => {
  const decode = createSalesDecoder(options);

  test('decodes a single sale into its key, amount and event time', () => {
    assert.deepEqual(decode(bytes(sale('Ada Lovelace', 3)), 0), [
      { ok: true, sale: { key: 'Ada Lovelace', amount: 3, eventTime: 1_700_000_000_000 } },
    ]);
  });

  test('decodes a packed array into one sale per element, each with its index', () => {
    const results = decode(bytes([sale('Ada', 1, 10), sale('Grace', 2, 20), sale('Alan', 3, 30)]), 0);
    assert.deepEqual(results, [
      { ok: true, sale: { key: 'Ada', amount: 1, eventTime: 10 }, element: 0 },
      { ok: true, sale: { key: 'Grace', amount: 2, eventTime: 20 }, element: 1 },
      { ok: true, sale: { key: 'Alan', amount: 3, eventTime: 30 }, element: 2 },
    ]);
  });

  test('rejects an invalid element alone, with its index and its own JSON, and keeps the valid ones', () => {
    const broken = { ...sale('Grace', 2), quantity: 'many' };
    const results = decode(bytes([sale('Ada', 1), broken, sale('Alan', 3)]), 0);
    assert.deepEqual(reasons(results), ['ok', 'schema', 'ok']);
    const rejected = results[1];
    assert.ok(rejected && !rejected.ok);
    assert.equal(rejected.detail, 'quantity must be integer');
    assert.deepEqual(rejected.element, { index: 1, json: JSON.stringify(broken) });
  });

  test('rejects every element of an array of values that are not sales', () => {
    const results = decode(bytes(['x', 1, null]), 0);
    assert.deepEqual(reasons(results), ['schema', 'schema', 'schema']);
    assert.deepEqual(results.map((result) => (result.ok ? undefined : result.element?.json)), ['"x"', '1', 'null']);
  });

  test('counts the key against the size limit: a huge key with a valid sale is too large', () => {
    const results = decode(bytes(sale('Ada', 1)), 0, 10_000);
    assert.deepEqual(reasons(results), ['too-large']);
    assert.match(results[0]?.ok === false ? results[0].detail : '', /^key 10000 \+ value \d+ bytes, over the limit of 10000$/);
  });

  test('rejects an empty array as a whole: it holds no sale', () => {
    assert.deepEqual(decode(bytes('[]'), 0), [{ ok: false, reason: 'schema', detail: 'the record is an empty array: it holds no sale' }]);
  });

  test('rejects broken records as a whole, without an element', () => {
    const cases: Array<[Buffer | null, string]> = [
      [null, 'null-value'],
      [Buffer.from([0x7b, 0xff, 0x7d]), 'invalid-utf8'],
      [bytes('[{"saleId":'), 'not-json'],
      [Buffer.alloc(10_001, 0x20), 'too-large'],
    ];
    for (const [value, reason] of cases) {
      const results = decode(value, 0);
      assert.equal(results.length, 1);
      const [result] = results;
      assert.ok(result && !result.ok, reason);
      assert.equal(result.reason, reason);
      assert.equal(result.element, undefined);
    }
  });

  test('uses the Kafka timestamp for every sale of a packed record when no event-time field is set', () => {
    const decodeByKafkaTime = createSalesDecoder({ ...options, eventTime: undefined });
    const results = decodeByKafkaTime(bytes([sale('Ada', 1, 10), sale('Grace', 2, 20)]), 777);
    assert.deepEqual(results.map((result) => (result.ok ? result.sale.eventTime : undefined)), [777, 777]);
  });
});

describe('packedElementJson()', () => {
  test('gives one element of a packed record, and undefined for anything else', () => {
    const value = bytes([sale('Ada', 1), sale('Grace', 2)]);
    assert.equal(packedElementJson(value, 1), JSON.stringify(sale('Grace', 2)));
    assert.equal(packedElementJson(value, 2), undefined);
    assert.equal(packedElementJson(bytes(sale('Ada', 1)), 0), undefined);
    assert.equal(packedElementJson(bytes('not json'), 0), undefined);
    assert.equal(packedElementJson(null, 0), undefined);
  });
});

describe('isUuid()', () => {
  // ajv-formats' definition, which isUuid replaces in the decoder's validator.
  const ajvFormatsUuid = /^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i;

  test('accepts and refuses exactly what the ajv-formats regex does', () => {
    const examples = [
      '9a788ed3-b3b4-481e-b945-6b40a2f6c9cb',
      '9A788ED3-B3B4-481E-B945-6B40A2F6C9CB',
      'urn:uuid:9a788ed3-b3b4-481e-b945-6b40a2f6c9cb',
      'URN:UUID:9a788ed3-b3b4-481e-b945-6b40a2f6c9cb',
      'urn:uuid9a788ed3-b3b4-481e-b945-6b40a2f6c9cbx',
      '9a788ed3-b3b4-481e-b945-6b40a2f6c9c',
      '9a788ed3-b3b4-481e-b945-6b40a2f6c9cg',
      '9a788ed3b-3b4-481e-b945-6b40a2f6c9cb',
      'x',
      '',
    ];
    for (const text of examples) assert.equal(isUuid(text), ajvFormatsUuid.test(text), text);
  });

  test('agrees with the ajv-formats regex on random near-uuids', () => {
    const alphabet = fc.constantFrom(...'0123456789abcdefABCDEFgG-:nrudiNRUDI\u0130\u212a'.split(''));
    const nearUuid = fc.oneof(
      fc.uuid(),
      fc.uuid().map((id) => `urn:uuid:${id}`),
      fc.uuid().map((id) => id.toUpperCase()),
      fc.array(alphabet, { minLength: 34, maxLength: 46 }).map((chars) => chars.join('')),
      fc.tuple(fc.uuid(), fc.nat(35), alphabet).map(([id, at, char]) => id.slice(0, at) + char + id.slice(at + 1)),
    );
    fc.assert(fc.property(nearUuid, (text) => isUuid(text) === ajvFormatsUuid.test(text)), { numRuns: 5_000 });
  });
});
