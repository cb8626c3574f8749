/**
 * Closing windows: walks the live panes oldest first, merges each closing window's panes
 * (`panesPerWindow` of them, across partitions) into per-key totals, emits the rows over the
 * threshold and frees every pane no open window needs any more.
 *
 * The merge adds cells into an accumulator indexed by key id (`sums[2 id]` total, `sums[2 id + 1]`
 * count), then walks the same panes again to harvest each key once and zero its accumulator. A
 * cell's count is at least 1, so a non-zero accumulated count is what marks a key as seen in this
 * window: no stamps, no list of touched keys, and both passes read the panes' id columns in order.
 * A key with a single live cell needs no adding up: both passes take its cell as it is.
 */
import { grownCapacity } from './capacity.ts';
import { type KeyTable } from './key-table.ts';
import { releasePanes, type Pane, type PaneTable } from './panes.ts';
import { type PartitionState } from './partition-state.ts';
import { type ClosedWindow, type WindowRow } from './types.ts';
import {
  firstPaneOfWindow, firstWindowOfPane, lastWindowOfPane, windowEnd, windowStart, type WindowGeometry,
} from './window-math.ts';

function byTotalThenKey(a: WindowRow, b: WindowRow): number {
  if (a.total !== b.total) return b.total - a.total;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Owns "which windows are closed": the index of the last closed window and the merge scratch. */
export class WindowCloser {
  /** Index of the last closed window (-Infinity: none). Windows close strictly in index order. */
  lastClosed = -Infinity;
  /** A lower bound of the smallest live pane index, for a cheap "nothing to close" test. */
  private earliestPane = Infinity;
  /** Per-key merge accumulator (see the top of this file); all zero between merges. */
  private sums = new Float64Array(0);
  /** The panes of the window being merged (scratch, reused). */
  private readonly merging: Pane[] = [];
  /** The panes being freed together (scratch, reused). */
  private readonly freeing: Pane[] = [];

  constructor(
    private readonly g: WindowGeometry,
    private readonly partitions: Map<number, PartitionState>,
    private readonly keys: KeyTable,
    private readonly panes: PaneTable,
  ) {}

  /** Tells the closer a pane came alive. */
  notePane(index: number): void {
    if (index < this.earliestPane) this.earliestPane = index;
  }

  /** Closes every window up to index `target` (inclusive) in order, appending the emitted ones. */
  closeThrough(target: number, out: ClosedWindow[]): void {
    if (target <= this.lastClosed) return;
    if (firstWindowOfPane(this.g, this.earliestPane) > target) {
      this.lastClosed = target; // no window holding a record closes
      return;
    }
    const indices = this.livePaneIndices();
    let next = 0;
    while (next < indices.length) {
      const k = Math.max(this.lastClosed + 1, firstWindowOfPane(this.g, indices[next]!));
      if (k > target) break;
      this.closeWindow(k, indices, next, out);
      this.lastClosed = k;
      while (next < indices.length && lastWindowOfPane(this.g, indices[next]!) <= k) {
        this.freePanes(indices[next]!);
        next++;
      }
    }
    this.lastClosed = Math.max(this.lastClosed, target);
    this.earliestPane = next < indices.length ? indices[next]! : Infinity;
  }

  /** The latest window holding a record (-Infinity: none), for closeAll(). */
  lastWindowWithData(): number {
    let latest = -Infinity;
    for (const state of this.partitions.values()) {
      for (const index of state.panes.keys()) latest = Math.max(latest, lastWindowOfPane(this.g, index));
    }
    return latest;
  }

  /** Open windows that hold at least one live pane. */
  countOpenWindows(): number {
    let open = 0;
    let countedThrough = this.lastClosed;
    for (const index of this.livePaneIndices()) {
      const from = Math.max(countedThrough + 1, firstWindowOfPane(this.g, index));
      const to = lastWindowOfPane(this.g, index);
      if (to >= from) {
        open += to - from + 1;
        countedThrough = to;
      }
    }
    return open;
  }

  /** Distinct pane indices alive on any partition, ascending. */
  private livePaneIndices(): number[] {
    const indices = new Set<number>();
    for (const state of this.partitions.values()) for (const index of state.panes.keys()) indices.add(index);
    return [...indices].sort((a, b) => a - b);
  }

  /** Merges window `k` from the live panes `indices[from..]` it covers; emits it if it had records. */
  private closeWindow(k: number, indices: number[], from: number, out: ClosedWindow[]): void {
    const merging = this.merging;
    merging.length = 0;
    const limit = firstPaneOfWindow(this.g, k) + this.g.panesPerWindow;
    const end = windowEnd(this.g, k);
    for (const state of this.partitions.values()) {
      // A previous run already wrote this window for this partition's keys.
      if (end <= state.emittedThrough) continue;
      for (let m = from; m < indices.length && indices[m]! < limit; m++) {
        const pane = state.panes.get(indices[m]!);
        if (pane !== undefined && pane.size > 0) merging.push(pane);
      }
    }
    if (merging.length === 0) return;
    const cellCount = this.keys.cellCount;
    // Pass 1 adds up the keys holding cells in more than one live pane. A key with one cell
    // (cellCount 1, the usual case for a customer seen once in the window's span) has that cell
    // as its total and skips the accumulator, which is then only allocated when such keys exist:
    // at a million keys it is 16 MB at the very moment every pane is still alive.
    let sums = this.sums;
    for (const { keyIds, cells, size } of merging) {
      for (let s = 0; s < size; s++) {
        const id = keyIds[s]!;
        if (cellCount[id] === 1) continue;
        // Sized to the ids in use, not the key columns' capacity; all zero, so nothing to copy.
        if (sums.length < 2 * this.keys.idLimit) sums = this.sums = new Float64Array(2 * grownCapacity(this.keys.idLimit));
        const at = 2 * id;
        sums[at]! += cells[2 * s]!;
        sums[at + 1]! += cells[2 * s + 1]!;
      }
    }
    const rows: WindowRow[] = [];
    const threshold = this.g.threshold;
    for (const { keyIds, cells, size } of merging) {
      for (let s = 0; s < size; s++) {
        const id = keyIds[s]!;
        if (cellCount[id] === 1) {
          const total = cells[2 * s]!;
          if (total >= threshold) rows.push({ key: this.keys.keyOf(id), total, count: cells[2 * s + 1]! });
          continue;
        }
        const at = 2 * id;
        const count = sums[at + 1]!;
        if (count === 0) continue; // harvested already from an earlier pane
        const total = sums[at]!;
        if (total >= threshold) rows.push({ key: this.keys.keyOf(id), total, count });
        sums[at] = 0;
        sums[at + 1] = 0;
      }
    }
    merging.length = 0;
    rows.sort(byTotalThenKey);
    out.push({ start: windowStart(this.g, k), end, rows });
  }

  /** Frees pane `index` on every partition (its last window has closed). */
  private freePanes(index: number): void {
    const freed = this.freeing;
    for (const state of this.partitions.values()) {
      const pane = state.panes.get(index);
      if (pane === undefined) continue;
      state.paneSizeHint = Math.max(pane.size + (pane.size >> 3), 8);
      freed.push(pane);
      state.panes.delete(index);
      if (state.recentPane === pane) state.recentPane = undefined;
    }
    releasePanes(freed, this.keys, this.panes);
    freed.length = 0;
  }
}
