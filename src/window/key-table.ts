/**
 * The key dictionary and the per-key state, as columns. A key gets a dense integer id on its
 * first record; everything the engine knows about the key lives at that index of a few typed
 * arrays, and panes refer to keys by id too.
 *
 *   dictionary KeyDictionary         "customer-42" <-> 7, in typed arrays (key-dictionary.ts)
 *   refs       Int32Array, 4 per id: [4 id] newest pane, [4 id + 1] its slot,
 *                                    [4 id + 2] previous pane, [4 id + 3] its slot
 *              pane ids are PaneTable's; 0 = no pane
 *   cellCount  Int32Array            panes holding a cell of the key
 *   roams      Uint8Array            see panes.ts
 *
 * Why columns and not one object per key: at a million active keys, an object per key costs well
 * over 100 bytes in headers, pointers and boxed doubles, V8 lets the heap run far past the live
 * objects between collections, and walking them (closing a window) chases pointers all over the
 * heap. Typed arrays live outside the JS heap, hold no pointers for the GC to trace, and cost 4
 * bytes per field. The same goes for the keys themselves: the dictionary keeps their characters
 * in a byte arena, not as JS strings. Ids of forgotten keys are reused, so the columns stay as
 * long as the peak key count (they never shrink).
 * The four cell references share one array because a record reads the newest pair (and often
 * the previous one) together: one cache miss per key at a million keys, not two.
 */
import { grownCapacity } from './capacity.ts';
import { KeyDictionary, type KeyDictionaryOptions } from './key-dictionary.ts';

/** The pane id meaning "no pane"; PaneTable never hands it out. */
export const NO_PANE_ID = 0;

/** Offsets in a key's four `refs` entries (which start at `4 * id`). */
export const NEWEST_PANE = 0;
export const NEWEST_SLOT = 1;
export const PREVIOUS_PANE = 2;
export const PREVIOUS_SLOT = 3;

/** Ids the columns start with. */
const initialKeyCapacity = 1024;

function grownInt32(column: Int32Array, capacity: number): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(capacity);
  grown.set(column);
  return grown;
}

/** Every key holding a cell in some pane, with its engine-wide state indexed by id. */
export class KeyTable {
  /** Key <-> id, for the keys holding at least one cell. */
  readonly dictionary: KeyDictionary;
  /**
   * Where a key's cells are, 4 entries per id (offsets above): its newest pane (for roaming
   * keys: the last one used) and slot there, and its second newest pane (NO_PANE_ID when none;
   * meaningless for roaming keys) and slot there.
   */
  refs = new Int32Array(4 * initialKeyCapacity);
  /** Number of panes holding a cell of the key; the key is forgotten at 0. -1 for a free id. */
  cellCount = new Int32Array(initialKeyCapacity);
  /** 1 when the key was seen on more than one partition (or lost its cell order); see panes.ts. */
  roams = new Uint8Array(initialKeyCapacity);
  /** Ids handed out so far: ids below it are live or on the free list. */
  private used = 0;
  /**
   * Head of the free-id list (-1: empty). The list is threaded through the newest-slot entry of
   * the free ids, which nothing else reads while an id is free, so it costs no memory of its own.
   */
  private freeHead = -1;

  /** `options` are the dictionary's test-only settings. */
  constructor(options: KeyDictionaryOptions = {}) {
    this.dictionary = new KeyDictionary(initialKeyCapacity, options);
  }

  /** Number of keys known (holding at least one cell). */
  get size(): number {
    return this.dictionary.size;
  }

  /** Length of the columns: every id is below it. */
  get capacity(): number {
    return this.cellCount.length;
  }

  /** One more than the highest id handed out so far (free ids included). */
  get idLimit(): number {
    return this.used;
  }

  /** The key of a live id. */
  keyOf(id: number): string {
    return this.dictionary.keyOf(id);
  }

  /** The id of a known key, or -1. */
  find(key: string): number {
    return this.dictionary.lookup(key);
  }

  /** The id of `key`, giving it a fresh one (no cells, not roaming) when it has none. */
  idOf(key: string): number {
    const id = this.dictionary.lookup(key);
    return id >= 0 ? id : this.add(key);
  }

  /** Gives a new key (one `find` does not know) an id, reusing the most recently freed one. */
  add(key: string): number {
    let id = this.freeHead;
    if (id >= 0) {
      this.freeHead = this.refs[4 * id + NEWEST_SLOT]!;
    } else {
      id = this.used++;
      if (id === this.capacity) this.grow();
    }
    this.refs.fill(NO_PANE_ID, 4 * id, 4 * id + 4); // no panes (slots unused while so)
    this.cellCount[id] = 0;
    this.roams[id] = 0;
    this.dictionary.insert(key, id);
    return id;
  }

  /** Forgets a key whose last cell is gone; its id goes back on the free list. */
  forget(id: number): void {
    this.dictionary.remove(id);
    this.cellCount[id] = -1;
    this.refs[4 * id + NEWEST_PANE] = NO_PANE_ID;
    this.refs[4 * id + PREVIOUS_PANE] = NO_PANE_ID;
    this.refs[4 * id + NEWEST_SLOT] = this.freeHead;
    this.freeHead = id;
  }

  /** Forgets every key at once (their last cells are gone); the columns keep their capacity. */
  forgetAll(): void {
    this.dictionary.clear();
    this.used = 0;
    this.freeHead = -1;
  }

  /** Grows every column (copying), so appending ids stays amortised O(1). */
  private grow(): void {
    const capacity = grownCapacity(this.capacity);
    this.refs = grownInt32(this.refs, 4 * capacity);
    this.cellCount = grownInt32(this.cellCount, capacity);
    const roams = new Uint8Array(capacity);
    roams.set(this.roams);
    this.roams = roams;
    this.dictionary.reserveIds(capacity);
  }
}
