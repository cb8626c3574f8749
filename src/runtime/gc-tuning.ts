/**
 * V8 settings for a process that consumes, set once when the command starts.
 *
 * Allocation-site pretenuring off. V8 counts, per allocation site, how many of its objects are
 * still alive at a young-generation collection; past a threshold it allocates that site's objects
 * straight in the old generation, which only a full (mark-compact) collection frees. The
 * consumer's record objects and their key and value views live a few milliseconds (one fetch),
 * but a young collection often catches a whole fetch alive, and their sites got pretenured:
 * `--trace-gc` showed ~5 MB promoted per scavenge and the heap growing to ~90 MB between full
 * collections, and V8's sampling heap profiler put ~50 MB of objects that died in full
 * collections on the Fetch parser's records and views. With pretenuring off they die young, the
 * heap stays at ~60 MB, and the peak RSS of a 1,000,000-customer drain loses its high outliers
 * (10 alternating runs: 272-310 MB, median 290.5, before; 279-290, median 286.5, after), with
 * drains as fast or faster (see README "Performance").
 *
 * V8 reads this flag at every collection, so setting it at run time takes effect (Node warns that
 * some flags set after start-up do nothing; this one was measured). It is process-wide: the
 * reader thread's isolate gets it too. Not set for `produce`, where it was not measured to help.
 */
import v8 from 'node:v8';

export function tuneGarbageCollectorForConsuming(): void {
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
}
