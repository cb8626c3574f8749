/**
 * The whole pipeline as a user runs it: the real CLI, the real broker, real SQLite and text files,
 * and kcat as the independent reader. The oracle recomputes every window from what is in the topic.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { produceWithKcat, readTopicWithKcat, runCli, startCli, tempDir, uniqueName, writePipeline } from '../support/cli.ts';
import { testPipelineYaml } from '../support/pipeline-file.ts';
import { dataClientNames } from '../../src/broker/data-clients.ts';
import { deadLetteredLate, salesInTopic, sqliteRows, textLines } from '../support/pipeline-results.ts';
import { diffRows, windowOracle } from '../support/window-oracle.ts';
const windowSettings = { length: 2_000, slide: 1_000, threshold: 150 };

interface Scenario {
  dir: string;
  file: string;
  topic: string;
  group: string;
}

function scenario(client: string): Scenario {
  const dir = tempDir('salesflow-e2e-');
  const topic = uniqueName('sales');
  const group = uniqueName('group');
  const file = writePipeline(
    dir,
    testPipelineYaml({
      name: 'e2e',
      topic,
      group,
      producer: { rate: 5000, count: 12000, seed: 7 },
      window: { ...windowSettings, allowedLateness: '200ms', idleTimeout: '1s' },
      threshold: windowSettings.threshold,
      client,
    }),
  );
  return { dir, file, topic, group };
}

/** The end-to-end tests run on both client libraries (src/broker/data-clients.ts). */
for (const client of dataClientNames) {
  describe(`with broker.client ${client}`, () => {
    test('a seeded produce run then consume --drain writes exactly the oracle rows to SQLite and the text file', async () => {
      const { dir, file, topic } = scenario(client);
      const produced = await runCli([file, 'produce', '--quiet']);
      assert.equal(produced.code, 0, produced.stderr);
      const consumed = await runCli([file, 'consume', '--drain', '--quiet']);
      assert.equal(consumed.code, 0, consumed.stderr);

      const { valid, invalid } = salesInTopic(topic);
      assert.equal(valid.length, 12_000);
      assert.equal(invalid, 0);
      const expected = windowOracle(valid, windowSettings);
      assert.ok(expected.length > 0, 'the scenario must produce rows over the threshold');
      assert.deepEqual(diffRows(expected, sqliteRows(dir)), []);
      const lines = textLines(dir);
      assert.equal(lines.length, expected.length);
      const firstRow = expected[0];
      assert.ok(firstRow);
      assert.ok(
        lines.some((line) => line.includes(`Name: '${firstRow.key}' : Quantity '${firstRow.total}'.`)),
        'the text file holds the rows in the original layout',
      );
    });

    test('records produced by kcat, invalid ones included, give the oracle results and a complete dead-letter topic', async () => {
      const { dir, file, topic } = scenario(client);
      // The topic is created by a first consume (it has nothing to read yet); then kcat writes.
      const warmUp = await runCli([file, 'consume', '--drain', '--quiet']);
      assert.equal(warmUp.code, 0, warmUp.stderr);
      const base = Date.now();
      const lines: string[] = [];
      const names = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Edsger Dijkstra'];
      for (let i = 0; i < 3_000; i++) {
        const name = names[i % names.length] ?? 'x';
        const sale = { saleId: crypto.randomUUID(), customerName: name, quantity: (i * 37) % 500, value: 9.99, timestamp: base + i };
        lines.push(`${name}\t${JSON.stringify(sale)}`);
      }
      const invalidLines = [
        'Ada Lovelace\tnot json at all',
        'Ada Lovelace\t{"saleId":"x","customerName":"Ada Lovelace","quantity":"many","value":1,"timestamp":1}',
        'Grace Hopper\t{"customerName":"Grace Hopper","quantity":-5,"value":1,"timestamp":1}',
        'Alan Turing\t[]',
      ];
      produceWithKcat(topic, [...lines.slice(0, 1500), ...invalidLines, ...lines.slice(1500)]);

      const consumed = await runCli([file, 'consume', '--drain', '--quiet']);
      assert.equal(consumed.code, 0, consumed.stderr);
      const { valid, invalid } = salesInTopic(topic);
      assert.equal(valid.length, 3_000);
      assert.equal(invalid, invalidLines.length);
      assert.deepEqual(diffRows(windowOracle(valid, windowSettings), sqliteRows(dir)), []);

      const deadLetters = readTopicWithKcat(`${topic}.dlq`);
      assert.equal(deadLetters.length, invalidLines.length);
      for (const letter of deadLetters) {
        assert.match(letter.headers, /salesflow\.reason=(not-json|schema)/);
        assert.match(letter.headers, new RegExp(`salesflow\\.source\\.topic=${topic}`));
      }
      assert.deepEqual(
        deadLetters.map((letter) => letter.value).sort(),
        invalidLines.map((line) => line.split('\t')[1]).sort(),
      );
    });

    test('two consumers in one group together write what one consumer writes', async () => {
      const one = scenario(client);
      assert.equal((await runCli([one.file, 'produce', '--quiet'])).code, 0);
      const two = scenario(client); // another group and results folder, pointed at the first topic below
      // Point the second scenario at the first one's topic with --set.
      const settings = ['--set', `source.topic=${one.topic}`];
      const [a, b] = await Promise.all([
        runCli([two.file, 'consume', '--drain', '--quiet', ...settings]),
        runCli([two.file, 'consume', '--drain', '--quiet', ...settings]),
      ]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      assert.equal((await runCli([one.file, 'consume', '--drain', '--quiet'])).code, 0);
      const single = sqliteRows(one.dir);
      assert.ok(single.length > 0);
      assert.deepEqual(diffRows(single, sqliteRows(two.dir)), []);
    });

    test('run writes rows and Ctrl-C exits 0 with committed offsets matching what the sinks hold', async () => {
      const { dir, file, topic } = scenario(client);
      const { child, result } = startCli([file, '--quiet', '--set', 'producer.count=null', '--set', 'producer.rate=2000']);
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        try {
          if (sqliteRows(dir).length > 0) break;
        } catch {
          // the database does not exist yet
        }
      }
      child.kill('SIGINT');
      const finished = await result;
      assert.equal(finished.code, 0, finished.stderr);
      assert.match(finished.stderr, /stopped cleanly/);
      assert.ok(sqliteRows(dir).length > 0, 'run wrote rows before Ctrl-C');

      // If the commits had run ahead of the sinks, windows would now be missing; resuming from them
      // must complete the results to exactly the oracle over everything in the topic (late records,
      // which the dead-letter topic lists, excluded).
      const resumed = await runCli([file, 'consume', '--drain', '--quiet']);
      assert.equal(resumed.code, 0, resumed.stderr);
      const { valid } = salesInTopic(topic, deadLetteredLate(topic));
      assert.deepEqual(diffRows(windowOracle(valid, windowSettings), sqliteRows(dir)), []);
    });
  });
}
