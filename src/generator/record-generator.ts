/**
 * Sale records from the sale schema, deterministic for a seed. The schema is the only
 * description of a record: a property added there is generated here without code changes.
 *
 * Choices worth knowing:
 * - Optional properties appear in about 90% of records (`optionalPropertyRate`), so consumers
 *   meet records without them, as with real data. Required ones are always present.
 * - Every `x-pool: "customers"` property of one record describes the same customer: one Zipf
 *   draw per record picks a customer index, and each pooled property keeps its own table of
 *   `customers` distinct values (so a pooled name and a pooled email stay paired).
 * - Pool values are made with the property's own generator (usually its x-faker method) and
 *   de-duplicated; if faker runs out of distinct values, " 2", " 3"... suffixes make them so.
 */
import { createSeededFaker } from './faker-hint.ts';
import { SchemaGenerationError, effectiveType, type JsonSchemaObject } from './json-schema.ts';
import { createRandom } from './random.ts';
import { compileValue, objectPlanOf, type CompileContext, type ObjectPlan } from './value-generators.ts';
import { describedAs, type ValueGenerator } from './value-sources.ts';
import { DEFAULT_ZIPF_EXPONENT, createZipfSampler } from './zipf.ts';

/** How to generate records; `schema` is the parsed sale schema (config reads the file). */
export interface RecordGeneratorOptions {
  schema: JsonSchemaObject;
  seed: number;
  /** Size of the customer pool behind `x-pool: "customers"` properties. */
  customers: number;
  /** Top-level property that receives the event time, in addition to any `x-event-time` one. */
  eventTimeField?: string | undefined;
  /** Probability that an optional property is present; 0.9 by default. */
  optionalPropertyRate?: number;
  /** Zipf exponent of the customer skew; 1.1 by default. */
  zipfExponent?: number;
}

/** A deterministic stream of records. */
export interface RecordGenerator {
  /** The next record, its event-time field(s) set to `eventTime` (epoch ms). */
  next(eventTime: number): Record<string, unknown>;
  /**
   * The record's properties, for writing the next record without building it: call
   * `beginRecord()`, then generate the fields in order (skipping an optional one when
   * `optionalPresent()` says so). That makes exactly the draws `next` makes.
   */
  plan: ObjectPlan | undefined;
  beginRecord(): void;
}

/** The pool names `x-pool` may use. */
export const POOL_NAMES = ['customers'] as const;

/** Compiles the schema once; throws SchemaGenerationError naming the property it cannot serve. */
export function createRecordGenerator(options: RecordGeneratorOptions): RecordGenerator {
  const { schema, seed, customers } = options;
  if (!Number.isInteger(customers) || customers < 1) throw new RangeError(`customers must be a positive integer, got ${customers}`);
  if (effectiveType(schema, '') !== 'object') throw new SchemaGenerationError('', `the schema's "type" must be "object"`);
  const random = createRandom(seed);
  const faker = createSeededFaker(seed);
  const pickCustomer = createZipfSampler(customers, random, options.zipfExponent ?? DEFAULT_ZIPF_EXPONENT);
  let customerIndex = 0;

  const context: CompileContext = {
    faker,
    random,
    optionalPropertyRate: options.optionalPropertyRate ?? 0.9,
    eventTimeField: options.eventTimeField,
    pool(poolName, base, propertySchema, path) {
      if (poolName !== 'customers') {
        throw new SchemaGenerationError(path, `"x-pool" must be one of ${POOL_NAMES.map((name) => `"${name}"`).join(', ')}, got ${JSON.stringify(poolName)}`);
      }
      const values = buildDistinctPool(base, customers, propertySchema, path);
      return describedAs(() => values[customerIndex], { kind: 'pooled', values, index: () => customerIndex });
    },
  };
  const generateRecord = compileValue(schema, '', context);
  return {
    next(eventTime) {
      customerIndex = pickCustomer();
      return generateRecord(eventTime) as Record<string, unknown>;
    },
    plan: objectPlanOf(generateRecord),
    beginRecord() {
      customerIndex = pickCustomer();
    },
  };
}

function buildDistinctPool(base: ValueGenerator, size: number, schema: JsonSchemaObject, path: string): unknown[] {
  const seen = new Set<unknown>();
  const values: unknown[] = [];
  // Retry budget: names repeat (birthday problem) but rarely; this bounds the work when the
  // value space really is smaller than the pool (e.g. an enum of three).
  let attemptsLeft = size * 20 + 100;
  while (values.length < size && attemptsLeft-- > 0) {
    const value = base(0);
    if (seen.has(value)) continue;
    seen.add(value);
    values.push(value);
  }
  if (values.length === size) return values;
  if (typeof values[0] !== 'string') {
    throw new SchemaGenerationError(path, `"x-pool" needs ${size} distinct values but only ${values.length} could be generated`);
  }
  return disambiguate(values as string[], base, size, seen as Set<string>, schema.maxLength ?? Infinity);
}

/** Fills the pool with suffixed copies of existing values ("Ann Lee 2") until it is full. */
function disambiguate(values: string[], base: ValueGenerator, size: number, seen: Set<string>, maxLength: number): string[] {
  let suffix = 2;
  while (values.length < size) {
    const stem = String(base(0));
    const tail = ` ${suffix++}`;
    const value = stem.slice(0, Math.max(0, maxLength - tail.length)) + tail;
    if (seen.has(value)) continue;
    seen.add(value);
    values.push(value);
  }
  return values;
}
