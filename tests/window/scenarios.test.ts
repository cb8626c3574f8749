/**
 * The window engine's semantics as scenario tables: records in, windows and late records out.
 * Times in the tables are seconds (converted to ms); a closed window reads
 * `start-end key=total/count ...` in emission order, `-` when no key reaches the threshold.
 * Every scenario runs twice: record by record through add() and in batches through addBatch().
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createWindowEngine } from '../../src/window/engine.ts';
import { type ClosedWindow, type WindowEngine, type WindowSettings } from '../../src/window/types.ts';

type Step =
  | { kind: 'assign'; partition: number; emittedThrough?: number }
  | { kind: 'revoke'; partition: number }
  | { kind: 'add'; partition: number; key: string; amount: number; at: number; now: number; expect: string }
  | { kind: 'advance'; now: number; closes: string[] }
  | { kind: 'closeAll'; closes: string[] };

const add = (partition: number, key: string, amount: number, at: number, options: { now?: number; expect?: string } = {}): Step =>
  ({ kind: 'add', partition, key, amount, at, now: options.now ?? 0, expect: options.expect ?? 'counted' });
const advance = (now: number, closes: string[]): Step => ({ kind: 'advance', now, closes });
const closeAll = (closes: string[]): Step => ({ kind: 'closeAll', closes });
const assign = (partition: number, emittedThrough?: number): Step =>
  emittedThrough === undefined ? { kind: 'assign', partition } : { kind: 'assign', partition, emittedThrough };
const revoke = (partition: number): Step => ({ kind: 'revoke', partition });

interface Scenario {
  name: string;
  /** Seconds, except threshold; defaults: 30 s / 10 s windows, no lateness, idle after 1000 s, threshold 10. */
  settings?: Partial<WindowSettings>;
  steps: Step[];
}

const seconds = (s: number): number => Math.round(s * 1000);

function show(window: ClosedWindow): string {
  const rows = window.rows.map((row) => `${row.key}=${row.total}/${row.count}`).join(' ');
  return `${window.start / 1000}-${window.end / 1000} ${rows || '-'}`;
}

function engineFor(settings: Partial<WindowSettings> = {}): WindowEngine {
  const s = { length: 30, slide: 10, allowedLateness: 0, idleTimeout: 1000, threshold: 10, ...settings };
  return createWindowEngine({
    length: seconds(s.length), slide: seconds(s.slide), allowedLateness: seconds(s.allowedLateness),
    idleTimeout: seconds(s.idleTimeout), threshold: s.threshold,
  });
}

/** Plays the steps; consecutive adds of one partition and `now` go in one batch when `batched`. */
function play(scenario: Scenario, batched: boolean): void {
  const engine = engineFor(scenario.settings);
  const steps = scenario.steps;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const where = `${scenario.name}, step ${i + 1}`;
    if (step.kind === 'assign') {
      engine.assign(step.partition, step.emittedThrough === undefined ? undefined : { emittedThrough: seconds(step.emittedThrough) });
    } else if (step.kind === 'revoke') {
      engine.revoke(step.partition);
    } else if (step.kind === 'advance') {
      assert.deepEqual(engine.advance(seconds(step.now)).map(show), step.closes, where);
    } else if (step.kind === 'closeAll') {
      assert.deepEqual(engine.closeAll().map(show), step.closes, where);
    } else if (!batched) {
      const outcome = engine.add({
        partition: step.partition, key: step.key, amount: step.amount, eventTime: seconds(step.at), offset: i, now: seconds(step.now),
      });
      const seen = outcome.status === 'late' ? `late ${outcome.lateBy / 1000}s` : outcome.status;
      assert.equal(seen, step.expect, where);
    } else {
      const group: Array<Extract<Step, { kind: 'add' }>> = [step];
      for (let next = steps[i + 1]; next?.kind === 'add' && next.partition === step.partition && next.now === step.now; next = steps[i + 1]) {
        group.push(next);
        i++;
      }
      const outcome = engine.addBatch({
        partition: step.partition,
        keys: group.map((r) => r.key),
        amounts: group.map((r) => r.amount),
        eventTimes: group.map((r) => seconds(r.at)),
        offsets: group.map((_, n) => n),
        now: seconds(step.now),
      });
      const seen = group.map((): string => 'counted');
      for (const late of outcome.late) seen[late.index] = `late ${late.lateBy / 1000}s`;
      for (const index of outcome.replayed) seen[index] = 'replayed';
      assert.deepEqual(seen, group.map((r) => r.expect), where);
      assert.equal(outcome.counted, seen.filter((s) => s === 'counted').length, where);
    }
  }
}

const scenarios: Scenario[] = [
  {
    name: 'on-time records are summed per key and each window closes once the watermark reaches its end',
    steps: [
      add(0, 'a', 5, 101), add(0, 'a', 7, 112),
      advance(0, ['80-110 -']),
      add(0, 'b', 20, 125), add(0, 'a', 1, 131),
      advance(0, ['90-120 a=12/2', '100-130 b=20/1 a=12/2']),
      advance(0, []),
      closeAll(['110-140 b=20/1', '120-150 b=20/1', '130-160 -']),
    ],
  },
  {
    name: 'out-of-order records within the allowed lateness count as if they had come in order',
    settings: { allowedLateness: 10 },
    steps: [
      add(0, 'a', 5, 105), add(0, 'b', 20, 118), add(0, 'a', 7, 109), add(0, 'a', 1, 125),
      advance(0, ['80-110 a=12/2']),
      closeAll(['90-120 b=20/1 a=12/2', '100-130 b=20/1 a=13/3', '110-140 b=20/1', '120-150 -']),
    ],
  },
  {
    name: 'a record whose windows are all closed is late, one with an open window counts there only',
    steps: [
      add(0, 'a', 5, 101), add(0, 'a', 20, 125),
      advance(0, ['80-110 -', '90-120 -']),
      add(0, 'a', 50, 95, { expect: 'late 5s' }),
      add(0, 'a', 9, 105),
      add(0, 'a', 1, 99.999, { expect: 'late 0.001s' }),
      closeAll(['100-130 a=34/3', '110-140 a=20/1', '120-150 a=20/1']),
    ],
  },
  {
    name: 'an idle partition stops holding the watermark back and its records behind it are late when it returns',
    settings: { idleTimeout: 60 },
    steps: [
      assign(0), assign(1),
      add(0, 'a', 20, 101), add(1, 'b', 20, 102),
      advance(0, []),
      add(0, 'a', 20, 135, { now: 10 }),
      advance(10, []),
      advance(59, []),
      advance(61, ['80-110 a=20/1 b=20/1', '90-120 a=20/1 b=20/1', '100-130 a=20/1 b=20/1']),
      add(1, 'b', 5, 108, { now: 62, expect: 'late 2s' }),
      add(1, 'b', 30, 140, { now: 62 }),
      advance(62, []),
      closeAll(['110-140 a=20/1', '120-150 b=30/1 a=20/1', '130-160 b=30/1 a=20/1', '140-170 b=30/1']),
    ],
  },
  {
    name: 'when every partition is idle the watermark runs on with the caller clock and the last windows close',
    settings: { idleTimeout: 60, allowedLateness: 5 },
    steps: [
      add(0, 'a', 20, 101, { now: 1000 }),
      advance(1000, []),
      advance(1059, []),
      advance(1060, []),
      advance(1074, ['80-110 a=20/1']),
      advance(1094, ['90-120 a=20/1', '100-130 a=20/1']),
    ],
  },
  {
    name: 'a partition that has sent nothing yet holds the watermark back until it has been idle for idleTimeout',
    settings: { idleTimeout: 60 },
    steps: [
      assign(0), assign(1),
      add(0, 'a', 20, 101),
      advance(0, []),
      add(0, 'a', 20, 140, { now: 30 }),
      advance(30, []),
      advance(61, ['80-110 a=20/1', '90-120 a=20/1', '100-130 a=20/1']),
    ],
  },
  {
    name: 'with two partitions skewed in time the slower one sets the watermark and keys merge across partitions',
    steps: [
      add(0, 'a', 20, 201), add(1, 'a', 20, 101),
      advance(0, []),
      add(1, 'a', 20, 125),
      advance(0, ['80-110 a=20/1', '90-120 a=20/1']),
      add(1, 'a', 20, 205),
      advance(0, ['100-130 a=40/2', '110-140 a=20/1', '120-150 a=20/1']),
      closeAll(['180-210 a=40/2', '190-220 a=40/2', '200-230 a=40/2']),
    ],
  },
  {
    name: 'a window with records but no key over the threshold is still emitted, with no rows',
    settings: { threshold: 100 },
    steps: [
      add(0, 'a', 5, 101), add(0, 'b', 7, 103), add(0, 'c', 1, 150),
      advance(0, ['80-110 -', '90-120 -', '100-130 -']),
    ],
  },
  {
    name: 'slide equal to length gives tumbling windows',
    settings: { length: 10, slide: 10 },
    steps: [
      add(0, 'a', 5, 101), add(0, 'a', 6, 109), add(0, 'b', 30, 110), add(0, 'a', 1, 121),
      advance(0, ['100-110 a=11/2', '110-120 b=30/1']),
      closeAll(['120-130 -']),
    ],
  },
  {
    name: 'a length that is not a multiple of the slide works with 5 s panes',
    settings: { length: 25, slide: 10 },
    steps: [
      add(0, 'a', 5, 103), add(0, 'a', 7, 106), add(0, 'a', 11, 112), add(0, 'b', 1, 115),
      advance(0, ['80-105 -', '90-115 a=23/3']),
      closeAll(['100-125 a=23/3', '110-135 a=11/1']),
    ],
  },
  {
    name: 'a resumed partition replays nothing already written and counts only in later windows',
    steps: [
      assign(0, 130),
      add(0, 'a', 5, 105, { expect: 'replayed' }),
      add(0, 'a', 7, 115),
      add(0, 'a', 9, 135),
      closeAll(['110-140 a=16/2', '120-150 -', '130-160 -']),
    ],
  },
  {
    name: 'windows already written for a resumed partition still close for the other partitions keys',
    steps: [
      assign(0, 130), assign(1),
      add(0, 'a', 20, 125), add(1, 'b', 20, 125),
      closeAll(['100-130 b=20/1', '110-140 a=20/1 b=20/1', '120-150 a=20/1 b=20/1']),
    ],
  },
  {
    name: 'revoking a partition drops what it counted in open windows',
    steps: [
      add(0, 'a', 20, 101), add(1, 'b', 20, 102),
      revoke(0),
      closeAll(['80-110 b=20/1', '90-120 b=20/1', '100-130 b=20/1']),
    ],
  },
];

describe('window engine scenarios', () => {
  for (const scenario of scenarios) {
    test(`${scenario.name} (add)`, () => play(scenario, false));
    test(`${scenario.name} (addBatch)`, () => play(scenario, true));
  }
});
