/**
 * kill -9 of the consumer at many moments, each followed by a restart: the SQLite table must equal
 * the oracle and the text file must equal an uninterrupted run's, line for line (no window
 * missing, none duplicated, no partial sum, no torn line).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, startCli, type CliResult } from '../support/cli.ts';
import { textLines } from '../support/pipeline-results.ts';
import { oracleDiff, reliabilityScenario } from './support.ts';

/** Moments to die at, in order; each run resumes from what the previous one committed. */
const crashPlan: Array<{ crashAt?: string; killAfterMs?: number }> = [
  { crashAt: 'after-batch:2' }, // mid-window: records counted, nothing closed yet
  { crashAt: 'after-sink-write:1' }, // sinks hold a window, its offsets are not committed
  { crashAt: 'mid-text-append:1' }, // inside the text file's append
  { crashAt: 'after-commit:1' }, // right after a commit
  { killAfterMs: 30 }, // an outside kill -9 at an arbitrary moment
  { crashAt: 'after-sink-write:1' },
  { crashAt: 'mid-text-append:1' },
  { crashAt: 'after-commit:1' },
];

// A killed member stays in the group until its session times out, and the next member's join
// waits for that: the broker's minimum (6 s) keeps each restart short.
const fastSession = { SALESFLOW_SESSION_TIMEOUT_MS: '6000' };

async function consumeOnce(file: string, step: { crashAt?: string; killAfterMs?: number }): Promise<CliResult> {
  const env = step.crashAt ? { ...fastSession, SALESFLOW_CRASH_AT: step.crashAt } : fastSession;
  const { child, result } = startCli([file, 'consume', '--drain', '--quiet'], env);
  if (step.killAfterMs !== undefined) {
    // Counted from the moment the consumer owns its partitions, so the kill lands mid-work.
    const killAfter = step.killAfterMs;
    child.stderr?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('partitions assigned')) {
        const timer = setTimeout(() => child.kill('SIGKILL'), killAfter);
        void result.then(() => clearTimeout(timer));
      }
    });
  }
  return result;
}

test('kill -9 at eight moments then a restart leaves exactly the results of an uninterrupted run', async () => {
  const crashed = reliabilityScenario({ count: 12_000, rate: 4_000 });
  const produced = await runCli([crashed.file, 'produce', '--quiet']);
  assert.equal(produced.code, 0, produced.stderr);

  let kills = 0;
  const outcomes: string[] = [];
  for (const step of crashPlan) {
    // Fresh records before every run, so that every run has windows left to write and dies
    // with work in hand rather than after finishing.
    const more = await runCli([crashed.file, 'produce', '--quiet', '--set', 'producer.count=3000', '--set', 'producer.rate=0']);
    assert.equal(more.code, 0, more.stderr);
    const outcome = await consumeOnce(crashed.file, step);
    outcomes.push(`${step.crashAt ?? `kill after ${step.killAfterMs} ms`}: ${outcome.signal ?? `exit ${outcome.code}`}`);
    if (outcome.signal === 'SIGKILL') kills++;
    else assert.equal(outcome.code, 0, `a run that was not killed must finish cleanly: ${outcome.stderr}`);
  }
  assert.ok(kills >= 6, `at least 6 of the ${crashPlan.length} runs must have been killed: ${outcomes.join(', ')}`);

  const finished = await runCli([crashed.file, 'consume', '--drain', '--quiet'], fastSession);
  assert.equal(finished.code, 0, finished.stderr);
  assert.deepEqual(oracleDiff(crashed), []);

  // The reference: the same topic read by another group in one uninterrupted run.
  const reference = reliabilityScenario({ count: 0, rate: 0, topic: crashed.topic });
  const uninterrupted = await runCli([reference.file, 'consume', '--drain', '--quiet']);
  assert.equal(uninterrupted.code, 0, uninterrupted.stderr);
  assert.deepEqual(oracleDiff(reference), []);
  assert.ok(textLines(reference.dir).length > 0);
  assert.deepEqual(textLines(crashed.dir), textLines(reference.dir));
});
