/*
 * The event-time sliding-window engine. Example: length 30 s, slide 10 s (pane = gcd = 10 s),
 * allowedLateness 5 s.
 *
 *  event time (s) 0         10        20        30        40        50        60
 *                 |---------|---------|---------|---------|---------|---------|----▶
 *  panes          |   p0    |   p1    |   p2    |   p3    |   p4    |   p5    |
 *  windows        [ w0 = p0 + p1 + p2           )
 *                           [ w1 = p1 + p2 + p3           )
 *                                     [ w2 = p2 + p3 + p4           )
 *                                               [ w3 = p3 + p4 + p5           )
 *
 *  A record at t = 34 s is ONE update: its key's (sum, count) in pane p3 of its partition.
 *  w1, w2 and w3 read that cell when they close; closing a window merges its 3 panes.
 *
 *  partition 0: highest event time 47 ─▶ watermark 42 ─┐
 *  partition 1: highest event time 45 ─▶ watermark 40 ─┴─ min ─▶ engine watermark 40
 *  partition 2: silent for idleTimeout ─▶ idle: ignored while another partition is active
 *
 *                 0         10        20        30        40 ◀─ engine watermark
 *                 [ w0 closed                   )         │
 *                           [ w1 closed (end 40 <= 40)    )   closedThrough = 40
 *                                     [ w2 open                     )
 *                 ◀─── late ─────────▶│◀── counts, in the open windows only ──────▶
 *                 t < 20 (start of the oldest open window); lateBy = 20 - t
 *
 *  t = 15: w0, w1 closed -> late by 5.  t = 25: w0, w1 closed, w2 open -> counts in w2 only.
 *
 *  All partitions idle: each one's watermark runs on with the caller's clock,
 *    wm(p) + (now - lastActivity(p) - idleTimeout), and the engine follows the furthest, so the
 *    last windows close after traffic stops (rule and reasons: watermark.ts).
 *
 *  Resume: assign(p, { emittedThrough: 40 }) says a previous run wrote every window ending
 *    <= 40 s. p's records whose windows all end <= 40 are `replayed`; p's keys are left out of
 *    windows ending <= 40, which other partitions may still close.
 *
 * Each window closes once, in order of end, when the watermark reaches its end; it is emitted
 * (possibly with no rows) if any record counted in it. Panes are freed when their last window
 * closes; a key is forgotten when its last pane is freed.
 *
 * Memory layout (the consumer holds a million active keys): a key is a dense integer id in
 * KeyTable (key-table.ts), its state a few typed-array columns at that index and its characters
 * in the dictionary's arena (key-dictionary.ts); panes are named by small ids in PaneTable and
 * hold key ids and cells in typed arrays (panes.ts). No JS object or string per key, so the GC
 * has next to nothing to trace and closing a window walks arrays, not pointers.
 */
import { WindowCloser } from './closing.ts';
import { KeyTable, NEWEST_PANE, NEWEST_SLOT } from './key-table.ts';
import { cellFor, Pane, PaneTable, releasePanes } from './panes.ts';
import { PartitionState } from './partition-state.ts';
import {
  type BatchOutcome, type ClosedWindow, type LateRecord, type RecordBatch, type RecordOutcome,
  type ResumePoint, type WindowEngine, type WindowRecord, type WindowSettings, type WindowStats,
} from './types.ts';
import { watermarkAt } from './watermark.ts';
import {
  lastWindowEndingBy, lastWindowOfPane, paneOf, windowEnd, windowGeometry, type WindowGeometry,
} from './window-math.ts';

const COUNTED: RecordOutcome = Object.freeze({ status: 'counted' });
const REPLAYED: RecordOutcome = Object.freeze({ status: 'replayed' });

/** Stand for "late" or "replayed" where a pane is expected; their ids name no pane. */
const LATE_PANE = new Pane(-1, -1, Number.NaN, Number.NaN, Number.NaN, Number.NaN, 0);
const REPLAYED_PANE = new Pane(-2, -1, Number.NaN, Number.NaN, Number.NaN, Number.NaN, 0);
/** Before the first pane of a batch is known. */
const NO_PANE = new Pane(-3, -1, Number.NaN, Number.NaN, Number.NaN, Number.NaN, 0);

function requireFinite(what: string, value: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`window engine: ${what} must be a finite number, got ${String(value)}`);
}

function requirePartition(partition: number): void {
  if (!Number.isSafeInteger(partition) || partition < 0) {
    throw new RangeError(`window engine: partition must be a non-negative integer, got ${String(partition)}`);
  }
}

class SlidingWindowEngine implements WindowEngine {
  private readonly g: WindowGeometry;
  private readonly partitions = new Map<number, PartitionState>();
  private readonly keys = new KeyTable();
  private readonly panes = new PaneTable();
  private readonly closer: WindowCloser;
  private currentWatermark = -Infinity;

  constructor(settings: WindowSettings) {
    this.g = windowGeometry(settings);
    this.closer = new WindowCloser(this.g, this.partitions, this.keys, this.panes);
  }

  assign(partition: number, resume?: ResumePoint): void {
    requirePartition(partition);
    const emittedThrough = resume?.emittedThrough ?? -Infinity;
    if (resume !== undefined) requireFinite('emittedThrough', emittedThrough);
    const known = this.partitions.get(partition);
    if (known === undefined) this.partitions.set(partition, new PartitionState(partition, emittedThrough));
    else if (emittedThrough > known.emittedThrough) {
      known.emittedThrough = emittedThrough;
      known.recentPane = undefined; // its records may now be replays
    }
  }

  revoke(partition: number): void {
    const state = this.partitions.get(partition);
    if (state === undefined) return;
    releasePanes([...state.panes.values()], this.keys, this.panes);
    this.partitions.delete(partition);
  }

  add(record: WindowRecord): RecordOutcome {
    const { eventTime, amount, offset, now } = record;
    requireFinite('eventTime', eventTime);
    requireFinite('amount', amount);
    requireFinite('offset', offset);
    requireFinite('now', now);
    const state = this.partitionFor(record.partition);
    state.touch(now);
    if (offset > state.highestOffset) state.highestOffset = offset;
    if (eventTime > state.maxEventTime) state.maxEventTime = eventTime;
    let pane = state.recentPane;
    if (pane === undefined || !(eventTime >= pane.start && eventTime < pane.end)) {
      pane = this.paneFor(state, eventTime);
      if (pane === REPLAYED_PANE) return REPLAYED;
      if (pane === LATE_PANE) return { status: 'late', lateBy: this.lateBy(eventTime) };
      state.recentPane = pane;
    }
    this.countIn(pane, record.key, amount, offset);
    return COUNTED;
  }

  addBatch(batch: RecordBatch): BatchOutcome {
    const { keys, amounts, eventTimes, offsets, now } = batch;
    const n = keys.length;
    if (amounts.length !== n || eventTimes.length !== n || offsets.length !== n) {
      throw new RangeError(`window engine: batch columns differ in length (keys ${n}, amounts ${amounts.length}, eventTimes ${eventTimes.length}, offsets ${offsets.length})`);
    }
    requireFinite('now', now);
    // Check everything first so a bad record leaves the engine untouched.
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(eventTimes[i]) || !Number.isFinite(amounts[i]) || !Number.isFinite(offsets[i])) {
        throw new RangeError(`window engine: record ${i} of the batch has a non-finite eventTime, amount or offset`);
      }
    }
    const state = this.partitionFor(batch.partition);
    state.touch(now);
    const keyTable = this.keys;
    const dictionary = keyTable.dictionary;
    const panes = this.panes;
    const late: LateRecord[] = [];
    const replayed: number[] = [];
    let maxEventTime = state.maxEventTime;
    let highestOffset = state.highestOffset;
    let pane = NO_PANE;
    let paneStart = Infinity;
    let paneEnd = -Infinity;
    for (let i = 0; i < n; i++) {
      const t = eventTimes[i]!;
      const offset = offsets[i]!;
      if (t > maxEventTime) maxEventTime = t;
      if (offset > highestOffset) highestOffset = offset;
      if (!(t >= paneStart && t < paneEnd)) {
        pane = this.paneFor(state, t);
        const index = paneOf(this.g, t);
        paneStart = index * this.g.pane;
        paneEnd = paneStart + this.g.pane;
      }
      if (pane === LATE_PANE) {
        late.push({ index: i, lateBy: this.lateBy(t) });
        continue;
      }
      if (pane === REPLAYED_PANE) {
        replayed.push(i);
        continue;
      }
      const key = keys[i]!;
      const known = dictionary.lookup(key);
      const id = known >= 0 ? known : keyTable.add(key);
      const refs = keyTable.refs; // re-read: add() may have grown it
      const slot = refs[4 * id + NEWEST_PANE] === pane.id ? refs[4 * id + NEWEST_SLOT]! : cellFor(keyTable, panes, id, pane);
      const cells = pane.cells;
      cells[2 * slot]! += amounts[i]!;
      cells[2 * slot + 1]! += 1;
      if (offset < pane.minOffset) pane.minOffset = offset;
    }
    state.maxEventTime = maxEventTime;
    state.highestOffset = highestOffset;
    return { counted: n - late.length - replayed.length, late, replayed };
  }

  advance(now: number): ClosedWindow[] {
    requireFinite('now', now);
    const allowed = watermarkAt(this.partitions.values(), now, this.g.allowedLateness, this.g.idleTimeout);
    if (allowed > this.currentWatermark) this.currentWatermark = allowed;
    const closed: ClosedWindow[] = [];
    this.closer.closeThrough(lastWindowEndingBy(this.g, this.currentWatermark), closed);
    return closed;
  }

  closeAll(): ClosedWindow[] {
    const closed: ClosedWindow[] = [];
    this.closer.closeThrough(this.closer.lastWindowWithData(), closed);
    this.currentWatermark = Math.max(this.currentWatermark, this.closedThrough());
    return closed;
  }

  safeOffset(partition: number): number | undefined {
    return this.partitions.get(partition)?.safeOffset();
  }

  watermark(): number {
    return this.currentWatermark;
  }

  closedThrough(): number {
    const last = this.closer.lastClosed;
    return last === -Infinity ? -Infinity : windowEnd(this.g, last);
  }

  stats(): WindowStats {
    let panes = 0;
    for (const state of this.partitions.values()) panes += state.panes.size;
    return {
      partitions: this.partitions.size,
      keys: this.keys.size,
      panes,
      openWindows: this.closer.countOpenWindows(),
    };
  }

  private partitionFor(partition: number): PartitionState {
    const known = this.partitions.get(partition);
    if (known !== undefined) return known;
    requirePartition(partition);
    const state = new PartitionState(partition, -Infinity);
    this.partitions.set(partition, state);
    return state;
  }

  /** The live pane for event time `t` on a partition, creating it; or LATE_PANE / REPLAYED_PANE. */
  private paneFor(state: PartitionState, t: number): Pane {
    const index = paneOf(this.g, t);
    const lastWindow = lastWindowOfPane(this.g, index);
    if (windowEnd(this.g, lastWindow) <= state.emittedThrough) return REPLAYED_PANE;
    if (lastWindow <= this.closer.lastClosed) return LATE_PANE;
    let pane = state.panes.get(index);
    if (pane === undefined) {
      const start = index * this.g.pane;
      pane = this.panes.open(state.partition, index, start, start + this.g.pane, lastWindow, state.paneSizeHint);
      state.panes.set(index, pane);
      this.closer.notePane(index);
    }
    return pane;
  }

  /** Start of the oldest open window minus t (>= 1 for a late record). */
  private lateBy(t: number): number {
    return (this.closer.lastClosed + 1) * this.g.slide - t;
  }

  private countIn(pane: Pane, key: string, amount: number, offset: number): void {
    const keys = this.keys;
    const id = keys.idOf(key);
    const refs = keys.refs;
    const slot = refs[4 * id + NEWEST_PANE] === pane.id ? refs[4 * id + NEWEST_SLOT]! : cellFor(keys, this.panes, id, pane);
    const cells = pane.cells;
    cells[2 * slot]! += amount;
    cells[2 * slot + 1]! += 1;
    if (offset < pane.minOffset) pane.minOffset = offset;
  }
}

/** Creates a window engine; throws RangeError for invalid settings. */
export function createWindowEngine(settings: WindowSettings): WindowEngine {
  return new SlidingWindowEngine(settings);
}
