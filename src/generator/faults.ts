/**
 * Deliberately bad input for the producer's fault-injection knobs (`producer.invalid`,
 * `outOfOrder`, `late`), so demos and tests can watch the consumer dead-letter, count and
 * survive them. Everything is driven by the caller's seeded PRNG: same seed, same faults.
 *
 * Kinds of invalid payload (each one is guaranteed to fail the sale schema or JSON.parse):
 * - `not-json`        the record's JSON cut off mid-way, as a truncated message would be
 * - `not-an-object`   valid JSON that is not an object (an array of the record's values)
 * - `empty`           an empty payload
 * - `missing-field`   a required property removed
 * - `wrong-type`      a property holding another JSON type ("12" for 12, 42 for "Ann")
 * - `null-value`      a property set to null: what JSON.stringify makes of NaN and Infinity
 * - `out-of-range`    a number below its minimum (a negative quantity) or above its maximum
 * - `unknown-field`   an extra property where `additionalProperties` is false
 * Kinds the schema cannot make invalid (e.g. `out-of-range` with no bounds) are skipped.
 */
import { effectiveType, type JsonSchemaObject } from './json-schema.ts';
import { type Random } from './random.ts';

/** The ways a payload can be broken; see the module comment. */
export const FAULT_KINDS = ['not-json', 'not-an-object', 'empty', 'missing-field', 'wrong-type', 'null-value', 'out-of-range', 'unknown-field'] as const;

/** One of FAULT_KINDS. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** A broken payload and what was done to it (for logs and test assertions). */
export interface InvalidPayload {
  kind: FaultKind;
  /** The message value to send, as text (UTF-8 when turned into a Buffer). */
  payload: string;
  /** The property that was tampered with, when the kind targets one. */
  field?: string;
}

/**
 * Makes an invalid payload from a valid `record` of `schema` (top-level properties only). The
 * kind is drawn uniformly from `kinds` (all by default) among those applicable to the schema.
 */
export function makeInvalidPayload(
  record: Record<string, unknown>,
  schema: JsonSchemaObject,
  random: Random,
  kinds: readonly FaultKind[] = FAULT_KINDS,
): InvalidPayload {
  const properties = schema.properties ?? {};
  const present = Object.keys(record).filter((name) => name in properties);
  const required = (schema.required ?? []).filter((name) => name in record);
  const typed = present.filter((name) => singleType(properties[name]) !== undefined);
  const bounded = present.filter((name) => outOfRangeValue(properties[name]) !== undefined);
  const applicable = kinds.filter((kind) => {
    if (kind === 'missing-field') return required.length > 0;
    if (kind === 'wrong-type') return typed.length > 0;
    if (kind === 'null-value') return typed.some((name) => singleType(properties[name]) !== 'null');
    if (kind === 'out-of-range') return bounded.length > 0;
    if (kind === 'unknown-field') return schema.additionalProperties === false;
    return true;
  });
  const kind = pick(applicable.length > 0 ? applicable : (['not-json'] as const), random);
  const json = JSON.stringify(record);

  switch (kind) {
    case 'not-json':
      // Cut inside the text, never at the very end, so the braces cannot balance.
      return { kind, payload: json.slice(0, 1 + Math.floor(random() * (json.length - 1))) };
    case 'not-an-object':
      return { kind, payload: JSON.stringify(Object.values(record)) };
    case 'empty':
      return { kind, payload: '' };
    case 'missing-field': {
      const field = pick(required, random);
      const rest = { ...record };
      delete rest[field];
      return { kind, field, payload: JSON.stringify(rest) };
    }
    case 'wrong-type': {
      const field = pick(typed, random);
      return { kind, field, payload: JSON.stringify({ ...record, [field]: valueOfAnotherType(singleType(properties[field])) }) };
    }
    case 'null-value': {
      const field = pick(typed.filter((name) => singleType(properties[name]) !== 'null'), random);
      return { kind, field, payload: JSON.stringify({ ...record, [field]: null }) };
    }
    case 'out-of-range': {
      const field = pick(bounded, random);
      return { kind, field, payload: JSON.stringify({ ...record, [field]: outOfRangeValue(properties[field]) }) };
    }
    case 'unknown-field': {
      let field = 'unexpectedField';
      while (field in properties) field += '_';
      return { kind, field, payload: JSON.stringify({ ...record, [field]: 'surprise' }) };
    }
  }
}

/** The settings that decide whether a shifted record still counts. */
export interface LatenessSettings {
  /** Window length (ms). */
  length: number;
  /** Window slide (ms). */
  slide: number;
  /** How far behind the newest event time a record may be and still count (ms). */
  allowedLateness: number;
}

/**
 * Moves an event time back for injection. `out-of-order`: 1..allowedLateness ms earlier, so the
 * record arrives after newer ones yet still counts (with allowedLateness 0 it cannot, and the
 * time is returned unchanged). `late`: further back than any window still open could reach
 * (allowedLateness + length + slide, plus up to another length at random), so it is reported
 * late whatever the partition's watermark is within that margin.
 */
export function shiftEventTime(eventTime: number, kind: 'out-of-order' | 'late', settings: LatenessSettings, random: Random): number {
  if (kind === 'out-of-order') {
    if (settings.allowedLateness < 1) return eventTime;
    return eventTime - 1 - Math.floor(random() * settings.allowedLateness);
  }
  const beyondReach = settings.allowedLateness + settings.length + settings.slide;
  return eventTime - beyondReach - 1 - Math.floor(random() * Math.max(1, settings.length));
}

function pick<T>(values: readonly T[], random: Random): T {
  return values[Math.floor(random() * values.length)] as T;
}

function singleType(schema: JsonSchemaObject | undefined): string | undefined {
  if (schema === undefined || schema.enum !== undefined || schema.const !== undefined) return undefined;
  // Union types ("string" | "null") accept several kinds; only single-typed fields are tampered.
  if (Array.isArray(schema.type)) return undefined;
  return effectiveType(schema, '');
}

function valueOfAnotherType(type: string | undefined): unknown {
  switch (type) {
    case 'string':
      return 42;
    case 'integer':
    case 'number':
      return '12';
    case 'boolean':
      return 'yes';
    case 'array':
      return { not: 'an array' };
    default:
      return 'not an object';
  }
}

/** A value just outside the property's numeric bounds, or undefined when it has none. */
function outOfRangeValue(schema: JsonSchemaObject | undefined): number | undefined {
  const type = singleType(schema);
  if (schema === undefined || (type !== 'integer' && type !== 'number')) return undefined;
  const below = schema.exclusiveMinimum ?? (schema.minimum === undefined ? undefined : schema.minimum - 1);
  if (below !== undefined) return type === 'integer' ? Math.floor(below) : below;
  const above = schema.exclusiveMaximum ?? (schema.maximum === undefined ? undefined : schema.maximum + 1);
  return above === undefined ? undefined : type === 'integer' ? Math.ceil(above) : above;
}
