/**
 * The key dictionary: key string -> dense id, holding no JS object or string per key.
 *
 *   slots  Int32Array, power-of-two length, open addressing with linear probing:
 *          0 = empty, else  [ tag: hash bits above idBits | id + 1 in the low idBits ]
 *   spans  Int32Array, 2 per id: [2 id]     start in `arena` (words)
 *                                [2 id + 1] size word, units << 1 | wide      (live id)
 *                                           -1 - room                        (free id: `room` words
 *                                                                             at start are reusable)
 *   arena  Int32Array: each live key's code units packed into words (key-hash.ts),
 *          4 per word when all are <= 0xff ("customer-0000042": 4 words), else 2 per word
 *
 *   lookup("customer-42"): pack it into scratch words, hash them, probe from hash & (slots - 1);
 *   a slot whose tag equals the hash's bits above idBits names a candidate id: same size word and
 *   same words in the arena means found. An empty slot: absent.
 *
 * Why: a Map<string, number> plus an id -> string array cost ~44 bytes per key on the JS heap
 * plus the key string itself (~32 bytes for a 16-character key), and V8 lets the heap grow well
 * past its live size between collections. Here a 16-character key costs 16 arena bytes, 8 bytes
 * of spans and 4 bytes per table slot, in typed arrays outside the heap, invisible to the GC. The
 * price: JS cannot read V8's cached string hash, so every lookup reads the key's characters, and
 * rows rebuild their key strings from the arena (only rows, which are few).
 *
 * The tag lets a probe skip a slot that is not the key without touching the id's span or the
 * arena (each a cache miss with a million keys): a false match costs one compare in 2^tagBits.
 * The tag is as wide as the id column's capacity leaves room for (8 bits below 16.7M ids).
 *
 * Deletion shifts the rest of the probe cluster back instead of leaving tombstones, so the table
 * never fills up under churn and is sized by the live keys alone. The full hash is not stored:
 * deleting and rebuilding recompute it from the arena (a few words per key) to save 4 bytes a key.
 *
 * Arena space: a forgotten key's words become garbage, but its id keeps them as `room`, and the
 * next key given that id (ids are reused, most recently freed first) is written in place when it
 * fits: keys of one shape ("customer-NNNNNNN") churn without the arena growing. When garbage
 * exceeds the live words, the live keys are copied into a fresh, smaller arena (amortised O(1):
 * a compaction walks the E ids and copies the L live words only after max(L, E / 4) words of
 * garbage); a full arena that is a quarter garbage is compacted instead of grown, which copies
 * no more than growing would.
 */
import { grownCapacity } from './capacity.ts';
import { finishHash, HASH_SEED, hashWords, packKey, unpackUnits, wordCount } from './key-hash.ts';

/** Test-only settings, to force collisions and exercise rare paths with few keys. */
export interface KeyDictionaryOptions {
  /** Table slots to start with, a power of two (default 1024). */
  initialSlots?: number;
  /** ANDed into every hash: 0 makes every key collide (same home slot and tag). */
  hashMask?: number;
  /** Fewest slot bits given to the id (default 24; the rest hold the tag). */
  minIdBits?: number;
}

/** The table grows (doubles) rather than go past this share of occupied slots. */
const MAX_LOAD = 0.7;
/** Words the arena starts with. */
const INITIAL_ARENA = 4_096;
/** Garbage below this many words never triggers a compaction (it would copy for nothing). */
const MIN_GARBAGE = 1_024;
/** Longest run of code units passed to one String.fromCharCode call. */
const DECODE_CHUNK = 4_096;

function bitLength(n: number): number {
  return 32 - Math.clz32(n);
}

/** String keys to ids given by the caller, stored in typed arrays (see the top of this file). */
export class KeyDictionary {
  private slots: Int32Array;
  private maxCount: number;
  private idMask = 0;
  private spans = new Int32Array(0);
  private arena = new Int32Array(INITIAL_ARENA);
  /** Arena words in use, garbage included: keys are appended at `top`. */
  private top = 0;
  private live = 0;
  private count = 0;
  /** One more than the highest id that holds (or held, since the last clear()) a key. */
  private idEnd = 0;
  /** The key last packed into `scratch`, its size word and hash; a miss's insert reuses them. */
  private packed: string | undefined;
  private packedSize = 0;
  private packedHash = 0;
  private scratch = new Int32Array(64);
  private readonly hashMask: number;
  private readonly minIdBits: number;
  /** Scratch for keyOf(). */
  private readonly units: number[] = [];
  private compacted = 0;

  constructor(idCapacity: number, options: KeyDictionaryOptions = {}) {
    this.hashMask = options.hashMask ?? -1;
    this.minIdBits = options.minIdBits ?? 24;
    const initialSlots = options.initialSlots ?? 1024;
    if (!(initialSlots >= 2 && (initialSlots & (initialSlots - 1)) === 0)) {
      throw new RangeError(`key dictionary: initialSlots must be a power of two >= 2, got ${initialSlots}`);
    }
    this.slots = new Int32Array(initialSlots);
    this.maxCount = Math.floor(initialSlots * MAX_LOAD);
    this.reserveIds(idCapacity);
  }

  /** Keys held. */
  get size(): number {
    return this.count;
  }

  /** Table slots (4 bytes each). */
  get slotCount(): number {
    return this.slots.length;
  }

  /** Arena length in words (4 bytes each). */
  get arenaCapacity(): number {
    return this.arena.length;
  }

  /** Arena words holding live keys. */
  get liveWords(): number {
    return this.live;
  }

  /** Compactions of the arena so far. */
  get compactions(): number {
    return this.compacted;
  }

  /** Makes room for ids below `capacity` (never shrinks). */
  reserveIds(capacity: number): void {
    const old = this.spans;
    if (2 * capacity <= old.length) return;
    const spans = new Int32Array(2 * capacity).fill(-1); // free, no room
    spans.set(old);
    this.spans = spans;
    const idBits = Math.max(this.minIdBits, bitLength(capacity));
    if (idBits > 31) throw new RangeError(`key dictionary: too many ids (${capacity})`);
    // The ids need more slot bits: re-encode every slot with a narrower tag.
    if (idBits !== bitLength(this.idMask)) this.rebuild(this.slots.length, idBits);
  }

  /** The id of `key`, or -1. */
  lookup(key: string): number {
    const units = key.length;
    if ((units >> 1) + 1 > this.scratch.length) this.scratch = new Int32Array(grownCapacity((units >> 1) + 1));
    const scratch = this.scratch;
    // packKey() and hashWords() by hand, in one pass (see key-hash.ts): the hot path of a record.
    let h = HASH_SEED;
    let any = 0;
    let words = 0;
    for (let i = 0; i < units; i += 4) {
      let word: number;
      if (i + 3 < units) {
        const c0 = key.charCodeAt(i);
        const c1 = key.charCodeAt(i + 1);
        const c2 = key.charCodeAt(i + 2);
        const c3 = key.charCodeAt(i + 3);
        any |= c0 | c1 | c2 | c3;
        word = c0 | (c1 << 8) | (c2 << 16) | (c3 << 24);
      } else {
        word = 0;
        for (let j = i; j < units; j++) {
          const c = key.charCodeAt(j);
          any |= c;
          word |= c << ((j - i) << 3);
        }
      }
      scratch[words++] = word;
      let k = Math.imul(word, 0xcc9e2d51);
      k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
      h ^= k;
      h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
    }
    let size = units << 1;
    if (any > 0xff) {
      size = packKey(key, scratch); // wide: two units per word
      words = wordCount(size);
      h = hashWords(scratch, 0, size) & this.hashMask;
    } else {
      h = finishHash(h, size) & this.hashMask;
    }
    this.packed = key;
    this.packedSize = size;
    this.packedHash = h;
    const slots = this.slots;
    const mask = slots.length - 1;
    const idMask = this.idMask;
    const spans = this.spans;
    const arena = this.arena;
    for (let at = h & mask; ; at = (at + 1) & mask) {
      const slot = slots[at]!;
      if (slot === 0) return -1;
      if (((slot ^ h) & ~idMask) !== 0) continue;
      const id = (slot & idMask) - 1;
      if (spans[2 * id + 1] !== size) continue;
      const start = spans[2 * id]!;
      let w = 0;
      while (w < words && arena[start + w] === scratch[w]) w++;
      if (w === words) return id;
    }
  }

  /** Stores `key` (absent) under `id` (free, below the reserved capacity). */
  insert(key: string, id: number): void {
    const h = key === this.packed ? this.packedHash : this.pack(key);
    if (this.count >= this.maxCount) this.rebuild(2 * this.slots.length, bitLength(this.idMask));
    const size = this.packedSize;
    const words = wordCount(size);
    const freed = this.spans[2 * id + 1]!;
    if (freed >= 0) throw new RangeError(`key dictionary: id ${id} already holds a key`);
    const room = -1 - freed;
    const start = words > 0 && words <= room ? this.spans[2 * id]! : this.allocate(words);
    const arena = this.arena; // after allocate(), which may replace it
    const scratch = this.scratch;
    for (let w = 0; w < words; w++) arena[start + w] = scratch[w]!;
    this.spans[2 * id] = start;
    this.spans[2 * id + 1] = size;
    this.live += words;
    this.count++;
    if (id >= this.idEnd) this.idEnd = id + 1;
    this.place(h, id);
  }

  /** Forgets the key of a live id; the id's words stay reusable by the next key given the id. */
  remove(id: number): void {
    const size = this.spans[2 * id + 1]!;
    if (size < 0) throw new RangeError(`key dictionary: id ${id} holds no key`);
    const slots = this.slots;
    const mask = slots.length - 1;
    const idMask = this.idMask;
    let hole = this.hashOf(id) & mask;
    while ((slots[hole]! & idMask) !== id + 1) {
      if (slots[hole] === 0) throw new Error(`key dictionary: id ${id} is missing from the table`);
      hole = (hole + 1) & mask;
    }
    // Backward shift: pull later entries of the cluster into the hole when their home slot
    // allows, so every key stays reachable from its home without tombstones.
    for (let at = (hole + 1) & mask; slots[at] !== 0; at = (at + 1) & mask) {
      const slot = slots[at]!;
      const home = this.hashOf((slot & idMask) - 1) & mask;
      if (((at - home) & mask) >= ((at - hole) & mask)) {
        slots[hole] = slot;
        hole = at;
      }
    }
    slots[hole] = 0;
    const words = wordCount(size);
    this.spans[2 * id + 1] = -1 - words;
    this.live -= words;
    this.count--;
    const garbage = this.top - this.live;
    if (garbage > this.live && this.worthCompacting(garbage)) this.compact(0);
  }

  /** Forgets every key; ids start again from nothing. Keeps the table's and arena's capacity. */
  clear(): void {
    this.slots.fill(0);
    this.spans.fill(-1, 0, 2 * this.idEnd);
    this.count = 0;
    this.top = 0;
    this.live = 0;
    this.idEnd = 0;
    this.packed = undefined;
  }

  /** The key of a live id, as a new string. */
  keyOf(id: number): string {
    const start = this.spans[2 * id]!;
    const size = this.spans[2 * id + 1]!;
    const units = size >>> 1;
    const out = this.units;
    let key = '';
    for (let from = 0; from < units; from += DECODE_CHUNK) {
      unpackUnits(this.arena, start, size, from, Math.min(DECODE_CHUNK, units - from), out);
      key += String.fromCharCode.apply(null, out);
    }
    return key;
  }

  /** Packs `key` into `scratch`, notes its size word and returns its (masked) hash. */
  private pack(key: string): number {
    if ((key.length >> 1) + 1 > this.scratch.length) this.scratch = new Int32Array(grownCapacity((key.length >> 1) + 1));
    const size = packKey(key, this.scratch);
    const h = hashWords(this.scratch, 0, size) & this.hashMask;
    this.packed = key;
    this.packedSize = size;
    this.packedHash = h;
    return h;
  }

  /** The (masked) hash of a live id's key, from the arena. */
  private hashOf(id: number): number {
    return hashWords(this.arena, this.spans[2 * id]!, this.spans[2 * id + 1]!) & this.hashMask;
  }

  /** Puts live `id` with hash `h` in the first empty slot from its home. */
  private place(h: number, id: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let at = h & mask;
    while (slots[at] !== 0) at = (at + 1) & mask;
    slots[at] = (h & ~this.idMask) | (id + 1);
  }

  /** Re-inserts every live id into a table of `slotCount` slots whose ids take `idBits` bits. */
  private rebuild(slotCount: number, idBits: number): void {
    this.slots = new Int32Array(slotCount);
    this.maxCount = Math.floor(slotCount * MAX_LOAD);
    this.idMask = idBits === 31 ? 0x7fffffff : (1 << idBits) - 1;
    const spans = this.spans;
    for (let id = 0; id < this.idEnd; id++) if (spans[2 * id + 1]! >= 0) this.place(this.hashOf(id), id);
  }

  /** `words` words at the end of the arena, growing or compacting it when full. */
  private allocate(words: number): number {
    if (this.top + words > this.arena.length) {
      const garbage = this.top - this.live;
      if (4 * garbage >= this.top && this.worthCompacting(garbage)) {
        this.compact(words);
      } else {
        const grown = new Int32Array(Math.max(grownCapacity(this.arena.length), this.top + words));
        grown.set(this.arena.subarray(0, this.top));
        this.arena = grown;
      }
    }
    const start = this.top;
    this.top += words;
    return start;
  }

  /**
   * Whether `garbage` words pay for a compaction, which walks every id below idEnd: ids of a past
   * peak may far outnumber the live keys, so the garbage must be a share of them too.
   */
  private worthCompacting(garbage: number): boolean {
    return garbage >= MIN_GARBAGE && 4 * garbage >= this.idEnd;
  }

  /**
   * Copies the live keys into a fresh arena with room for `extra` more words. Free ids lose their
   * room (it was garbage in the old arena).
   */
  private compact(extra: number): void {
    const old = this.arena;
    const arena = new Int32Array(Math.max(INITIAL_ARENA, grownCapacity(this.live + extra)));
    const spans = this.spans;
    let top = 0;
    for (let id = 0; id < this.idEnd; id++) {
      const size = spans[2 * id + 1]!;
      if (size < 0) {
        spans[2 * id + 1] = -1;
        continue;
      }
      const start = spans[2 * id]!;
      const end = start + wordCount(size);
      for (let at = start; at < end; at++) arena[top++] = old[at]!;
      spans[2 * id] = top - (end - start);
    }
    this.arena = arena;
    this.top = top;
    this.compacted++;
  }
}
