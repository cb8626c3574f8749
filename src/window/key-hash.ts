/**
 * How the key dictionary packs a key into 32-bit words, and hashes them: MurmurHash3 (x86,
 * 32-bit) rounds over the words, then the key's size word and Murmur3's finalizer.
 *
 *   narrow key (every code unit <= 0xff): 4 units per word, first unit in the low byte
 *       "customer-42" -> 0x74737563 0x72656d6f 0x0032342d   (the last word zero-padded)
 *   wide key (some unit > 0xff): 2 units per word, first unit in the low half
 *   size word: units << 1 | wide
 *
 * Packing 4 narrow units per word makes a 16-character key 4 Murmur rounds and 4 compares
 * instead of 16 of each; the words are plain numbers (never viewed as bytes), so the layout is
 * the same on every platform. V8's own string hash is cached in the string, but JS cannot read
 * it: a lookup pays for reading the key once.
 *
 * KeyDictionary.lookup() packs a narrow key and hashes it in the same pass (charCodeAt is most of
 * a lookup's cost, so each unit is read once); it must agree with packKey() and hashWords(),
 * which pack keys for insertion and rehash stored ones: the dictionary tests would not find keys
 * again after a rebuild otherwise.
 */

/** The hash every key starts from (Murmur3's seed). */
export const HASH_SEED = 0x9747b28c;

/** One Murmur3 round. */
export function mixWord(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  const x = h ^ k;
  return (Math.imul((x << 13) | (x >>> 19), 5) + 0xe6546b64) | 0;
}

/** Murmur3's finalizer over the size word, so every input bit reaches the low and high bits. */
export function finishHash(h: number, sizeWord: number): number {
  let x = h ^ sizeWord;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return x ^ (x >>> 16);
}

/** Words a key of this size word takes. */
export function wordCount(sizeWord: number): number {
  const units = sizeWord >>> 1;
  return (sizeWord & 1) === 0 ? (units + 3) >>> 2 : (units + 1) >>> 1;
}

/** The hash of a packed key: `wordCount(sizeWord)` words of `words` from `start`. */
export function hashWords(words: Int32Array, start: number, sizeWord: number): number {
  let h = HASH_SEED;
  const end = start + wordCount(sizeWord);
  for (let at = start; at < end; at++) h = mixWord(h, words[at]!);
  return finishHash(h, sizeWord);
}

/**
 * Packs `key` into `words` (which must hold `(key.length >> 1) + 1` words) and returns its size
 * word; `hashWords(words, 0, sizeWord)` is then its hash.
 */
export function packKey(key: string, words: Int32Array): number {
  const units = key.length;
  let any = 0;
  let i = 0;
  let w = 0;
  for (; i + 3 < units; i += 4, w++) {
    const c0 = key.charCodeAt(i);
    const c1 = key.charCodeAt(i + 1);
    const c2 = key.charCodeAt(i + 2);
    const c3 = key.charCodeAt(i + 3);
    any |= c0 | c1 | c2 | c3;
    words[w] = c0 | (c1 << 8) | (c2 << 16) | (c3 << 24);
  }
  if (i < units) {
    let word = 0;
    for (let shift = 0; i < units; i++, shift += 8) {
      const c = key.charCodeAt(i);
      any |= c;
      word |= c << shift;
    }
    words[w] = word;
  }
  if (any <= 0xff) return units << 1;
  // Some unit does not fit a byte: two per word instead (rare, so a second pass).
  for (i = 0, w = 0; i + 1 < units; i += 2, w++) words[w] = key.charCodeAt(i) | (key.charCodeAt(i + 1) << 16);
  if (i < units) words[w] = key.charCodeAt(i);
  return (units << 1) | 1;
}

/** Code units `from .. from + count` of a packed key, into `out[0 .. count]`: packKey undone. */
export function unpackUnits(words: Int32Array, start: number, sizeWord: number, from: number, count: number, out: number[]): void {
  out.length = count;
  if ((sizeWord & 1) === 0) {
    for (let i = 0, u = from; i < count; i++, u++) out[i] = (words[start + (u >>> 2)]! >>> ((u & 3) << 3)) & 0xff;
  } else {
    for (let i = 0, u = from; i < count; i++, u++) out[i] = (words[start + (u >>> 1)]! >>> ((u & 1) << 4)) & 0xffff;
  }
}
