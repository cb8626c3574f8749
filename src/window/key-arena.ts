/**
 * Where the key dictionary keeps its keys' characters: packed into the words of one Int32Array
 * (key-hash.ts), with a span per id saying where.
 *
 *   spans  Int32Array, 2 per id: [2 id]     start in `words`
 *                                [2 id + 1] size word: units << 1 | wide    (live id)
 *                                           -1 - room                      (free id: `room` words
 *                                                                           at start are reusable)
 *   words  [ customer-0000042 | customer-0000007 | (garbage) | ab.. | ... ]    top ▶ (free)
 *
 * A forgotten key's words become garbage, but its id keeps them as `room`, and the next key given
 * that id (the key table reuses ids, most recently freed first) is written in place when it fits:
 * keys of one shape ("customer-NNNNNNN") churn without the arena growing at all. Otherwise keys
 * are appended at `top`. When garbage exceeds the live words, the live keys are copied into a
 * fresh, smaller array (amortised O(1): a compaction walks the E ids and copies the L live words
 * only after max(L, E / 4) words of garbage); a full array that is a quarter garbage is compacted
 * instead of grown, which copies no more than growing would.
 */
import { grownCapacity } from './capacity.ts';
import { hashWords, unpackUnits, wordCount } from './key-hash.ts';

/** Words the arena starts with. */
const INITIAL_WORDS = 4_096;
/** Garbage below this many words never triggers a compaction (it would copy for nothing). */
const MIN_GARBAGE = 1_024;
/** Longest run of code units passed to one String.fromCharCode call. */
const DECODE_CHUNK = 4_096;

/** The packed keys of the dictionary's ids. */
export class KeyArena {
  /** Where each id's key is (see the top of this file); read directly by lookups. */
  spans = new Int32Array(0);
  /** The packed keys; read directly by lookups. */
  words = new Int32Array(INITIAL_WORDS);
  /** One more than the highest id that holds (or held, since the last clear()) a key. */
  idEnd = 0;
  /** Words in use, garbage included: keys are appended here. */
  private top = 0;
  private live = 0;
  private compacted = 0;
  /** Scratch for keyOf(). */
  private readonly units: number[] = [];

  /** Words holding live keys. */
  get liveWords(): number {
    return this.live;
  }

  /** Compactions so far. */
  get compactions(): number {
    return this.compacted;
  }

  /** Makes room for ids below `capacity` (never shrinks). */
  reserveIds(capacity: number): void {
    if (2 * capacity <= this.spans.length) return;
    const spans = new Int32Array(2 * capacity).fill(-1); // free, no room
    spans.set(this.spans);
    this.spans = spans;
  }

  /** Whether `id` holds a key. */
  holds(id: number): boolean {
    return this.spans[2 * id + 1]! >= 0;
  }

  /** Stores the key packed in `packed` (size word `size`) under free `id`. */
  store(id: number, packed: Int32Array, size: number): void {
    const freed = this.spans[2 * id + 1]!;
    if (freed >= 0) throw new RangeError(`key dictionary: id ${id} already holds a key`);
    const count = wordCount(size);
    const start = count > 0 && count <= -1 - freed ? this.spans[2 * id]! : this.allocate(count);
    const words = this.words; // after allocate(), which may replace it
    for (let w = 0; w < count; w++) words[start + w] = packed[w]!;
    this.spans[2 * id] = start;
    this.spans[2 * id + 1] = size;
    this.live += count;
    if (id >= this.idEnd) this.idEnd = id + 1;
  }

  /** Frees the key of live `id`, keeping its words as the id's room. */
  release(id: number): void {
    const count = wordCount(this.spans[2 * id + 1]!);
    this.spans[2 * id + 1] = -1 - count;
    this.live -= count;
    const garbage = this.top - this.live;
    if (garbage > this.live && this.worthCompacting(garbage)) this.compact(0);
  }

  /** Frees every key and all room; keeps the capacity. */
  clear(): void {
    this.spans.fill(-1, 0, 2 * this.idEnd);
    this.idEnd = 0;
    this.top = 0;
    this.live = 0;
  }

  /** The hash (key-hash.ts) of live `id`'s key. */
  hashOf(id: number): number {
    return hashWords(this.words, this.spans[2 * id]!, this.spans[2 * id + 1]!);
  }

  /** The key of live `id`, as a new string. */
  keyOf(id: number): string {
    const start = this.spans[2 * id]!;
    const size = this.spans[2 * id + 1]!;
    const units = size >>> 1;
    let key = '';
    for (let from = 0; from < units; from += DECODE_CHUNK) {
      unpackUnits(this.words, start, size, from, Math.min(DECODE_CHUNK, units - from), this.units);
      key += String.fromCharCode.apply(null, this.units);
    }
    return key;
  }

  /** `count` words at `top`, growing or compacting the array when full. */
  private allocate(count: number): number {
    if (this.top + count > this.words.length) {
      const garbage = this.top - this.live;
      if (4 * garbage >= this.top && this.worthCompacting(garbage)) {
        this.compact(count);
      } else {
        const grown = new Int32Array(Math.max(grownCapacity(this.words.length), this.top + count));
        grown.set(this.words.subarray(0, this.top));
        this.words = grown;
      }
    }
    const start = this.top;
    this.top += count;
    return start;
  }

  /**
   * Whether `garbage` words pay for a compaction, which walks every id below idEnd: ids of a past
   * peak may far outnumber the live keys, so the garbage must be a share of them too.
   */
  private worthCompacting(garbage: number): boolean {
    return garbage >= MIN_GARBAGE && 4 * garbage >= this.idEnd;
  }

  /** Copies the live keys into a fresh array with room for `extra` more words; free ids lose their room. */
  private compact(extra: number): void {
    const old = this.words;
    const words = new Int32Array(Math.max(INITIAL_WORDS, grownCapacity(this.live + extra)));
    const spans = this.spans;
    let top = 0;
    for (let id = 0; id < this.idEnd; id++) {
      const size = spans[2 * id + 1]!;
      if (size < 0) {
        spans[2 * id + 1] = -1;
        continue;
      }
      const start = spans[2 * id]!;
      spans[2 * id] = top;
      for (let at = start, end = start + wordCount(size); at < end; at++) words[top++] = old[at]!;
    }
    this.words = words;
    this.top = top;
    this.compacted++;
  }
}
