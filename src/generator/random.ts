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
/** Where the 32 hex digits of a UUID go among its 36 characters (the rest are dashes). */
const UUID_DIGIT_AT = Array.from({ length: 36 }, (_, at) => at).filter((at) => at !== 8 && at !== 13 && at !== 18 && at !== 23);
/** The character codes of the UUID being made: one array, refilled each time. */
const uuidCodes = new Array<number>(36).fill(0x2d);

/**
 * A random (version 4, RFC 9562 variant) UUID from the PRNG: about 10x faster than
 * faker.string.uuid() and deterministic with the generator's seed. Made from its character codes
 * in one piece: joining pieces would leave V8 a tree of strings to flatten when it is written out.
 */
export function randomUuid(random: Random): string {
  fillUuid(random, uuidCodes, 0);
  return String.fromCharCode.apply(null, uuidCodes);
}

/** Each byte's two hex digits as one big-endian uint16 of their character codes. */
const HEX_PAIR = Uint16Array.from({ length: 256 }, (_, byte) => ((HEX_DIGIT[byte >>> 4] as number) << 8) | (HEX_DIGIT[byte & 15] as number));

/**
 * Writes the UUID randomUuid would make (the same draws, the same characters) as ASCII into
 * `target` at `at` (36 bytes): for writing a record without making the UUID's string. Two digits
 * per store from a table: a third of the time of writing the 32 digits one by one.
 */
export function writeRandomUuid(random: Random, target: DataView, at: number): void {
  const first = (random() * TWO_POW_32) >>> 0;
  const second = ((((random() * TWO_POW_32) >>> 0) & 0xffff0fff) | 0x00004000) >>> 0;
  const third = ((((random() * TWO_POW_32) >>> 0) & 0x3fffffff) | 0x80000000) >>> 0;
  const fourth = (random() * TWO_POW_32) >>> 0;
  writeHexPairs(first, target, at);
  target.setUint8(at + 8, 0x2d);
  target.setUint16(at + 9, HEX_PAIR[second >>> 24] as number);
  target.setUint16(at + 11, HEX_PAIR[(second >>> 16) & 255] as number);
  target.setUint8(at + 13, 0x2d);
  target.setUint16(at + 14, HEX_PAIR[(second >>> 8) & 255] as number);
  target.setUint16(at + 16, HEX_PAIR[second & 255] as number);
  target.setUint8(at + 18, 0x2d);
  target.setUint16(at + 19, HEX_PAIR[third >>> 24] as number);
  target.setUint16(at + 21, HEX_PAIR[(third >>> 16) & 255] as number);
  target.setUint8(at + 23, 0x2d);
  target.setUint16(at + 24, HEX_PAIR[(third >>> 8) & 255] as number);
  target.setUint16(at + 26, HEX_PAIR[third & 255] as number);
  writeHexPairs(fourth, target, at + 28);
}

/** The 8 hex digits of a 32-bit word at `at`. */
function writeHexPairs(word: number, target: DataView, at: number): void {
  target.setUint16(at, HEX_PAIR[word >>> 24] as number);
  target.setUint16(at + 2, HEX_PAIR[(word >>> 16) & 255] as number);
  target.setUint16(at + 4, HEX_PAIR[(word >>> 8) & 255] as number);
  target.setUint16(at + 6, HEX_PAIR[word & 255] as number);
}

/** The UUID's 36 character codes into `out` from `at`: dashes and 32 hex digits from 4 draws. */
function fillUuid(random: Random, out: number[], at: number): void {
  const first = (random() * TWO_POW_32) >>> 0;
  // Version nibble 4 in bits 12-15 of the third group.
  const second = ((((random() * TWO_POW_32) >>> 0) & 0xffff0fff) | 0x00004000) >>> 0;
  // Variant bits 10xx at the top of the fourth group.
  const third = ((((random() * TWO_POW_32) >>> 0) & 0x3fffffff) | 0x80000000) >>> 0;
  const fourth = (random() * TWO_POW_32) >>> 0;
  out[at + 8] = out[at + 13] = out[at + 18] = out[at + 23] = 0x2d;
  fillHexWord(first, out, at, 0);
  fillHexWord(second, out, at, 8);
  fillHexWord(third, out, at, 16);
  fillHexWord(fourth, out, at, 24);
}

function fillHexWord(word: number, out: number[], at: number, firstDigit: number): void {
  for (let digit = 0; digit < 8; digit++) {
    out[at + (UUID_DIGIT_AT[firstDigit + digit] as number)] = HEX_DIGIT[(word >>> (28 - 4 * digit)) & 15] as number;
  }
}
