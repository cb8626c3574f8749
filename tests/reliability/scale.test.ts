/**
 * Scale out and in during a live run: a second and a third consumer join the group, one leaves
 * cleanly (Ctrl-C) and one is killed (kill -9), while the producer keeps writing. Every rebalance
 * rebuilds the window state from the committed offsets; the results must equal the oracle.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, startCli } from '../support/cli.ts';
import { sqliteRows } from '../support/pipeline-results.ts';
import { oracleDiff, reliabilityScenario } from './support.ts';

const fastSession = { SALESFLOW_SESSION_TIMEOUT_MS: '6000' };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('consumers joining, leaving and being killed mid-run still give exactly the oracle results', async (t) => {
  const scenario = reliabilityScenario({ count: 36_000, rate: 3_000 });
  const first = startCli([scenario.file, 'consume', '--quiet'], fastSession);
  // A failed assertion must not leave members running (they would keep the test file alive).
  const started = [first];
  t.after(() => {
    for (const { child } of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await sleep(1_500);
  const producer = startCli([scenario.file, 'produce', '--quiet']);
  started.push(producer);
  await sleep(2_000);
  const second = startCli([scenario.file, 'consume', '--quiet'], fastSession);
  started.push(second);
  await sleep(2_000);
  const third = startCli([scenario.file, 'consume', '--quiet'], fastSession);
  started.push(third);
  // A member still loading on a busy machine would die of the signal instead of leaving.
  await Promise.all([sleep(3_000), second.stderrMatches(/joined group/)]);
  second.child.kill('SIGINT'); // leaves the group cleanly
  const secondDone = await second.result;
  assert.equal(secondDone.code, 0, secondDone.stderr);
  await sleep(1_500);
  third.child.kill('SIGKILL'); // vanishes: the group notices after the session timeout
  const produced = await producer.result;
  assert.equal(produced.code, 0, produced.stderr);
  await sleep(1_000);
  first.child.kill('SIGINT');
  const firstDone = await first.result;
  assert.equal(firstDone.code, 0, firstDone.stderr);
  assert.ok(/joined group/.test(secondDone.stderr) && (await third.result).signal === 'SIGKILL');

  // Whatever is left open (the last windows, the killed member's uncommitted work) is finished
  // by one more member of the same group reading to the end.
  const last = await runCli([scenario.file, 'consume', '--drain', '--quiet'], fastSession);
  assert.equal(last.code, 0, last.stderr);
  assert.ok(sqliteRows(scenario.dir).length > 0);
  assert.deepEqual(oracleDiff(scenario), []);
});
