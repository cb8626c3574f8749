/**
 * A sink slower than the group session timeout (issue 7, item 7). The sink writer's test hook
 * SALESFLOW_SINK_DELAY_MS makes every window take 2.5 s to write, and SALESFLOW_SESSION_TIMEOUT_MS
 * lowers the session timeout to 6 s (the broker's minimum): one window is written well within
 * the timeout, but a batch closing three or more windows takes longer than it. Without heartbeats
 * during the write the member is evicted, rejoins, replays, is evicted again: a rebalance storm.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../support/cli.ts';
import { windowOracle } from '../support/window-oracle.ts';
import { salesInTopic, textLines } from '../support/pipeline-results.ts';
import { oracleDiff, reliabilityScenario } from './support.ts';

const sessionTimeoutMs = 6_000;
const delayPerWindowMs = 2_500;

test('a sink slower than the session timeout per batch keeps one group membership and writes exactly the oracle', async () => {
  const scenario = reliabilityScenario({ count: 16_000, rate: 4_000 });
  const produced = await runCli([scenario.file, 'produce', '--quiet']);
  assert.equal(produced.code, 0, produced.stderr);
  const expected = windowOracle(salesInTopic(scenario.topic).valid, scenario.settings);
  const windowsWithRows = new Set(expected.map((row) => row.end)).size;
  // Drain closes all but the last window or two in the first batch's write.
  assert.ok((windowsWithRows - 2) * delayPerWindowMs > sessionTimeoutMs, `only ${windowsWithRows} windows: the write would not outlast the session`);

  const startedAt = Date.now();
  const consumed = await runCli([scenario.file, 'consume', '--drain', '--quiet'], {
    SALESFLOW_SESSION_TIMEOUT_MS: String(sessionTimeoutMs),
    SALESFLOW_SINK_DELAY_MS: String(delayPerWindowMs),
  });
  const tookMs = Date.now() - startedAt;
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.ok(tookMs >= windowsWithRows * delayPerWindowMs, `the delay hook was applied (took ${tookMs} ms)`);
  assert.equal(consumed.stderr.match(/joined group/g)?.length, 1, `one join, no rebalance:\n${consumed.stderr}`);
  assert.doesNotMatch(consumed.stderr, /commit refused|not aware of this member|rebalanc/i);
  assert.deepEqual(oracleDiff(scenario), []);
  assert.equal(textLines(scenario.dir).length, expected.length);
});
