/**
 * Partial sums. A Pane is one partition's table for one pane of time: an append-only column of
 * (sum, count) cells, one per key seen there. A KeyEntry is one key across the engine; it
 * remembers where its newest cells are, so a record costs one `Map.get(key)` and two float adds,
 * with no allocation once the key has a cell in the pane.
 *
 * Finding a key's cell without a per-pane hash map relies on an invariant kept per key (for keys
 * seen on one partition only): its cells live in `pane` (its newest pane), in `previous` (its
 * second newest, or none) and possibly in older panes. A record for a newer pane, or for one
 * between `previous` and `pane`, therefore needs a new cell; only a record more than one pane
 * out of order asks the pane's lazily built index. Keys seen on two partitions ("roaming", rare
 * with Kafka's key partitioning) always use the index.
 */

/** One key's engine-wide entry; also the accumulator used while a window is merged. */
export class KeyEntry {
  readonly key: string;
  /** Newest pane holding a cell of this key (for roaming keys: the last one used). */
  pane: Pane;
  slot = 0;
  /** Second newest pane holding a cell (NO_PANE when none); meaningless for roaming keys. */
  previous: Pane;
  previousSlot = 0;
  /** Number of panes holding a cell of this key; the key is forgotten at 0. */
  cells = 0;
  roams = false;
  /** Merge accumulator: `total`/`count` are valid when `stamp` equals the current merge. */
  stamp = 0;
  total = 0;
  count = 0;

  constructor(key: string, none: Pane) {
    this.key = key;
    this.pane = none;
    this.previous = none;
  }
}

/** Cells a new pane starts with when its partition gives no better hint. */
export const initialCapacity = 8;

/** One partition's partial sums for one pane. */
export class Pane {
  readonly partition: number;
  readonly index: number;
  /** Event-time range `[start, end)` of the pane in ms. */
  readonly start: number;
  readonly end: number;
  /** The pane may be freed once the window with this index has closed. */
  readonly lastWindow: number;
  size = 0;
  entries: KeyEntry[];
  /** Cell `s` is `cells[2s]` (sum) and `cells[2s + 1]` (count). */
  cells: Float64Array;
  /** Smallest offset counted here (for `safeOffset`). */
  minOffset = Infinity;
  private lookup: Map<KeyEntry, number> | undefined;

  constructor(partition: number, index: number, start: number, end: number, lastWindow: number, capacity = initialCapacity) {
    this.partition = partition;
    this.index = index;
    this.start = start;
    this.end = end;
    this.lastWindow = lastWindow;
    this.cells = new Float64Array(2 * capacity);
    this.entries = new Array<KeyEntry>(capacity);
  }

  /** Adds a new cell for `entry` and returns its slot. */
  append(entry: KeyEntry): number {
    const slot = this.size;
    if (2 * slot === this.cells.length) {
      const grown = new Float64Array(this.cells.length * 2);
      grown.set(this.cells);
      this.cells = grown;
    }
    this.entries[slot] = entry;
    this.size = slot + 1;
    this.lookup?.set(entry, slot);
    return slot;
  }

  /** The slot of `entry` in this pane, or -1. Builds the index on first use. */
  find(entry: KeyEntry): number {
    let lookup = this.lookup;
    if (lookup === undefined) {
      lookup = new Map();
      for (let s = 0; s < this.size; s++) lookup.set(this.entries[s]!, s);
      this.lookup = lookup;
    }
    return lookup.get(entry) ?? -1;
  }
}

/** The "no pane" marker (never holds cells). */
export const NO_PANE = new Pane(-1, Number.NaN, Number.NaN, Number.NaN, Number.NaN, 0);

/**
 * The slot of `entry` in `pane`, creating the cell when the key has none there. Keeps the
 * newest/previous invariant described at the top of this file.
 */
export function cellFor(entry: KeyEntry, pane: Pane): number {
  const newest = entry.pane;
  if (newest === pane) return entry.slot;
  if (entry.previous === pane) return entry.previousSlot;
  if (!entry.roams && newest.partition === pane.partition) {
    if (pane.index > newest.index) {
      const slot = pane.append(entry);
      entry.cells++;
      entry.previous = newest;
      entry.previousSlot = entry.slot;
      entry.pane = pane;
      entry.slot = slot;
      return slot;
    }
    const previous = entry.previous;
    if (previous === NO_PANE || pane.index > previous.index) {
      const slot = pane.append(entry);
      entry.cells++;
      entry.previous = pane;
      entry.previousSlot = slot;
      return slot;
    }
  } else if (newest === NO_PANE && !entry.roams) {
    // A fresh key: no cells anywhere.
    const slot = pane.append(entry);
    entry.cells++;
    entry.pane = pane;
    entry.slot = slot;
    return slot;
  } else {
    entry.roams = true;
  }
  let slot = pane.find(entry);
  if (slot < 0) {
    slot = pane.append(entry);
    entry.cells++;
  }
  if (entry.roams) {
    entry.pane = pane;
    entry.slot = slot;
  }
  return slot;
}

/**
 * Drops a pane's cells from its keys, forgetting keys left with none. Panes of one partition
 * must be released oldest first (or all of them, as on revoke) to keep the key invariant.
 */
export function releasePane(pane: Pane, keys: Map<string, KeyEntry>): void {
  const entries = pane.entries;
  for (let s = 0; s < pane.size; s++) {
    const entry = entries[s]!;
    entry.cells--;
    if (entry.cells === 0) {
      keys.delete(entry.key);
      entry.pane = NO_PANE;
      entry.previous = NO_PANE;
    } else if (entry.previous === pane) {
      entry.previous = NO_PANE;
    } else if (entry.pane === pane) {
      // Only reachable when cells remain elsewhere out of the usual order (revoke, roaming).
      entry.roams = true;
      entry.pane = NO_PANE;
    }
  }
  pane.entries = [];
  pane.size = 0;
}
