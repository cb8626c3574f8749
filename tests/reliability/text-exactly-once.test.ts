/**
 * The text file is exactly-once across kill -9 (issue 7, item 1): killed in the middle of an
 * append (a torn last line) and right after a sink write before the offset commit (windows the
 * restart writes again), the file still ends up equal, line for line, to the file of an
 * uninterrupted run over the same topic.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../support/cli.ts';
import { textLines } from '../support/pipeline-results.ts';
import { oracleDiff, reliabilityScenario } from './support.ts';

/**
 * A killed member stays in the group until its session times out, and the restart's join waits
 * for that: 6 s (the broker's minimum) instead of 30 keeps the test short.
 */
const shortSession = { SALESFLOW_SESSION_TIMEOUT_MS: '6000' };

function acknowledgedBytes(dir: string): number {
  const progress = JSON.parse(readFileSync(join(dir, 'out/customers.txt.progress'), 'utf8')) as { bytes: number };
  return progress.bytes;
}

test('kill -9 mid-append and before a commit, then a restart, leave the text file of an uninterrupted run', async () => {
  const crashed = reliabilityScenario({ count: 12_000, rate: 4_000 });
  const produced = await runCli([crashed.file, 'produce', '--quiet']);
  assert.equal(produced.code, 0, produced.stderr);

  // The reference: the same topic read by another group, in one uninterrupted run.
  const reference = reliabilityScenario({ count: 12_000, rate: 4_000, topic: crashed.topic });
  const uninterrupted = await runCli([reference.file, 'consume', '--drain', '--quiet']);
  assert.equal(uninterrupted.code, 0, uninterrupted.stderr);
  assert.ok(textLines(reference.dir).length > 0);

  // Killed inside the second append: part of its lines are in the file, unacknowledged.
  const torn = await runCli([crashed.file, 'consume', '--drain', '--quiet'], { ...shortSession, SALESFLOW_CRASH_AT: 'mid-text-append:2' });
  assert.equal(torn.signal, 'SIGKILL', torn.stderr);
  const textPath = join(crashed.dir, 'out/customers.txt');
  assert.ok(statSync(textPath).size > acknowledgedBytes(crashed.dir), 'the kill left half an append behind');

  // Killed after the sinks hold the remaining windows, before the commit: the restart re-emits them.
  const uncommitted = await runCli([crashed.file, 'consume', '--drain', '--quiet'], { ...shortSession, SALESFLOW_CRASH_AT: 'after-sink-write:1' });
  assert.equal(uncommitted.signal, 'SIGKILL', uncommitted.stderr);
  assert.match(uncommitted.stderr, /text sink dropped an unfinished append left by a crash/);

  const finished = await runCli([crashed.file, 'consume', '--drain', '--quiet'], shortSession);
  assert.equal(finished.code, 0, finished.stderr);
  assert.deepEqual(textLines(crashed.dir), textLines(reference.dir));
  assert.equal(readFileSync(textPath, 'utf8'), readFileSync(join(reference.dir, 'out/customers.txt'), 'utf8'), 'byte for byte, no torn line');
  assert.deepEqual(oracleDiff(crashed), []);
});
