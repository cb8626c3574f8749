/**
 * Shared by the reliability tests: a pipeline scenario on a fresh topic, and the oracle check —
 * a batch recomputation over everything in the topic, diffed against what the sinks hold,
 * reporting missing / extra / wrong rows.
 */
import { tempDir, uniqueName, writePipeline } from '../support/cli.ts';
import { testPipelineYaml } from '../support/pipeline-file.ts';
import { deadLetteredLate, salesInTopic, sqliteRows } from '../support/pipeline-results.ts';
import { diffRows, windowOracle } from '../support/window-oracle.ts';

export interface ScenarioSettings {
  length: number;
  slide: number;
  threshold: number;
}

/** Short windows; lateness and idleness generous enough that nothing is late in a healthy run. */
export const reliabilityWindows: ScenarioSettings = { length: 2_000, slide: 1_000, threshold: 150 };

export interface Scenario {
  dir: string;
  file: string;
  topic: string;
  group: string;
  settings: ScenarioSettings;
}

/** A pipeline file in a fresh folder, on a fresh topic and group. */
export function reliabilityScenario(options: { count: number | null; rate: number; topic?: string } = { count: 20_000, rate: 0 }): Scenario {
  const dir = tempDir('salesflow-rel-');
  const topic = options.topic ?? uniqueName('rel');
  const group = uniqueName('rel-group');
  const settings = reliabilityWindows;
  const file = writePipeline(
    dir,
    testPipelineYaml({
      name: 'reliability',
      topic,
      group,
      producer: { rate: options.rate, count: options.count, seed: 11 },
      window: { length: settings.length, slide: settings.slide, allowedLateness: '500ms', idleTimeout: '5s' },
      threshold: settings.threshold,
    }),
  );
  return { dir, file, topic, group, settings };
}

/** The oracle's diff against the SQLite sink: [] when they agree. */
export function oracleDiff(scenario: Scenario, exclude: Set<string> = deadLetteredLate(scenario.topic)): string[] {
  const { valid } = salesInTopic(scenario.topic, exclude);
  return diffRows(windowOracle(valid, scenario.settings), sqliteRows(scenario.dir));
}
