/**
 * Everything the engine keeps for one partition: its panes, its clock (for the watermark), where
 * a previous run stopped, and the offsets it has seen.
 */
import { initialCapacity, type Pane } from './panes.ts';

export class PartitionState {
  readonly partition: number;
  /** Windows ending at or before this were written by a previous run (-Infinity: none). */
  emittedThrough: number;
  /** Live panes by pane index. */
  readonly panes = new Map<number, Pane>();
  /** Highest event time seen (-Infinity before the first record). */
  maxEventTime = -Infinity;
  /** The caller's `now` at the last record; undefined until the engine first hears a `now`. */
  lastActivity: number | undefined = undefined;
  /** Highest offset seen, counted or not (-Infinity before the first record). */
  highestOffset = -Infinity;
  /** Cells of the last freed pane: new panes start that big, sparing most growth copies. */
  paneSizeHint = initialCapacity;
  /** The pane `add()` used last, to skip the pane lookup for runs of records in one pane. */
  recentPane: Pane | undefined = undefined;

  constructor(partition: number, emittedThrough: number) {
    this.partition = partition;
    this.emittedThrough = emittedThrough;
  }

  /** The smallest offset still counting in an open window, else one past the highest seen. */
  safeOffset(): number | undefined {
    let smallest = Infinity;
    for (const pane of this.panes.values()) if (pane.minOffset < smallest) smallest = pane.minOffset;
    if (smallest !== Infinity) return smallest;
    return this.highestOffset === -Infinity ? undefined : this.highestOffset + 1;
  }

  /** Notes the caller's clock; a partition's activity never moves back in time. */
  touch(now: number): void {
    if (this.lastActivity === undefined || now > this.lastActivity) this.lastActivity = now;
  }
}
