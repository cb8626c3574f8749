/**
 * Bounded numbers drawn from a table of their values (choiceOf) against the arithmetic they
 * replace, written here as the oracle: randomInt over the range of steps, then scaled. Same PRNG
 * seed, same sequence of values, bit for bit (Object.is), whatever the bounds and multipleOf.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { integerGenerator, numberGenerator, decimalPlaces } from '../../src/generator/numeric-range.ts';
import { createRandom, randomInt } from '../../src/generator/random.ts';
import { valueSourceOf } from '../../src/generator/value-sources.ts';

/** The same values, as the arithmetic draws them. */
function oracleSequence(random: () => number, first: number, last: number, valueOf: (step: number) => number, count: number): number[] {
  return Array.from({ length: count }, () => valueOf(randomInt(random, first, last)));
}

void describe('bounded numbers from a table', () => {
  void test('integers: the same values as randomInt over the bounds (and multipleOf)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -100_000, max: 100_000 }), fc.integer({ min: 0, max: 70_000 }), fc.constantFrom(1, 2, 5, 7), fc.integer({ min: 1, max: 1e6 }), (minimum, width, step, seed) => {
        const schema = { type: 'integer' as const, minimum, maximum: minimum + width, multipleOf: step };
        const first = Math.ceil(minimum / step);
        const last = Math.floor((minimum + width) / step);
        fc.pre(first <= last);
        const generate = integerGenerator(schema, createRandom(seed), 'n');
        const expected = oracleSequence(createRandom(seed), first, last, (k) => k * step, 200);
        const actual = Array.from({ length: 200 }, () => generate(0));
        actual.forEach((value, i) => assert.ok(Object.is(value, expected[i]), `value ${i}: ${String(value)} vs ${String(expected[i])}`));
        // Small ranges are tables; wide ones keep the arithmetic.
        assert.equal(valueSourceOf(generate)?.kind, last - first < 65_536 ? 'choice' : undefined);
      }),
      { numRuns: 300 },
    );
  });

  void test('decimals with multipleOf: the same doubles as counting steps and dividing by the power of ten', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5_000, max: 5_000 }), fc.integer({ min: 0, max: 9_000 }), fc.constantFrom(0.01, 0.5, 0.25, 0.001, 0.1), fc.integer({ min: 1, max: 1e6 }), (low, width, step, seed) => {
        const minimum = low / 100;
        const maximum = (low + width) / 100;
        const scale = 10 ** decimalPlaces(step);
        const stepUnits = Math.round(step * scale);
        const first = Math.ceil((minimum * scale) / stepUnits - 1e-9);
        const last = Math.floor((maximum * scale) / stepUnits + 1e-9);
        fc.pre(first <= last);
        const generate = numberGenerator({ type: 'number', minimum, maximum, multipleOf: step }, createRandom(seed), 'n');
        const expected = oracleSequence(createRandom(seed), first, last, (k) => (k * stepUnits) / scale, 200);
        const actual = Array.from({ length: 200 }, () => generate(0));
        actual.forEach((value, i) => assert.ok(Object.is(value, expected[i]), `value ${i}: ${String(value)} vs ${String(expected[i])}`));
        assert.equal(valueSourceOf(generate)?.kind, last - first < 65_536 ? 'choice' : undefined);
      }),
      { numRuns: 300 },
    );
  });
});
