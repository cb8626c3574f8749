/**
 * Turns a Kafka record's bytes into what the window engine needs (key, amount, event time), or
 * into a reason why it cannot: every record ends up either aggregated or dead-lettered with that
 * reason, never dropped.
 *
 * The sale schema is compiled once; per record the cost is one JSON.parse and one compiled
 * validator call.
 */
import { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { createSaleSchemaAjv } from '../config/sale-schema.ts';

/** Why a record was rejected; also the dead-letter `reason` header. */
export type RejectReason = 'too-large' | 'null-value' | 'invalid-utf8' | 'not-json' | 'schema' | 'bad-event-time';

/** A record the pipeline can aggregate. */
export interface DecodedSale {
  key: string;
  amount: number;
  /** Epoch ms from the configured event-time field, or the Kafka timestamp when none is set. */
  eventTime: number;
}

export type DecodeResult =
  | { ok: true; sale: DecodedSale }
  | { ok: false; reason: RejectReason; detail: string };

export interface RecordDecoderOptions {
  /** The parsed sale JSON Schema. */
  saleSchema: object;
  groupBy: string;
  sum: string;
  /** Field with the event time (epoch ms or ISO-8601); undefined -> the Kafka record time. */
  eventTime: string | undefined;
  maxRecordBytes: number;
}

/** Builds the validator that every consumed record passes through. */
export function createRecordDecoder(options: RecordDecoderOptions): (value: Buffer | null, kafkaTimestamp: number) => DecodeResult {
  const validate = compileSaleValidator(options.saleSchema);
  const { groupBy, sum, eventTime, maxRecordBytes } = options;
  const utf8 = new TextDecoder('utf-8', { fatal: true });

  return (value, kafkaTimestamp) => {
    if (value === null) return reject('null-value', 'the record has no value (a tombstone)');
    if (value.length > maxRecordBytes) {
      return reject('too-large', `the value is ${value.length} bytes, over the limit of ${maxRecordBytes}`);
    }
    let text: string;
    try {
      text = utf8.decode(value);
    } catch {
      return reject('invalid-utf8', 'the value is not valid UTF-8');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return reject('not-json', (error as Error).message);
    }
    if (!validate(parsed)) return reject('schema', describeErrors(validate.errors));
    const sale = parsed as Record<string, unknown>;
    const time = eventTime === undefined ? kafkaTimestamp : toEpochMs(sale[eventTime]);
    if (time === undefined) return reject('bad-event-time', `${eventTime ?? 'timestamp'} is not a time`);
    return { ok: true, sale: { key: String(sale[groupBy]), amount: Number(sale[sum]), eventTime: time } };
  };
}

/** Compiles the sale schema with the same keywords and options as config validation. */
export function compileSaleValidator(saleSchema: object): ValidateFunction {
  return createSaleSchemaAjv().compile(saleSchema);
}

function reject(reason: RejectReason, detail: string): DecodeResult {
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
