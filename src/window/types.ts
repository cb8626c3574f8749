/**
 * The window engine's public shapes: what goes in (settings, records, batches) and what comes out
 * (outcomes, closed windows, stats). The engine itself lives in engine.ts.
 */

/** Engine settings. Durations are integer milliseconds; `threshold` is in the unit of `amount`. */
export interface WindowSettings {
  /** Window length: windows are `[start, start + length)`. */
  length: number;
  /** Distance between window starts; `start` is a multiple of `slide` since the epoch. */
  slide: number;
  /** How far behind the highest event time of its partition a record may be and still count. */
  allowedLateness: number;
  /** Silence (in the caller's `now`) after which a partition stops holding the watermark back. */
  idleTimeout: number;
  /** A key is reported in a window when its total there is `>= threshold`. */
  threshold: number;
}

/** One record as the runtime hands it over. */
export interface WindowRecord {
  partition: number;
  key: string;
  amount: number;
  /** Epoch ms; for `time: processing` the runtime passes the arrival time here. */
  eventTime: number;
  /** The Kafka offset: opaque to the engine, only used to answer `safeOffset()`. */
  offset: number;
  /** The caller's wall clock (ms), used for idle detection only. */
  now: number;
}

/** Records of one partition in columns, the fast way in (one Kafka fetch batch, say). */
export interface RecordBatch {
  partition: number;
  keys: readonly string[];
  amounts: ArrayLike<number>;
  eventTimes: ArrayLike<number>;
  offsets: ArrayLike<number>;
  /** The caller's wall clock (ms) when the batch arrived. */
  now: number;
}

/**
 * What happened to one record. `late.lateBy` is how many ms earlier than the start of the oldest
 * still-open window the record's event time is: had it been `lateBy` ms later, it would have
 * counted. Always >= 1.
 */
export type RecordOutcome =
  | { readonly status: 'counted' }
  | { readonly status: 'late'; readonly lateBy: number }
  | { readonly status: 'replayed' };

/** A late record of a batch, by its index in the batch's columns. */
export interface LateRecord {
  index: number;
  lateBy: number;
}

/** What happened to a batch: records not listed as late or replayed were counted. */
export interface BatchOutcome {
  counted: number;
  late: LateRecord[];
  /** Indices of records whose windows a previous run already emitted (see `assign`). */
  replayed: number[];
}

/** One key's figures in one closed window. */
export interface WindowRow {
  key: string;
  total: number;
  count: number;
}

/** A window that has just closed; `rows` holds the keys at or over the threshold. */
export interface ClosedWindow {
  start: number;
  end: number;
  /** Sorted by total descending, then key ascending (UTF-16 code unit order). May be empty. */
  rows: WindowRow[];
}

/** Sizes of the engine's state, for monitoring. */
export interface WindowStats {
  /** Partitions assigned (explicitly or by their first record). */
  partitions: number;
  /** Distinct keys holding a partial sum in some open window. */
  keys: number;
  /** (partition, pane) partial-sum tables alive. */
  panes: number;
  /** Windows not yet closed that already hold at least one record. */
  openWindows: number;
}

/** Where a previous run stopped for a partition (read from the committed offset's metadata). */
export interface ResumePoint {
  /** End (ms) of the last window already written for this partition. */
  emittedThrough: number;
}

/** The sliding-window engine: pure, synchronous, no I/O, no clock. */
export interface WindowEngine {
  /** Start tracking a partition; with `resume`, windows ending at or before it are not re-emitted. */
  assign(partition: number, resume?: ResumePoint): void;
  /** Forget a partition and everything it counted in windows not yet closed. */
  revoke(partition: number): void;
  /** Count one record (auto-assigning an unknown partition). */
  add(record: WindowRecord): RecordOutcome;
  /** Count a batch of one partition's records; same rules as `add`, far less overhead. */
  addBatch(batch: RecordBatch): BatchOutcome;
  /** Apply idle timeouts at `now`, raise the watermark and close every window it has passed. */
  advance(now: number): ClosedWindow[];
  /** End of stream: close every window that holds records, in order of end. */
  closeAll(): ClosedWindow[];
  /** The offset to commit for a partition once the windows closed so far are written. */
  safeOffset(partition: number): number | undefined;
  /** The engine watermark (ms); -Infinity until a watermark exists. Never goes back. */
  watermark(): number;
  /** End (ms) of the last closed window; -Infinity before the first. Never goes back. */
  closedThrough(): number;
  stats(): WindowStats;
}
