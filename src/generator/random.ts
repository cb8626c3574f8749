/**
 * A small, fast, seedable PRNG for the generator's hot path. Faker's own generator (Mersenne
 * Twister behind a general API) costs far more per draw than sfc32, and the producer makes
 * several draws per record at 200k+ records/s. sfc32 passes PractRand for our purposes and is
 * pure 32-bit integer arithmetic, which V8 keeps in registers.
 */

/** Returns a float in [0, 1), always a multiple of 2^-32 (so `* 2 ** 32` gives a uint32). */
export type Random = () => number;

const TWO_POW_32 = 2 ** 32;

/** A seeded PRNG; the same seed gives the same sequence on every platform. */
export function createRandom(seed: number): Random {
  // splitmix32 spreads a small or similar seed (1, 2, 3...) over all four state words, so
  // neighbouring seeds give unrelated streams. High bits of large seeds are folded in.
  let mix = (Math.trunc(seed) ^ Math.floor(Math.trunc(seed) / TWO_POW_32)) >>> 0;
  const splitmix = (): number => {
    mix = (mix + 0x9e3779b9) | 0;
    let z = mix;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const random: Random = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / TWO_POW_32;
  };
  // The first outputs of sfc32 still correlate with the seed; the reference discards 12.
  for (let i = 0; i < 12; i++) random();
  return random;
}

/** A uniform integer in [min, max] (both inclusive, both integers). */
export function randomInt(random: Random, min: number, max: number): number {
  const span = max - min + 1;
  if (span <= TWO_POW_32) return min + Math.floor(random() * span);
  // Wider than 32 bits: combine two draws into 53 bits so large ranges stay uniform.
  const wide = Math.floor(random() * 2 ** 21) * TWO_POW_32 + random() * TWO_POW_32;
  return min + Math.floor((wide / 2 ** 53) * span);
}

/** ASCII codes of the 16 hex digits, lower case. */
const HEX_DIGIT = Array.from({ length: 16 }, (_, digit) => digit.toString(16).charCodeAt(0));
/** Each byte's two hex digits as one big-endian uint16 of their character codes. */
const HEX_PAIR = Uint16Array.from({ length: 256 }, (_, byte) => ((HEX_DIGIT[byte >>> 4] as number) << 8) | (HEX_DIGIT[byte & 15] as number));
/** The bytes of the UUID being made as a string: one buffer, refilled each time. */
const uuidBytes = new Uint8Array(36);
const uuidView = new DataView(uuidBytes.buffer);

/**
 * A random (version 4, RFC 9562 variant) UUID from the PRNG: about 10x faster than
 * faker.string.uuid() and deterministic with the generator's seed. Made from its character codes
 * in one piece (the bytes writeRandomUuid writes): joining pieces would leave V8 a tree of strings
 * to flatten when it is written out.
 */
export function randomUuid(random: Random): string {
  writeRandomUuid(random, uuidView, 0);
  return String.fromCharCode.apply(null, uuidBytes as unknown as number[]);
}

/**
 * Writes a UUID from 4 draws as ASCII into `target` at `at` (36 bytes): randomUuid's characters,
 * and what a record writer uses to write one without making its string. Two digits per store
 * from a table: a third of the time of writing the 32 digits one by one.
 */
export function writeRandomUuid(random: Random, target: DataView, at: number): void {
  const first = (random() * TWO_POW_32) >>> 0;
  // Version nibble 4 in bits 12-15 of the third group.
  const second = ((((random() * TWO_POW_32) >>> 0) & 0xffff0fff) | 0x00004000) >>> 0;
  // Variant bits 10xx at the top of the fourth group.
  const third = ((((random() * TWO_POW_32) >>> 0) & 0x3fffffff) | 0x80000000) >>> 0;
  const fourth = (random() * TWO_POW_32) >>> 0;
  // 8-4-4-4-12: the groups are 16-bit halves of the four words.
  writeHex16(first >>> 16, target, at);
  writeHex16(first & 0xffff, target, at + 4);
  target.setUint8(at + 8, 0x2d);
  writeHex16(second >>> 16, target, at + 9);
  target.setUint8(at + 13, 0x2d);
  writeHex16(second & 0xffff, target, at + 14);
  target.setUint8(at + 18, 0x2d);
  writeHex16(third >>> 16, target, at + 19);
  target.setUint8(at + 23, 0x2d);
  writeHex16(third & 0xffff, target, at + 24);
  writeHex16(fourth >>> 16, target, at + 28);
  writeHex16(fourth & 0xffff, target, at + 32);
}

/** The 4 hex digits of a 16-bit value at `at`. */
function writeHex16(half: number, target: DataView, at: number): void {
  target.setUint16(at, HEX_PAIR[half >>> 8] as number);
  target.setUint16(at + 2, HEX_PAIR[half & 255] as number);
}
