/**
 * `npm run bench:window`: record updates per second of the window engine on one core, and bytes
 * per active key, for 1,000 and 1,000,000 keys; then the time closeAll() takes to close ten
 * windows over a million keys.
 *
 * The load imitates the runtime: 60 s windows sliding every 10 s, 5 s allowed lateness, 4
 * partitions fed round-robin in batches of 500 (one Kafka fetch per partition, say), event time
 * advancing 100,000 records per second of event time with 5% of the records up to 4 s out of
 * order, and `advance(now)` after every batch. Each key belongs to one partition (as with Kafka's
 * key partitioning); 90% of the records pick a key uniformly from the partition's share of the
 * pool (nearly every key is active in every window: the worst case for memory), 10% pick one of
 * the hottest 1%, which become the rows over the threshold. Only addBatch() and advance() are timed;
 * filling the batch columns is not.
 *
 * Key strings come from a pool the bench holds (V8 caches a string's hash in it, so a Map-based
 * dictionary looks up pooled keys faster than fresh ones). The pool is built before the baseline
 * measurement, so it is not counted as engine memory, and its own size is reported apart ("pool
 * B/key"): an engine that kept key strings (a Map) would hold strings the size of the pool's in
 * the consumer, where the pool does not exist, yet shows them as free here. With
 * BENCH_FRESH_KEYS=1 every record's key is instead decoded from bytes into a new string (outside
 * the timed part), as the consumer does: any key string the engine keeps is then counted.
 *
 * Bytes per key are the growth, across the run and after a forced gc, of the JS heap plus the
 * memory held by ArrayBuffers (the engine keeps its columns and cells in typed arrays, which live
 * outside the heap): heap alone would flatter it.
 */
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { availableParallelism } from 'node:os';
import { createRandom } from '../src/generator/random.ts';
import { createWindowEngine } from '../src/window/engine.ts';

/** Figures for one key count. */
export interface WindowBenchFigures {
  keys: number;
  records: number;
  seconds: number;
  updatesPerSecond: number;
  /** Keys holding state at the end (stats().keys). */
  activeKeys: number;
  /** Growth of heap + ArrayBuffer memory after gc, divided by active keys. */
  bytesPerKey: number;
  /** The JS heap's part of bytesPerKey. */
  heapBytesPerKey: number;
  /** The ArrayBuffers' part of bytesPerKey. */
  bufferBytesPerKey: number;
  /** Size of the bench's own key pool (strings, or bytes with freshKeys) per key: not in bytesPerKey. */
  poolBytesPerKey: number;
  windowsClosed: number;
  rowsEmitted: number;
}

export interface WindowBenchOptions {
  keyCounts?: number[];
  /** Records per key count (default 20 million). */
  records?: number;
  /** Decode each record's key into a new string, as the consumer does, instead of pooling strings. */
  freshKeys?: boolean;
}

const length = 60_000;
const slide = 10_000;
const partitions = 4;
const batchSize = 500;
const recordsPerEventSecond = 100_000;
const meanAmount = 50;

/**
 * A full collection whose freed ArrayBuffers are really gone: V8 frees their memory on a
 * background sweeper after a collection, and the next collection waits for that sweep.
 */
function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

/**
 * `count` distinct customer keys as flat strings, like keys decoded from messages. (A template
 * literal makes a cons string that V8 flattens, allocating, on its first hash: that would move
 * pool memory in and out of the engine's figure.)
 */
function keyPool(count: number): string[] {
  return JSON.parse(JSON.stringify(Array.from({ length: count }, (_, i) => `customer-${String(i).padStart(7, '0')}`))) as string[];
}

/** Where the records' keys come from: key `i` as a string, and what the source holds in memory. */
interface KeySource {
  keyAt(i: number): string;
  /** Heap + ArrayBuffer growth from building the source, after gc. */
  bytes: number;
}

function keySource(count: number, fresh: boolean, gc: () => void): KeySource {
  gc();
  const empty = process.memoryUsage();
  let keyAt: (i: number) => string;
  if (fresh) {
    // Every key has the same length (customer-NNNNNNN), so key i is at width * i.
    const pool = keyPool(count);
    const width = pool[0]?.length ?? 0;
    if (pool.some((key) => key.length !== width)) throw new Error('bench: keys differ in length');
    const bytes = Buffer.from(pool.join(''), 'latin1');
    keyAt = (i) => bytes.toString('latin1', width * i, width * (i + 1));
  } else {
    const pool = keyPool(count);
    keyAt = (i) => pool[i]!;
  }
  gc();
  const built = process.memoryUsage();
  return { keyAt, bytes: built.heapUsed + built.arrayBuffers - empty.heapUsed - empty.arrayBuffers };
}

function benchKeys(keyCount: number, records: number, fresh: boolean, gc: () => void): WindowBenchFigures {
  const pool = keySource(keyCount, fresh, gc);
  const next = createRandom(keyCount);
  const keys: string[] = new Array<string>(batchSize).fill('');
  const amounts = new Float64Array(batchSize);
  const eventTimes = new Float64Array(batchSize);
  const offsets = new Float64Array(batchSize);
  const nextOffset = new Array<number>(partitions).fill(0);
  const hotShare = Math.max(1, Math.floor(keyCount / partitions / 100));
  // Expected total per key per window, doubled: the "high-volume customers" are the tail.
  const threshold = 2 * meanAmount * (recordsPerEventSecond * (length / 1000)) / keyCount;
  gc();
  const before = process.memoryUsage();
  const engine = createWindowEngine({ length, slide, allowedLateness: 5_000, idleTimeout: 30_000, threshold });
  for (let p = 0; p < partitions; p++) engine.assign(p);
  const start = Date.UTC(2025, 0, 1);
  let windowsClosed = 0;
  let rowsEmitted = 0;
  let timed = 0;
  for (let done = 0; done < records; done += batchSize) {
    const partition = (done / batchSize) % partitions;
    for (let i = 0; i < batchSize; i++) {
      const r = next();
      // As with Kafka's key partitioning, a key always comes from the same partition; 10% of
      // the records go to the hottest 1% of keys (the high-volume customers the rows report).
      const share = next() < 0.1 ? hotShare : keyCount / partitions;
      keys[i] = pool.keyAt(partition + partitions * Math.floor(next() * share));
      amounts[i] = 1 + Math.floor(r * 2 * meanAmount);
      const onTime = start + ((done + i) * 1000) / recordsPerEventSecond;
      eventTimes[i] = r < 0.05 ? onTime - Math.floor(next() * 4_000) : onTime;
      offsets[i] = nextOffset[partition]!++;
    }
    const now = eventTimes[batchSize - 1]! + 50;
    const t0 = performance.now();
    const outcome = engine.addBatch({ partition, keys, amounts, eventTimes, offsets, now });
    const closed = engine.advance(now);
    timed += performance.now() - t0;
    if (outcome.late.length > 0) throw new Error(`bench: ${outcome.late.length} records unexpectedly late`);
    windowsClosed += closed.length;
    for (const window of closed) rowsEmitted += window.rows.length;
  }
  gc();
  const after = process.memoryUsage();
  const activeKeys = engine.stats().keys;
  // Keep the pool alive through the measurement: were it collected, the keys the engine does not
  // hold would be freed and counted against the engine's growth.
  if (pool.keyAt(0) === '') throw new Error('bench: key pool changed');
  const heapBytesPerKey = (after.heapUsed - before.heapUsed) / activeKeys;
  const bufferBytesPerKey = (after.arrayBuffers - before.arrayBuffers) / activeKeys;
  return {
    keys: keyCount,
    records,
    seconds: timed / 1000,
    updatesPerSecond: Math.round(records / (timed / 1000)),
    activeKeys,
    bytesPerKey: Math.round(heapBytesPerKey + bufferBytesPerKey),
    heapBytesPerKey: Math.round(heapBytesPerKey),
    bufferBytesPerKey: Math.round(bufferBytesPerKey),
    poolBytesPerKey: Math.round(pool.bytes / keyCount),
    windowsClosed,
    rowsEmitted,
  };
}

/** Runs the bench for each key count (1,000 and 1,000,000 by default) and returns the figures. */
export function runWindowBench(options: WindowBenchOptions = {}): WindowBenchFigures[] {
  const gc = collectGarbage();
  const records = options.records ?? 20_000_000;
  return (options.keyCounts ?? [1_000, 1_000_000]).map((keyCount) => benchKeys(keyCount, records, options.freshKeys ?? false, gc));
}

/** Figures of one closeAll() run. */
export interface CloseAllFigures {
  keys: number;
  windows: number;
  rows: number;
  seconds: number;
}

/**
 * closeAll() over `keyCount` keys with one record each, all in one pane (event times within 20 s,
 * 4 partitions) of 10 min / 1 min windows: ten windows, each merging every key. 2% of the keys
 * reach the threshold. Only closeAll() is timed; the best of `runs` is reported.
 */
export function runCloseAllBench(keyCount = 1_000_000, runs = 3): CloseAllFigures {
  const gc = collectGarbage();
  const pool = keyPool(keyCount);
  const keys: string[] = new Array<string>(batchSize).fill('');
  const amounts = new Float64Array(batchSize);
  const eventTimes = new Float64Array(batchSize);
  const offsets = new Float64Array(batchSize);
  const start = Date.UTC(2025, 0, 1);
  let best: CloseAllFigures | undefined;
  for (let run = 0; run < runs; run++) {
    const engine = createWindowEngine({ length: 600_000, slide: 60_000, allowedLateness: 0, idleTimeout: 30_000, threshold: 99 });
    for (let done = 0; done < keyCount; done += batchSize) {
      const n = Math.min(batchSize, keyCount - done);
      for (let i = 0; i < n; i++) {
        keys[i] = pool[done + i]!;
        amounts[i] = 1 + (((done + i) * 7919) % 100);
        eventTimes[i] = start + ((done + i) % 20_000);
        offsets[i] = done + i;
      }
      const slice = n === batchSize ? keys : keys.slice(0, n);
      engine.addBatch({ partition: (done / batchSize) % partitions, keys: slice, amounts: amounts.subarray(0, n), eventTimes: eventTimes.subarray(0, n), offsets: offsets.subarray(0, n), now: 0 });
    }
    gc();
    const t0 = performance.now();
    const closed = engine.closeAll();
    const seconds = (performance.now() - t0) / 1000;
    const rows = closed.reduce((sum, window) => sum + window.rows.length, 0);
    if (best === undefined || seconds < best.seconds) best = { keys: keyCount, windows: closed.length, rows, seconds };
  }
  return best!;
}

function printTable(figures: WindowBenchFigures[], fresh: boolean): void {
  const n = (value: number): string => value.toLocaleString('en-US');
  const header = ['keys', 'records', 'seconds', 'updates/s', 'active keys', 'bytes/key', '(heap', '+ buffers)', 'pool B/key', 'windows', 'rows'];
  const lines = figures.map((f) => [
    n(f.keys), n(f.records), f.seconds.toFixed(2), n(f.updatesPerSecond), n(f.activeKeys), n(f.bytesPerKey),
    n(f.heapBytesPerKey), n(f.bufferBytesPerKey), n(f.poolBytesPerKey), n(f.windowsClosed), n(f.rowsEmitted),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  console.log(`window engine: 60 s / 10 s windows, ${partitions} partitions, batches of ${batchSize}, ${fresh ? 'a fresh key string per record' : 'pooled key strings'}; node ${process.version}, ${availableParallelism()} cores (one used)`);
  console.log(format(header));
  for (const line of lines) console.log(format(line));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // BENCH_RECORDS=5000000 BENCH_KEYS=1000000 for a quicker look at one case; BENCH_CLOSE_KEYS=0
  // skips the closeAll() row; BENCH_FRESH_KEYS=1 decodes every key as the consumer does.
  const { BENCH_RECORDS: records, BENCH_KEYS: keys, BENCH_CLOSE_KEYS: closeKeys, BENCH_FRESH_KEYS: freshKeys } = process.env;
  const fresh = freshKeys === '1';
  printTable(runWindowBench({
    ...(records === undefined ? {} : { records: Number(records) }),
    ...(keys === undefined ? {} : { keyCounts: keys.split(',').map(Number) }),
    freshKeys: fresh,
  }), fresh);
  const closeKeyCount = closeKeys === undefined ? 1_000_000 : Number(closeKeys);
  if (closeKeyCount > 0) {
    const close = runCloseAllBench(closeKeyCount);
    console.log(`closeAll(): ${close.keys.toLocaleString('en-US')} keys in one pane, 10 min / 1 min windows: ${close.windows} windows, ${close.rows.toLocaleString('en-US')} rows in ${close.seconds.toFixed(2)} s (best of 3)`);
  }
}
