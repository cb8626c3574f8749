/**
 * ByteArena's copies and its UUID writer against plain oracles: TypedArray.set for copies of any
 * length and offset (across growth), randomUuid's string for the UUID written from the same draws.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ByteArena, byteSource } from '../../src/generator/byte-arena.ts';
import { createRandom, randomUuid } from '../../src/generator/random.ts';

void describe('ByteArena', () => {
  void test('copy() writes exactly the bytes asked for, at any length and offset, as the arena grows', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.uint8Array({ maxLength: 70 }), fc.nat(), fc.nat()), { maxLength: 30 }), (pieces) => {
        const arena = new ByteArena(1);
        const expected: number[] = [];
        for (const [bytes, a, b] of pieces) {
          const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
          const end = start + (bytes.length === 0 ? 0 : b % (bytes.length - start + 1));
          arena.copy(byteSource(bytes), start, end);
          expected.push(...bytes.subarray(start, end));
        }
        assert.deepEqual([...arena.written()], expected);
      }),
      { numRuns: 500 },
    );
  });

  void test('copy() reads a view on part of a larger buffer at its own offsets', () => {
    const whole = Uint8Array.from({ length: 64 }, (_, i) => i);
    const part = whole.subarray(7, 30);
    const arena = new ByteArena(4);
    arena.copy(byteSource(part), 3, 22);
    assert.deepEqual([...arena.written()], [...whole.subarray(10, 29)]);
  });

  void test('randomUuid() writes the UUID randomUuid makes from the same draws, quoted', () => {
    for (const seed of [1, 2, 12345, 0xffffffff]) {
      const forString = createRandom(seed);
      const forBytes = createRandom(seed);
      const arena = new ByteArena(1);
      const expected: string[] = [];
      for (let i = 0; i < 20_000; i++) {
        arena.randomUuid(forBytes);
        expected.push(JSON.stringify(randomUuid(forString)));
      }
      assert.equal(arena.written().toString('latin1'), expected.join(''));
    }
  });
});
