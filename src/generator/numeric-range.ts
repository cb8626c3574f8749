/**
 * Uniform numbers inside a schema's bounds. Values with `multipleOf` are built as an integer
 * count of steps divided by a power of ten, because IEEE division is correctly rounded: 1234 / 100
 * is exactly the double that JSON.parse("12.34") gives, whereas 1234 * 0.01 is 12.340000000000002.
 */
import { SchemaGenerationError, type JsonSchemaObject } from './json-schema.ts';
import { randomInt, type Random } from './random.ts';
import { choiceOf, type ValueGenerator } from './value-sources.ts';

/**
 * Ranges with at most this many values are drawn from a table of them (choiceOf): the same draw
 * and the same value as the arithmetic below, and the producer's writer keeps one text per value
 * instead of converting each number (a 0.01 price has 10,001 values, a quantity 500).
 */
const tableLimit = 65_536;

/** Span used when a schema leaves a side open: enough variety without absurd magnitudes. */
const DEFAULT_SPAN = 1000;

interface Bounds {
  low: number;
  high: number;
  lowExclusive: boolean;
  highExclusive: boolean;
}

function boundsOf(schema: JsonSchemaObject, path: string): Bounds {
  for (const keyword of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'] as const) {
    const value = schema[keyword];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      throw new SchemaGenerationError(path, `"${keyword}" must be a finite number`);
    }
  }
  const { minimum, maximum, exclusiveMinimum, exclusiveMaximum } = schema;
  // The stricter of the inclusive and exclusive bound wins, as in validation.
  const lowExclusive = exclusiveMinimum !== undefined && (minimum === undefined || exclusiveMinimum >= minimum);
  const highExclusive = exclusiveMaximum !== undefined && (maximum === undefined || exclusiveMaximum <= maximum);
  let low = lowExclusive ? exclusiveMinimum : minimum;
  let high = highExclusive ? exclusiveMaximum : maximum;
  if (low === undefined && high === undefined) [low, high] = [0, DEFAULT_SPAN];
  else if (low === undefined) low = (high as number) - DEFAULT_SPAN;
  else if (high === undefined) high = low + DEFAULT_SPAN;
  return { low, high: high as number, lowExclusive, highExclusive };
}

/** A generator of integers in the schema's range (and multipleOf, when an integer step). */
export function integerGenerator(schema: JsonSchemaObject, random: Random, path: string): ValueGenerator {
  const bounds = boundsOf(schema, path);
  const step = schema.multipleOf ?? 1;
  if (!Number.isInteger(step) || step <= 0) {
    throw new SchemaGenerationError(path, `"multipleOf" of an integer must be a positive integer, got ${step}`);
  }
  const first = Math.ceil((bounds.lowExclusive ? Math.floor(bounds.low) + 1 : bounds.low) / step);
  const last = Math.floor((bounds.highExclusive ? Math.ceil(bounds.high) - 1 : bounds.high) / step);
  if (first > last) throw new SchemaGenerationError(path, `no integer fits between its bounds`);
  if (last - first < tableLimit) return choiceOf(Array.from({ length: last - first + 1 }, (_, k) => (first + k) * step), random);
  if (step === 1) return () => randomInt(random, first, last);
  return () => randomInt(random, first, last) * step;
}

/** A generator of numbers in the schema's range, exact decimals when `multipleOf` is set. */
export function numberGenerator(schema: JsonSchemaObject, random: Random, path: string): ValueGenerator {
  const bounds = boundsOf(schema, path);
  if (bounds.low > bounds.high) throw new SchemaGenerationError(path, `"minimum" is above "maximum"`);
  const step = schema.multipleOf;
  if (step === undefined) {
    const { low, high, lowExclusive } = bounds;
    const width = high - low;
    // random() < 1 keeps an exclusive maximum out; redraw the one value an exclusive minimum forbids.
    return () => {
      let value = low + random() * width;
      while (lowExclusive && value <= low) value = low + random() * width;
      return value;
    };
  }
  if (step <= 0) throw new SchemaGenerationError(path, `"multipleOf" must be positive, got ${step}`);
  const scale = 10 ** decimalPlaces(step);
  const stepUnits = Math.round(step * scale);
  // Work in integer units of 1/scale so the bounds checks are exact too.
  const lowUnits = bounds.low * scale;
  const highUnits = bounds.high * scale;
  let first = Math.ceil(lowUnits / stepUnits - 1e-9);
  let last = Math.floor(highUnits / stepUnits + 1e-9);
  if (bounds.lowExclusive && first * stepUnits <= lowUnits) first++;
  if (bounds.highExclusive && last * stepUnits >= highUnits) last--;
  if (first > last) throw new SchemaGenerationError(path, `no multiple of ${step} fits between its bounds`);
  if (last - first < tableLimit) return choiceOf(Array.from({ length: last - first + 1 }, (_, k) => ((first + k) * stepUnits) / scale), random);
  return () => (randomInt(random, first, last) * stepUnits) / scale;
}

/** Digits after the decimal point of a JS number as written by String(): 0.01 -> 2, 1e-7 -> 7. */
export function decimalPlaces(value: number): number {
  const [mantissa = '', exponent] = String(value).split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent ?? 0));
}
