/**
 * Closing windows: walks the live panes oldest first, merges each closing window's panes
 * (`panesPerWindow` of them, across partitions) into per-key totals, emits the rows over the
 * threshold and frees every pane no open window needs any more.
 */
import { releasePane, type KeyEntry } from './panes.ts';
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
  private stamp = 0;
  private readonly touched: KeyEntry[] = [];

  constructor(
    private readonly g: WindowGeometry,
    private readonly partitions: Map<number, PartitionState>,
    private readonly keys: Map<string, KeyEntry>,
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
    const stamp = ++this.stamp;
    const touched = this.touched;
    touched.length = 0;
    const limit = firstPaneOfWindow(this.g, k) + this.g.panesPerWindow;
    const end = windowEnd(this.g, k);
    for (const state of this.partitions.values()) {
      // A previous run already wrote this window for this partition's keys.
      if (end <= state.emittedThrough) continue;
      for (let m = from; m < indices.length && indices[m]! < limit; m++) {
        const pane = state.panes.get(indices[m]!);
        if (pane === undefined) continue;
        const { entries, cells, size } = pane;
        for (let s = 0; s < size; s++) {
          const entry = entries[s]!;
          if (entry.stamp !== stamp) {
            entry.stamp = stamp;
            entry.total = cells[2 * s]!;
            entry.count = cells[2 * s + 1]!;
            touched.push(entry);
          } else {
            entry.total += cells[2 * s]!;
            entry.count += cells[2 * s + 1]!;
          }
        }
      }
    }
    if (touched.length === 0) return;
    const rows: WindowRow[] = [];
    const threshold = this.g.threshold;
    for (const entry of touched) {
      if (entry.total >= threshold) rows.push({ key: entry.key, total: entry.total, count: entry.count });
    }
    touched.length = 0;
    rows.sort(byTotalThenKey);
    out.push({ start: windowStart(this.g, k), end, rows });
  }

  /** Frees pane `index` on every partition (its last window has closed). */
  private freePanes(index: number): void {
    for (const state of this.partitions.values()) {
      const pane = state.panes.get(index);
      if (pane === undefined) continue;
      state.paneSizeHint = Math.max(pane.size + (pane.size >> 3), 8);
      releasePane(pane, this.keys);
      state.panes.delete(index);
      if (state.recentPane === pane) state.recentPane = undefined;
    }
  }
}
