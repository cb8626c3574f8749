/**
 * Turns a Kafka record's bytes into what the window engine needs (key, amount, event time), or
 * into a reason why it cannot: every sale ends up either aggregated or dead-lettered with that
 * reason, never dropped.
 *
 * A record holds one sale (a JSON object) or several (a JSON array of sales, written by a producer
 * with `producer.packing` > 1). In an array each element is validated on its own: an invalid
 * element is rejected alone, with its own JSON, and the valid ones are aggregated.
 *
 *   bytes ─► UTF-8 ─► JSON.parse ─┬─ object ──────────► validate ─► sale | reject
 *                                 └─ array ─► each element ─► validate ─► sale | reject (+ index, JSON)
 *
 * The sale schema is compiled once; per sale the cost is its share of one JSON.parse and one
 * compiled validator call. Of the validator's cost, ajv-formats' uuid regex was two thirds: the
 * `uuid` format is checked by `isUuid` below instead (same strings accepted, half the cost).
 */
import { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { createSaleSchemaAjv } from '../config/sale-schema.ts';
import { compileFlatSaleReader, type PropertyCheck, type SaleColumns } from './flat-sale-reader.ts';
import { simplePropertyCheck } from './simple-property-check.ts';

/** Why a record was rejected; also the dead-letter `reason` header. */
export type RejectReason = 'too-large' | 'null-value' | 'invalid-utf8' | 'not-json' | 'schema' | 'bad-event-time';

/** A sale the pipeline can aggregate. */
export interface DecodedSale {
  key: string;
  amount: number;
  /** Epoch ms from the configured event-time field, or the Kafka timestamp when none is set. */
  eventTime: number;
}

/** Where a sale sat in a packed record (a JSON array of sales). */
export interface PackedElement {
  /** Position in the array, from 0; the dead-letter header `salesflow.source.index`. */
  index: number;
  /** The element's own JSON: what is dead-lettered instead of the whole record. */
  json: string;
}

/**
 * One decoded sale or one rejection. `element` is set only for sales of a packed record: a
 * rejection without it concerns the whole record (its original bytes are what to dead-letter).
 */
export type DecodeResult =
  | { ok: true; sale: DecodedSale; element?: number }
  | { ok: false; reason: RejectReason; detail: string; element?: PackedElement };

export interface RecordDecoderOptions {
  /** The parsed sale JSON Schema. */
  saleSchema: object;
  groupBy: string;
  sum: string;
  /** Field with the event time (epoch ms or ISO-8601); undefined -> the Kafka record time. */
  eventTime: string | undefined;
  maxRecordBytes: number;
}

/** Decodes one record into its sales: one result for a single sale, one per element for an array. */
export type SalesDecoder = (value: Buffer | null, kafkaTimestamp: number, keyBytes?: number) => DecodeResult[];


/**
 * Builds the decoder that every consumed record passes through; it accepts a single sale or a
 * JSON array of sales per record. A record that is not JSON, is not UTF-8, is too large, or is an
 * empty array is rejected as a whole (one result without `element`).
 */
export function createSalesDecoder(options: RecordDecoderOptions): SalesDecoder {
  const decodeText = createTextDecoder(options.maxRecordBytes);
  const toSale = createSaleReader(options);
  return (value, kafkaTimestamp, keyBytes = 0) => {
    const parsed = decodeText(value, keyBytes);
    if (!parsed.ok) return [parsed];
    const { json } = parsed;
    if (!Array.isArray(json)) return [toSale(json, kafkaTimestamp)];
    if (json.length === 0) return [reject('schema', 'the record is an empty array: it holds no sale')];
    const results = new Array<DecodeResult>(json.length);
    for (let index = 0; index < json.length; index++) {
      const element: unknown = json[index];
      const result = toSale(element, kafkaTimestamp);
      results[index] = result.ok ? { ok: true, sale: result.sale, element: index } : { ...result, element: { index, json: JSON.stringify(element) ?? 'null' } };
    }
    return results;
  };
}

/**
 * Reads a record's sales straight into the batch's columns when it is plainly valid (see
 * flat-sale-reader.ts) and returns true; returns false, having appended nothing, when the record
 * needs `createSalesDecoder`'s decoder: anything unusual, and every rejection.
 */
export type PlainSalesReader = ((value: Buffer | null, kafkaTimestamp: number, keyBytes: number, into: SaleColumns) => boolean) & {
  /** False when the schema has no fast path: the reader then always returns false. */
  readonly fastPath: boolean;
};

/** The fast path in front of `createSalesDecoder`; it never reads a record the decoder would read differently. */
export function createPlainSalesReader(options: RecordDecoderOptions): PlainSalesReader {
  const ajv = createSaleValidatorAjv();
  const precision = ajv.opts.multipleOfPrecision;
  if (precision === undefined) throw new Error('the sale schema Ajv has no multipleOfPrecision');
  const compileProperty = (schema: unknown): PropertyCheck => simplePropertyCheck(schema, precision) ?? ajv.compile(schema as object);
  const readFlat = compileFlatSaleReader({ ...options, compileProperty, toEpochMs });
  if (readFlat === undefined) return Object.assign(() => false, { fastPath: false });
  const { maxRecordBytes } = options;
  const read = (value: Buffer | null, kafkaTimestamp: number, keyBytes: number, into: SaleColumns): boolean =>
    value !== null && keyBytes + value.length <= maxRecordBytes && readFlat(value, kafkaTimestamp, into);
  return Object.assign(read, { fastPath: true });
}

/**
 * The JSON of element `index` of a packed record, to dead-letter one sale alone after decoding
 * (a late sale, say); undefined when the value is not a JSON array with that element. Re-parses
 * the record: meant for the rare path, not per sale.
 */
export function packedElementJson(value: Buffer | null, index: number): string | undefined {
  if (value === null) return undefined;
  try {
    const parsed: unknown = JSON.parse(value.toString('utf8'));
    if (!Array.isArray(parsed) || index < 0 || index >= parsed.length) return undefined;
    return JSON.stringify(parsed[index]) ?? 'null';
  } catch {
    return undefined;
  }
}

/**
 * Compiles the sale schema with the same keywords and options as config validation, and the
 * `uuid` format checked by `isUuid` instead of ajv-formats' regex: the same strings pass, at a
 * fraction of the cost.
 */
export function compileSaleValidator(saleSchema: object): ValidateFunction {
  return createSaleValidatorAjv().compile(saleSchema);
}

function createSaleValidatorAjv(): ReturnType<typeof createSaleSchemaAjv> {
  const ajv = createSaleSchemaAjv();
  ajv.addFormat('uuid', { type: 'string', validate: isUuid });
  return ajv;
}

/**
 * Exactly the strings ajv-formats' `uuid` accepts,
 * `/^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i`, checked with a lookup table:
 * about half the cost of the regex, which was the largest single cost of validating a sale.
 */
export function isUuid(text: string): boolean {
  let at = 0;
  if (text.length === 45) {
    for (; at < urnPrefix.length; at++) {
      const code = text.charCodeAt(at);
      const expected = urnPrefix.charCodeAt(at);
      // Only ASCII letters fold case: `i` in a non-unicode regex never maps other characters onto them.
      if (code !== expected && !(expected >= 97 && expected <= 122 && code === expected - 32)) return false;
    }
  } else if (text.length !== 36) {
    return false;
  }
  for (let i = 0; i < 36; i++) {
    const code = text.charCodeAt(at + i);
    if (code >= 128 || uuidCharClass[code] !== uuidLayout[i]) return false;
  }
  return true;
}

const urnPrefix = 'urn:uuid:';
const hexDigit = 1;
const dash = 2;
/** Per ASCII code: 1 for a hex digit (either case), 2 for `-`, 0 otherwise. */
const uuidCharClass = new Uint8Array(128);
for (const char of '0123456789abcdefABCDEF') uuidCharClass[char.charCodeAt(0)] = hexDigit;
uuidCharClass[45] = dash;
/** What each of the 36 positions must hold: 8-4-4-4-12 hex digits with dashes between. */
const uuidLayout = Uint8Array.from({ length: 36 }, (_, i) => (i === 8 || i === 13 || i === 18 || i === 23 ? dash : hexDigit));

type TextResult = { ok: true; json: unknown } | { ok: false; reason: RejectReason; detail: string };

/** Bytes -> parsed JSON, or why not. */
function createTextDecoder(maxRecordBytes: number): (value: Buffer | null, keyBytes: number) => TextResult {
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  return (value, keyBytes) => {
    // The limit is on the whole record: a huge key is as much a problem as a huge value.
    const valueBytes = value?.length ?? 0;
    if (keyBytes + valueBytes > maxRecordBytes) {
      const size = keyBytes > 0 ? `key ${keyBytes} + value ${valueBytes} bytes` : `the value is ${valueBytes} bytes`;
      return reject('too-large', `${size}, over the limit of ${maxRecordBytes}`);
    }
    if (value === null) return reject('null-value', 'the record has no value (a tombstone)');
    let text: string;
    try {
      text = utf8.decode(value);
    } catch {
      return reject('invalid-utf8', 'the value is not valid UTF-8');
    }
    try {
      return { ok: true, json: JSON.parse(text) as unknown };
    } catch (error) {
      return reject('not-json', (error as Error).message);
    }
  };
}

/** Parsed JSON -> a sale, or why not. */
function createSaleReader(options: RecordDecoderOptions): (json: unknown, kafkaTimestamp: number) => DecodeResult {
  const validate = compileSaleValidator(options.saleSchema);
  const { groupBy, sum, eventTime } = options;
  return (json, kafkaTimestamp) => {
    if (!validate(json)) return reject('schema', describeErrors(validate.errors));
    const sale = json as Record<string, unknown>;
    const time = eventTime === undefined ? kafkaTimestamp : toEpochMs(sale[eventTime]);
    if (time === undefined) return reject('bad-event-time', `${eventTime ?? 'timestamp'} is not a time`);
    return { ok: true, sale: { key: String(sale[groupBy]), amount: Number(sale[sum]), eventTime: time } };
  };
}

function reject(reason: RejectReason, detail: string): { ok: false; reason: RejectReason; detail: string } {
  return { ok: false, reason, detail };
}

function toEpochMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  const first = errors?.[0];
  if (!first) return 'does not match the sale schema';
  const where = first.instancePath === '' ? 'the record' : first.instancePath.slice(1).replaceAll('/', '.');
  return `${where} ${first.message ?? 'is invalid'}`;
}
