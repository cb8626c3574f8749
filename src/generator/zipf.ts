/**
 * Zipf-like choice among n ranked values: rank r (0-based) has weight 1 / (r + 1)^s. Real sales
 * look like this: a few customers buy a lot, most buy little. The cumulative table is built once,
 * so a draw is one PRNG call plus a binary search (about 10 steps for 1,000 customers).
 */
import { type Random } from './random.ts';

/** The default exponent: a little steeper than classic Zipf (s = 1). */
export const DEFAULT_ZIPF_EXPONENT = 1.1;

/** Returns a function that picks an index in [0, n) with Zipf weights; index 0 is most frequent. */
export function createZipfSampler(n: number, random: Random, exponent = DEFAULT_ZIPF_EXPONENT): () => number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`a Zipf pool needs at least one value, got ${n}`);
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let rank = 0; rank < n; rank++) {
    sum += 1 / Math.pow(rank + 1, exponent);
    cumulative[rank] = sum;
  }
  for (let rank = 0; rank < n; rank++) cumulative[rank] = (cumulative[rank] as number) / sum;
  // Rounding may leave the last entry a hair under 1; pin it so every draw finds an index.
  cumulative[n - 1] = 1;

  return () => {
    const u = random();
    let low = 0;
    let high = n - 1;
    // First index whose cumulative weight exceeds u.
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((cumulative[middle] as number) > u) high = middle;
      else low = middle + 1;
    }
    return low;
  };
}
