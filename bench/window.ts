/**
 * `npm run bench:window`: record updates per second of the window engine on one core, and heap
 * bytes per active key, for 1,000 and 1,000,000 keys.
 *
 * The load imitates the runtime: 60 s windows sliding every 10 s, 5 s allowed lateness, 4
 * partitions fed round-robin in batches of 500 (one Kafka fetch per partition, say), event time
 * advancing 100,000 records per second of event time with 5% of the records up to 4 s out of
 * order, and `advance(now)` after every batch. Each key belongs to one partition (as with Kafka's
 * key partitioning); 90% of the records pick a key uniformly from the partition's share of the
 * pool (nearly every key is active in every window: the worst case for memory), 10% pick one of
 * the hottest 1%, which become the rows over the threshold. Only addBatch() and advance() are timed;
 * filling the batch columns is not. Key strings come from a pool, so their hashes are cached
 * as they would be for keys the runtime reuses; the pool's strings are not counted as engine
 * memory.
 */
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { availableParallelism } from 'node:os';
import { createWindowEngine } from '../src/window/engine.ts';

/** Figures for one key count. */
export interface WindowBenchFigures {
  keys: number;
  records: number;
  seconds: number;
  updatesPerSecond: number;
  /** Keys holding state at the end (stats().keys). */
  activeKeys: number;
  /** Heap growth after gc divided by active keys. */
  bytesPerKey: number;
  windowsClosed: number;
  rowsEmitted: number;
}

export interface WindowBenchOptions {
  keyCounts?: number[];
  /** Records per key count (default 20 million). */
  records?: number;
}

const length = 60_000;
const slide = 10_000;
const partitions = 4;
const batchSize = 500;
const recordsPerEventSecond = 100_000;
const meanAmount = 50;

function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** A small deterministic generator (mulberry32), so runs are comparable. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function benchKeys(keyCount: number, records: number, gc: () => void): WindowBenchFigures {
  const pool = Array.from({ length: keyCount }, (_, i) => `customer-${String(i).padStart(7, '0')}`);
  const next = random(keyCount);
  const keys: string[] = new Array<string>(batchSize).fill('');
  const amounts = new Float64Array(batchSize);
  const eventTimes = new Float64Array(batchSize);
  const offsets = new Float64Array(batchSize);
  const nextOffset = new Array<number>(partitions).fill(0);
  const hotShare = Math.max(1, Math.floor(keyCount / partitions / 100));
  // Expected total per key per window, doubled: the "high-volume customers" are the tail.
  const threshold = 2 * meanAmount * (recordsPerEventSecond * (length / 1000)) / keyCount;
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
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
      keys[i] = pool[partition + partitions * Math.floor(next() * share)]!;
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
  const heapAfter = process.memoryUsage().heapUsed;
  const activeKeys = engine.stats().keys;
  return {
    keys: keyCount,
    records,
    seconds: timed / 1000,
    updatesPerSecond: Math.round(records / (timed / 1000)),
    activeKeys,
    bytesPerKey: Math.round((heapAfter - heapBefore) / activeKeys),
    windowsClosed,
    rowsEmitted,
  };
}

/** Runs the bench for each key count (1,000 and 1,000,000 by default) and returns the figures. */
export function runWindowBench(options: WindowBenchOptions = {}): WindowBenchFigures[] {
  const gc = collectGarbage();
  const records = options.records ?? 20_000_000;
  return (options.keyCounts ?? [1_000, 1_000_000]).map((keyCount) => benchKeys(keyCount, records, gc));
}

function printTable(figures: WindowBenchFigures[]): void {
  const n = (value: number): string => value.toLocaleString('en-US');
  const header = ['keys', 'records', 'seconds', 'updates/s', 'active keys', 'bytes/key', 'windows', 'rows'];
  const lines = figures.map((f) => [
    n(f.keys), n(f.records), f.seconds.toFixed(2), n(f.updatesPerSecond), n(f.activeKeys), n(f.bytesPerKey), n(f.windowsClosed), n(f.rowsEmitted),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  console.log(`window engine: 60 s / 10 s windows, ${partitions} partitions, batches of ${batchSize}; node ${process.version}, ${availableParallelism()} cores (one used)`);
  console.log(format(header));
  for (const line of lines) console.log(format(line));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // BENCH_RECORDS=5000000 BENCH_KEYS=1000000 for a quicker look at one case.
  const { BENCH_RECORDS: records, BENCH_KEYS: keys } = process.env;
  printTable(runWindowBench({
    ...(records === undefined ? {} : { records: Number(records) }),
    ...(keys === undefined ? {} : { keyCounts: keys.split(',').map(Number) }),
  }));
}
