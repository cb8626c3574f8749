/**
 * Partial sums. A Pane is one partition's table for one pane of time: append-only columns of
 * key ids and (sum, count) cells, one slot per key seen there. Each key remembers (in the
 * KeyTable's columns) where its newest cells are, so a record costs one dictionary lookup, two
 * typed-array reads and two float adds, with no allocation once the key has a cell in the pane.
 *
 * Finding a key's cell without a per-pane hash map relies on an invariant kept per key (for keys
 * seen on one partition only): its cells live in its newest pane, in its previous (second newest,
 * or none) and possibly in older panes. A record for a newer pane, or for one between previous
 * and newest, therefore needs a new cell; only a record more than one pane out of order asks the
 * pane's lazily built index. Keys seen on two partitions ("roaming", rare with Kafka's key
 * partitioning) always use the index.
 *
 * Panes are named by small integer ids (PaneTable) so that the key columns hold numbers, not
 * object pointers; an id is reused only after its pane is released, and releasing a pane clears
 * every key column that names it (only keys with a cell there can name it).
 */
import { grownCapacity } from './capacity.ts';
import {
  NEWEST_PANE, NEWEST_SLOT, NO_PANE_ID, PREVIOUS_PANE, PREVIOUS_SLOT, type KeyTable,
} from './key-table.ts';

/** Cells a new pane starts with when its partition gives no better hint. */
export const initialCapacity = 8;

/** One partition's partial sums for one pane; its columns grow like the key table's. */
export class Pane {
  /** Id in the PaneTable (negative for the engine's markers, which hold no cells). */
  readonly id: number;
  readonly partition: number;
  readonly index: number;
  /** Event-time range `[start, end)` of the pane in ms. */
  readonly start: number;
  readonly end: number;
  /** The pane may be freed once the window with this index has closed. */
  readonly lastWindow: number;
  size = 0;
  /** Key id of each slot. */
  keyIds: Int32Array;
  /** Cell `s` is `cells[2s]` (sum) and `cells[2s + 1]` (count, >= 1 once the slot exists). */
  cells: Float64Array;
  /** Smallest offset counted here (for `safeOffset`). */
  minOffset = Infinity;
  /** Key id -> slot; only built for out-of-order and roaming keys. */
  private lookup: Map<number, number> | undefined;

  constructor(
    id: number, partition: number, index: number, start: number, end: number, lastWindow: number,
    capacity = initialCapacity,
  ) {
    this.id = id;
    this.partition = partition;
    this.index = index;
    this.start = start;
    this.end = end;
    this.lastWindow = lastWindow;
    this.cells = new Float64Array(2 * capacity);
    this.keyIds = new Int32Array(capacity);
  }

  /** Adds a new cell for key `id` and returns its slot. */
  append(id: number): number {
    const slot = this.size;
    if (slot === this.keyIds.length) this.grow();
    this.keyIds[slot] = id;
    this.size = slot + 1;
    this.lookup?.set(id, slot);
    return slot;
  }

  /** The slot of key `id` in this pane, or -1. Builds the index on first use. */
  find(id: number): number {
    let lookup = this.lookup;
    if (lookup === undefined) {
      lookup = new Map();
      const keyIds = this.keyIds;
      for (let s = 0; s < this.size; s++) lookup.set(keyIds[s]!, s);
      this.lookup = lookup;
    }
    return lookup.get(id) ?? -1;
  }

  /** Drops the columns: a released pane holds nothing. */
  clear(): void {
    this.keyIds = new Int32Array(0);
    this.cells = new Float64Array(0);
    this.size = 0;
    this.lookup = undefined;
  }

  private grow(): void {
    const capacity = grownCapacity(this.keyIds.length);
    const keyIds = new Int32Array(capacity);
    keyIds.set(this.keyIds);
    this.keyIds = keyIds;
    const cells = new Float64Array(2 * capacity);
    cells.set(this.cells);
    this.cells = cells;
  }
}

/** The live panes by id, so key columns can name a pane with a number. */
export class PaneTable {
  /** Id -> pane; slot NO_PANE_ID stays empty. */
  private readonly panes: Array<Pane | undefined> = [undefined];
  private readonly freeIds: number[] = [];

  /** Creates a pane under an unused id. */
  open(partition: number, index: number, start: number, end: number, lastWindow: number, capacity: number): Pane {
    const id = this.freeIds.pop() ?? this.panes.length;
    const pane = new Pane(id, partition, index, start, end, lastWindow, capacity);
    this.panes[id] = pane;
    return pane;
  }

  /** The live pane with this id (never NO_PANE_ID). */
  get(id: number): Pane {
    return this.panes[id]!;
  }

  /** Frees a pane's id for reuse; no key column may name it any more. */
  close(pane: Pane): void {
    this.panes[pane.id] = undefined;
    this.freeIds.push(pane.id);
  }
}

/**
 * The slot of key `id` in `pane`, creating the cell when the key has none there. Keeps the
 * newest/previous invariant described at the top of this file.
 */
export function cellFor(keys: KeyTable, panes: PaneTable, id: number, pane: Pane): number {
  const refs = keys.refs;
  const at = 4 * id;
  const newestId = refs[at + NEWEST_PANE]!;
  if (newestId === pane.id) return refs[at + NEWEST_SLOT]!;
  const previousId = refs[at + PREVIOUS_PANE]!;
  if (previousId === pane.id) return refs[at + PREVIOUS_SLOT]!;
  const roams = keys.roams[id] === 1;
  if (!roams && newestId !== NO_PANE_ID && panes.get(newestId).partition === pane.partition) {
    const newest = panes.get(newestId);
    if (pane.index > newest.index) {
      const slot = pane.append(id);
      keys.cellCount[id]!++;
      refs[at + PREVIOUS_PANE] = newestId;
      refs[at + PREVIOUS_SLOT] = refs[at + NEWEST_SLOT]!;
      refs[at + NEWEST_PANE] = pane.id;
      refs[at + NEWEST_SLOT] = slot;
      return slot;
    }
    if (previousId === NO_PANE_ID || pane.index > panes.get(previousId).index) {
      const slot = pane.append(id);
      keys.cellCount[id]!++;
      refs[at + PREVIOUS_PANE] = pane.id;
      refs[at + PREVIOUS_SLOT] = slot;
      return slot;
    }
  } else if (newestId === NO_PANE_ID && !roams) {
    // A fresh key: no cells anywhere.
    const slot = pane.append(id);
    keys.cellCount[id]!++;
    refs[at + NEWEST_PANE] = pane.id;
    refs[at + NEWEST_SLOT] = slot;
    return slot;
  } else {
    keys.roams[id] = 1;
  }
  let slot = pane.find(id);
  if (slot < 0) {
    slot = pane.append(id);
    keys.cellCount[id]!++;
  }
  if (keys.roams[id] === 1) {
    refs[at + NEWEST_PANE] = pane.id;
    refs[at + NEWEST_SLOT] = slot;
  }
  return slot;
}

/**
 * Drops the panes' cells from their keys, forgets keys left with none, and frees the panes' ids.
 * Panes of one partition must be released oldest first (or all of them, as on revoke) to keep
 * the key invariant. Released together (all partitions' panes of one index, say) so that when
 * every key goes, as at the end of a stream, the dictionary is reset in one step instead of a
 * million single deletions from the dictionary, which cost more than the whole merge of the window.
 */
export function releasePanes(released: readonly Pane[], keys: KeyTable, panes: PaneTable): void {
  const { cellCount, refs } = keys;
  let emptied = 0;
  for (const { id: paneId, keyIds, size } of released) {
    for (let s = 0; s < size; s++) {
      const id = keyIds[s]!;
      const left = --cellCount[id]!;
      if (left === 0) {
        emptied++; // forgotten below
      } else if (refs[4 * id + PREVIOUS_PANE] === paneId) {
        refs[4 * id + PREVIOUS_PANE] = NO_PANE_ID;
      } else if (refs[4 * id + NEWEST_PANE] === paneId) {
        // Only reachable when cells remain elsewhere out of the usual order (revoke, roaming).
        keys.roams[id] = 1;
        refs[4 * id + NEWEST_PANE] = NO_PANE_ID;
      }
    }
  }
  if (emptied > 0 && emptied === keys.size) {
    keys.forgetAll();
  } else if (emptied > 0) {
    for (const { keyIds, size } of released) {
      for (let s = 0; s < size; s++) {
        const id = keyIds[s]!;
        if (cellCount[id] === 0) keys.forget(id); // forget() marks the id free: once per key
      }
    }
  }
  for (const pane of released) {
    pane.clear();
    panes.close(pane);
  }
}
