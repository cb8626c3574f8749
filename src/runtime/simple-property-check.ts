/**
 * Checks for the property schemas a sale schema uses most (a bounded number, a string of bounded
 * length), written out instead of calling the validator Ajv compiles: the consumer's fast path
 * calls one per value, and the calls were ~9% of a packed drain. Each check says exactly what the
 * compiled validator says for the values the fast path hands it (finite numbers, ASCII strings
 * without escapes, booleans, null): the same comparisons Ajv generates (strict numbers, the
 * sale schema's multipleOfPrecision of 6). Any other keyword: no check here, Ajv's validator is
 * used. tests/runtime/simple-property-check.test.ts holds the two to the same answers.
 */
import { isAnnotation, type PropertyCheck } from './flat-sale-reader.ts';

const numberKeywords = new Set(['type', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf']);
const stringKeywords = new Set(['type', 'minLength', 'maxLength']);

/**
 * The check for `schema`, or undefined when it holds anything else. `multipleOfPrecision` is the
 * Ajv option's value (decimal places of the tolerance).
 */
export function simplePropertyCheck(schema: unknown, multipleOfPrecision: number): PropertyCheck | undefined {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return undefined;
  const keywords = schema as Record<string, unknown>;
  const type = keywords['type'];
  const allowed = type === 'integer' || type === 'number' ? numberKeywords : type === 'string' ? stringKeywords : undefined;
  if (allowed === undefined) return undefined;
  for (const keyword of Object.keys(keywords)) {
    if (!allowed.has(keyword) && !isAnnotation(keyword)) return undefined;
  }
  const bound = (keyword: string, fallback: number): number | undefined => {
    const value = keywords[keyword] ?? fallback;
    return typeof value === 'number' && !Number.isNaN(value) ? value : undefined;
  };
  if (type === 'string') {
    const minLength = bound('minLength', 0);
    const maxLength = bound('maxLength', Infinity);
    if (minLength === undefined || maxLength === undefined) return undefined;
    // The fast path's strings are ASCII: one code point per UTF-16 unit, as Ajv counts them.
    return (value) => typeof value === 'string' && value.length >= minLength && value.length <= maxLength;
  }
  const minimum = bound('minimum', -Infinity);
  const maximum = bound('maximum', Infinity);
  const exclusiveMinimum = bound('exclusiveMinimum', -Infinity);
  const exclusiveMaximum = bound('exclusiveMaximum', Infinity);
  const multipleOf = keywords['multipleOf'];
  if (minimum === undefined || maximum === undefined || exclusiveMinimum === undefined || exclusiveMaximum === undefined) return undefined;
  if (multipleOf !== undefined && (typeof multipleOf !== 'number' || !(multipleOf > 0))) return undefined;
  const integer = type === 'integer';
  // The literal Ajv writes into its code (`1e-6`), not a power computed here, which may differ in the last bit.
  const tolerance = Number(`1e-${multipleOfPrecision}`);
  return (value) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) return false;
    // Math.trunc is a rounding instruction; `% 1` on a double is a call into C (fmod). Same answer for finite values.
    if (integer && Math.trunc(value) !== value) return false;
    if (value < minimum || value > maximum || value <= exclusiveMinimum || value >= exclusiveMaximum) return false;
    if (multipleOf === undefined) return true;
    const ratio = value / multipleOf;
    return !(Math.abs(Math.round(ratio) - ratio) > tolerance);
  };
}
