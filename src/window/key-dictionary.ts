/**
 * The key dictionary: key string -> dense id, holding no JS object or string per key.
 *
 *   slots  Int32Array, power-of-two length, open addressing with linear probing:
 *          0 = empty, else  [ tag: hash bits above idBits | id + 1 in the low idBits ]
 *   arena  each id's key, its code units packed into words (key-arena.ts, key-hash.ts)
 *
 *   lookup("customer-0000042"): pack it into scratch words and hash them; probe the slots from
 *   hash & (slots - 1); a slot whose tag equals the hash's bits above idBits names a candidate
 *   id: the same size word and the same words in the arena means found. An empty slot: absent.
 *
 * Why: a Map<string, number> plus an id -> string array cost ~44 bytes per key on the JS heap
 * plus the key string itself (~32 bytes for a 16-character key), and V8 lets the heap grow well
 * past its live size between collections. Here a 16-character key costs 16 bytes of words, 8
 * bytes of span and 4 bytes per table slot (5.7 to 11.4 per key at load 0.7 to 0.35), all in typed
 * arrays outside the heap, invisible to the GC. The price: JS cannot read V8's cached string
 * hash, so every lookup reads the key's characters, and rows rebuild their key strings from the
 * arena (only rows, which are few).
 *
 * The tag lets a probe skip a slot that is not the key without touching the id's span or words
 * (each a cache miss with a million keys): a false match costs one compare in 2^tagBits. The tag
 * is as wide as the id column's capacity leaves room for (8 bits below 16.7M ids).
 *
 * Deletion shifts the rest of the probe cluster back instead of leaving tombstones, so the table
 * never fills up under churn and is sized by the live keys alone (it doubles at a new peak and
 * never shrinks, like the key columns). The full hash is not stored: deleting and rebuilding
 * recompute it from the arena (a few words per key), to save 4 bytes a key.
 */
import { grownCapacity } from './capacity.ts';
import { KeyArena } from './key-arena.ts';
import { finishHash, HASH_SEED, hashWords, mixWord, packKey, wordCount } from './key-hash.ts';

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

function bitLength(n: number): number {
  return 32 - Math.clz32(n);
}

/** String keys to ids given by the caller, stored in typed arrays (see the top of this file). */
export class KeyDictionary {
  private slots: Int32Array;
  private maxCount: number;
  private idMask = 0;
  private count = 0;
  private readonly arena = new KeyArena();
  /**
   * The key of the last lookup that missed, with its size word and hash, while `scratch` still
   * holds its words: the insert() that follows a miss reuses them.
   */
  private packed: string | undefined;
  private packedSize = 0;
  private packedHash = 0;
  private scratch = new Int32Array(64);
  private readonly hashMask: number;
  private readonly minIdBits: number;

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

  /** Arena length in words (4 bytes each), the part of it holding live keys, and its compactions. */
  get arenaCapacity(): number {
    return this.arena.words.length;
  }

  get liveWords(): number {
    return this.arena.liveWords;
  }

  get compactions(): number {
    return this.arena.compactions;
  }

  /** Makes room for ids below `capacity` (never shrinks). */
  reserveIds(capacity: number): void {
    this.arena.reserveIds(capacity);
    const idBits = Math.max(this.minIdBits, bitLength(capacity));
    if (idBits > 31) throw new RangeError(`key dictionary: too many ids (${capacity})`);
    // The ids need more slot bits: re-encode every slot with a narrower tag.
    if (idBits > bitLength(this.idMask)) this.rebuild(this.slots.length, idBits);
  }

  /** The id of `key`, or -1. */
  lookup(key: string): number {
    const units = key.length;
    if ((units >> 1) + 1 > this.scratch.length) this.scratch = new Int32Array(grownCapacity((units >> 1) + 1));
    const scratch = this.scratch;
    // packKey() and hashWords() in one pass over the units (see key-hash.ts): a record's hot path.
    let h = HASH_SEED;
    let unitsOr = 0; // > 0xff: some unit does not fit a byte
    let words = 0;
    let i = 0;
    for (; i + 3 < units; i += 4) {
      const c0 = key.charCodeAt(i);
      const c1 = key.charCodeAt(i + 1);
      const c2 = key.charCodeAt(i + 2);
      const c3 = key.charCodeAt(i + 3);
      unitsOr |= c0 | c1 | c2 | c3;
      const word = c0 | (c1 << 8) | (c2 << 16) | (c3 << 24);
      scratch[words++] = word;
      h = mixWord(h, word);
    }
    if (i < units) {
      let word = 0;
      for (let shift = 0; i < units; i++, shift += 8) {
        const c = key.charCodeAt(i);
        unitsOr |= c;
        word |= c << shift;
      }
      scratch[words++] = word;
      h = mixWord(h, word);
    }
    let size = units << 1;
    if (unitsOr > 0xff) {
      size = packKey(key, scratch); // wide: two units per word
      words = wordCount(size);
      h = hashWords(scratch, 0, size) & this.hashMask;
    } else {
      h = finishHash(h, size) & this.hashMask;
    }
    const slots = this.slots;
    const mask = slots.length - 1;
    const idMask = this.idMask;
    const spans = this.arena.spans;
    const stored = this.arena.words;
    for (let at = h & mask; ; at = (at + 1) & mask) {
      const slot = slots[at]!;
      if (slot === 0) {
        this.packed = key;
        this.packedSize = size;
        this.packedHash = h;
        return -1;
      }
      if (((slot ^ h) & ~idMask) !== 0) continue;
      const id = (slot & idMask) - 1;
      if (spans[2 * id + 1] !== size) continue;
      const start = spans[2 * id]!;
      let w = 0;
      while (w < words && stored[start + w] === scratch[w]) w++;
      if (w === words) {
        this.packed = undefined; // `scratch` no longer holds the last missed key
        return id;
      }
    }
  }

  /** Stores `key` (absent) under `id` (free, below the reserved capacity). */
  insert(key: string, id: number): void {
    const h = key === this.packed ? this.packedHash : this.pack(key);
    if (this.arena.holds(id)) throw new RangeError(`key dictionary: id ${id} already holds a key`);
    if (this.count >= this.maxCount) this.rebuild(2 * this.slots.length, bitLength(this.idMask));
    this.arena.store(id, this.scratch, this.packedSize);
    this.count++;
    this.place(h, id);
  }

  /** Forgets the key of a live id; its words stay reusable by the next key given the id. */
  remove(id: number): void {
    if (!this.arena.holds(id)) throw new RangeError(`key dictionary: id ${id} holds no key`);
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
    this.count--;
    this.arena.release(id);
  }

  /** Forgets every key. Keeps the table's and the arena's capacity. */
  clear(): void {
    this.slots.fill(0);
    this.count = 0;
    this.arena.clear();
    this.packed = undefined;
  }

  /** The key of a live id, as a new string. */
  keyOf(id: number): string {
    return this.arena.keyOf(id);
  }

  /** Packs `key` into `scratch` as packKey() does, notes its size word and returns its (masked) hash. */
  private pack(key: string): number {
    if ((key.length >> 1) + 1 > this.scratch.length) this.scratch = new Int32Array(grownCapacity((key.length >> 1) + 1));
    const size = packKey(key, this.scratch);
    const h = hashWords(this.scratch, 0, size) & this.hashMask;
    this.packed = key;
    this.packedSize = size;
    this.packedHash = h;
    return h;
  }

  /** The (masked) hash of a live id's key. */
  private hashOf(id: number): number {
    return this.arena.hashOf(id) & this.hashMask;
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
    for (let id = 0; id < this.arena.idEnd; id++) if (this.arena.holds(id)) this.place(this.hashOf(id), id);
  }
}
