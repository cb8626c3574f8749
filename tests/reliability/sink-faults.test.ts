/**
 * Sink faults during a live run (issue 7, item 6): the results folder turns read-only, the SQLite
 * database is locked by another process, the disk fills up. Each time the consumer must retry a
 * bounded number of times, stop with an error naming the sink and the cause and exit 1, having
 * committed nothing past what the sinks hold; once the fault is cleared, `consume --drain`
 * completes both sinks to exactly the oracle.
 *
 * Tests run as root, for whom chmod changes nothing: a read-only folder is `chattr +i` on the
 * folder (nothing can be created or renamed in it, not even by root; the files already in it stay
 * writable, as after `chmod a-w` for a normal user), disk full is a small tmpfs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { DEFAULT_TEXT_FORMAT, compileLineTemplate } from '../../src/sinks/line-template.ts';
import { runCli, startCli, type CliResult } from '../support/cli.ts';
import { windowOracle } from '../support/window-oracle.ts';
import { deadLetteredLate, salesInTopic, textLines } from '../support/pipeline-results.ts';
import { oracleDiff, reliabilityScenario, type Scenario } from './support.ts';

/**
 * Few attempts, short backoff: a failing write gives up in well under a second (plus lock waits).
 * A short session bounds how long a restart could wait for a member that did not leave cleanly.
 */
const failFast = { SALESFLOW_SINK_ATTEMPTS: '3', SALESFLOW_SINK_RETRY_MS: '100', SALESFLOW_SESSION_TIMEOUT_MS: '6000' };

interface Fault {
  /** What the error must say after the sink's name, e.g. /EPERM/. */
  sink: 'text' | 'sqlite' | 'text|sqlite';
  cause: RegExp;
  apply(scenario: Scenario): void;
  clear(scenario: Scenario): void;
}

/**
 * Runs a live `consume` next to a `produce`, applies the fault once the first results are
 * written, and checks the failure; the fault is still in place when this returns.
 */
async function failMidRun(scenario: Scenario, fault: Fault): Promise<CliResult> {
  const consumer = startCli([scenario.file, 'consume', '--quiet'], failFast);
  const timeout = setTimeout(() => consumer.child.kill('SIGKILL'), 45_000);
  const produced = runCli([scenario.file, 'produce', '--quiet']);
  try {
    while (textLines(scenario.dir).length === 0) {
      if (consumer.child.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    fault.apply(scenario);
    const failed = await consumer.result;
    assert.equal(failed.signal, null, `the consumer must stop by itself, not hang: ${failed.stderr}`);
    assert.equal(failed.code, 1, failed.stderr);
    const sinkName = `sink (?:${fault.sink}) ${scenario.dir}/out/\\S+`;
    assert.match(failed.stderr, new RegExp(`${sinkName} failed, retrying .*attempt=1 of=3`));
    assert.match(failed.stderr, new RegExp(`consume failed: ${sinkName} failed 3 times in [\\d.]+ s: .*${fault.cause.source}`));
    return failed;
  } finally {
    clearTimeout(timeout);
    const producer = await produced;
    assert.equal(producer.code, 0, producer.stderr);
  }
}

/** After the fault is cleared, a drain completes both sinks to exactly the oracle. */
async function completesAfterClearing(scenario: Scenario, linesBefore: number): Promise<void> {
  const resumed = await runCli([scenario.file, 'consume', '--drain', '--quiet']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const late = deadLetteredLate(scenario.topic);
  assert.deepEqual(oracleDiff(scenario, late), []);
  const expected = expectedTextLines(scenario, late);
  assert.ok(expected.length > linesBefore, 'the fault struck before every window was written');
  assert.deepEqual(textLines(scenario.dir), expected);
  assert.ok(readFileSync(join(scenario.dir, 'out/customers.txt'), 'utf8').endsWith('\n'), 'no torn last line');
}

/** The oracle's rows as the text sink writes them: by window end, then total descending, then key. */
function expectedTextLines(scenario: Scenario, late: Set<string>): string[] {
  const render = compileLineTemplate(DEFAULT_TEXT_FORMAT);
  const rows = windowOracle(salesInTopic(scenario.topic, late).valid, scenario.settings);
  rows.sort((a, b) => a.end - b.end || b.total - a.total || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return rows.map((row) => render({ windowStart: row.start, windowEnd: row.end, key: row.key, total: row.total, count: row.count }));
}

function run(command: string, args: string[]): { ok: boolean; detail: string } {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return { ok: result.status === 0, detail: (result.stderr || result.error?.message || '').trim() };
}

/** Makes the folder `dir` immutable (or writable again); throws when chattr fails. */
function setImmutable(dir: string, on: boolean): void {
  const result = run('chattr', [on ? '+i' : '-i', dir]);
  if (!result.ok) throw new Error(`chattr ${on ? '+i' : '-i'} ${dir} failed: ${result.detail}`);
}

test('a results folder turning read-only stops the consumer with exit 1, and a restart after clearing completes the results', async (t) => {
  const scenario = reliabilityScenario({ count: 12_000, rate: 2_000 });
  const out = join(scenario.dir, 'out');
  mkdirSync(out, { recursive: true });
  const probe = run('chattr', ['+i', out]);
  if (!probe.ok) {
    t.skip(`chattr +i is not supported here: ${probe.detail}`);
    return;
  }
  setImmutable(out, false);
  t.after(() => void run('chattr', ['-i', out]));
  const fault: Fault = {
    // The text sink is the first to need a new file: its progress record's temporary file.
    sink: 'text',
    cause: /EPERM: operation not permitted, open '\S+customers\.txt\.progress\.\d+\.tmp'/,
    apply: () => setImmutable(out, true),
    clear: () => setImmutable(out, false),
  };
  await failMidRun(scenario, fault);
  const linesBefore = textLines(scenario.dir).length;

  // Still read-only: a restart fails the same way instead of looping.
  const refused = await runCli([scenario.file, 'consume', '--drain', '--quiet'], failFast);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, new RegExp(`consume failed: sink text ${out}/customers.txt failed 3 times in [\\d.]+ s: EPERM`));

  fault.clear(scenario);
  await completesAfterClearing(scenario, linesBefore);
});

test('a SQLite database locked by another process stops the consumer with exit 1, and a restart after the lock completes the results', async () => {
  const scenario = reliabilityScenario({ count: 12_000, rate: 2_000 });
  let holder: Database.Database | undefined;
  await failMidRun(scenario, {
    sink: 'sqlite',
    cause: /database is locked \(SQLITE_BUSY\)/,
    apply: () => {
      holder = new Database(join(scenario.dir, 'out/results.db'), { timeout: 10_000 });
      holder.exec('BEGIN EXCLUSIVE');
    },
    clear: () => undefined,
  });
  const linesBefore = textLines(scenario.dir).length;
  holder?.exec('ROLLBACK');
  holder?.close();
  await completesAfterClearing(scenario, linesBefore);
});

test('a full disk stops the consumer with exit 1, and a restart after space is freed completes the results', async (t) => {
  const scenario = reliabilityScenario({ count: 12_000, rate: 2_000 });
  const out = join(scenario.dir, 'out');
  mkdirSync(out, { recursive: true });
  const mounted = run('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', out]);
  if (!mounted.ok) {
    t.skip(`mounting a small tmpfs is not permitted here: ${mounted.detail}`);
    return;
  }
  // Runs after the consumers exited (every run below is awaited), so the mount is not busy.
  t.after(() => void run('umount', [out]));
  const filler = join(out, 'filler');
  await failMidRun(scenario, {
    sink: 'text|sqlite',
    cause: /ENOSPC|SQLITE_FULL/,
    apply: () => fillUp(filler),
    clear: () => undefined,
  });
  const linesBefore = textLines(scenario.dir).length;
  rmSync(filler);
  await completesAfterClearing(scenario, linesBefore);
});

/** Writes zeros until the filesystem has no block left. */
function fillUp(path: string): void {
  const file = openSync(path, 'w');
  try {
    for (const size of [1 << 16, 1 << 12, 1]) {
      const zeros = Buffer.alloc(size);
      try {
        for (;;) writeSync(file, zeros);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    closeSync(file);
  }
}
