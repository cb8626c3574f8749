/**
 * Shared by the reliability tests: a pipeline scenario on a fresh topic, and the oracle check —
 * a batch recomputation over everything in the topic, diffed against what the sinks hold,
 * reporting missing / extra / wrong rows.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { compileSaleValidator } from '../../src/runtime/record-decoder.ts';
import { readTopicWithKcat, tempDir, uniqueName, writePipeline } from '../support/cli.ts';
import { diffRows, windowOracle, type OracleRecord, type OracleRow } from '../support/window-oracle.ts';

const saleSchema = JSON.parse(readFileSync(new URL('../../schemas/sale.schema.json', import.meta.url), 'utf8')) as object;

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
export function reliabilityScenario(options: { count: number | null; rate: number; topic?: string; extraSource?: string } = { count: 20_000, rate: 0 }): Scenario {
  const dir = tempDir('salesflow-rel-');
  const topic = options.topic ?? uniqueName('rel');
  const group = uniqueName('rel-group');
  const settings = reliabilityWindows;
  const file = writePipeline(
    dir,
    `name: reliability
source:
  topic: ${topic}
  partitions: 3
  schema: ${join(process.cwd(), 'schemas/sale.schema.json')}
  group: ${group}
  eventTime: timestamp
${options.extraSource ?? ''}
producer:
  rate: ${options.rate}
  count: ${options.count === null ? 'null' : options.count}
  customers: 40
  seed: 11
window:
  length: ${settings.length}ms
  slide: ${settings.slide}ms
  allowedLateness: 500ms
  idleTimeout: 5s
aggregate:
  groupBy: customerName
  sum: quantity
  threshold: ${settings.threshold}
sinks:
  - type: text
    path: out/customers.txt
  - type: sqlite
    path: out/results.db
    table: high_volume_customers
monitor:
  port: 0
`,
  );
  return { dir, file, topic, group, settings };
}

/** The rows the SQLite sink holds. */
export function sqliteRows(dir: string): OracleRow[] {
  const path = join(dir, 'out/results.db');
  if (!existsSync(path)) return [];
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare('SELECT window_start AS start, window_end AS "end", key, total, count FROM high_volume_customers ORDER BY window_end, key')
      .all() as OracleRow[];
  } finally {
    db.close();
  }
}

/** The text sink's file, as lines. */
export function textLines(dir: string): string[] {
  const path = join(dir, 'out/customers.txt');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((line) => line.length > 0);
}

/** Source positions (`partition@offset`) the dead-letter topic lists with reason `late`. */
export function deadLetteredLate(topic: string): Set<string> {
  return new Set(
    readTopicWithKcat(`${topic}.dlq`)
      .filter((letter) => /salesflow\.reason=late/.test(letter.headers))
      .map((letter) => {
        const partition = /salesflow\.source\.partition=(\d+)/.exec(letter.headers)?.[1];
        const offset = /salesflow\.source\.offset=(\d+)/.exec(letter.headers)?.[1];
        return `${partition}@${offset}`;
      }),
  );
}

/** Valid sales in the topic (minus `exclude`), and how many records were not valid sales. */
export function salesInTopic(topic: string, exclude: Set<string> = new Set()): { valid: OracleRecord[]; invalid: number; saleIds: string[] } {
  const validate = compileSaleValidator(saleSchema);
  const valid: OracleRecord[] = [];
  const saleIds: string[] = [];
  let invalid = 0;
  for (const { partition, offset, value } of readTopicWithKcat(topic)) {
    let sale: unknown;
    try {
      sale = JSON.parse(value);
    } catch {
      invalid++;
      continue;
    }
    if (!validate(sale)) {
      invalid++;
      continue;
    }
    const { saleId, customerName, quantity, timestamp } = sale as { saleId: string; customerName: string; quantity: number; timestamp: number };
    saleIds.push(saleId);
    if (exclude.has(`${partition}@${offset}`)) continue;
    valid.push({ key: customerName, amount: quantity, eventTime: timestamp });
  }
  return { valid, invalid, saleIds };
}

/** The oracle's diff against the SQLite sink: [] when they agree. */
export function oracleDiff(scenario: Scenario, exclude: Set<string> = deadLetteredLate(scenario.topic)): string[] {
  const { valid } = salesInTopic(scenario.topic, exclude);
  return diffRows(windowOracle(valid, scenario.settings), sqliteRows(scenario.dir));
}
