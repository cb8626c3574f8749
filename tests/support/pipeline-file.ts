/**
 * The pipeline file the end-to-end and reliability tests run: a fresh topic and group, short
 * windows, a small skewed customer pool, and the sinks under `out/` next to the file. Each test
 * states only what it varies.
 */
import { join } from 'node:path';
import { projectRoot } from './cli.ts';

export interface TestPipelineOptions {
  name: string;
  topic: string;
  group: string;
  producer: { rate: number; count: number | null; seed: number; /** Extra producer keys, e.g. `packing: 20`. */ extra?: string[] };
  /** Window length and slide in ms; lateness and idleness as YAML durations. */
  window: { length: number; slide: number; allowedLateness: string; idleTimeout: string };
  threshold: number;
  /** Which sinks: text at out/customers.txt, sqlite at out/results.db. Both by default. */
  sinks?: Array<'text' | 'sqlite'>;
  monitor?: { host: string; port: number };
  /** `broker.client` (both roles); the schema's default when absent. */
  client?: string;
}

/** The YAML text of a test pipeline. */
export function testPipelineYaml(options: TestPipelineOptions): string {
  const { producer, window } = options;
  const sinks = options.sinks ?? ['text', 'sqlite'];
  const monitor = options.monitor ? `  host: ${options.monitor.host}\n  port: ${options.monitor.port}` : '  port: 0';
  return `name: ${options.name}
${options.client === undefined ? '' : `broker:\n  client: ${options.client}\n`}source:
  topic: ${options.topic}
  partitions: 3
  schema: ${join(projectRoot, 'schemas/sale.schema.json')}
  group: ${options.group}
  eventTime: timestamp
producer:
  rate: ${producer.rate}
  count: ${producer.count === null ? 'null' : producer.count}
  customers: 40
  seed: ${producer.seed}
${(producer.extra ?? []).map((line) => `  ${line}\n`).join('')}window:
  length: ${window.length}ms
  slide: ${window.slide}ms
  allowedLateness: ${window.allowedLateness}
  idleTimeout: ${window.idleTimeout}
aggregate:
  groupBy: customerName
  sum: quantity
  threshold: ${options.threshold}
sinks:
${sinks.includes('text') ? '  - type: text\n    path: out/customers.txt\n' : ''}${sinks.includes('sqlite') ? '  - type: sqlite\n    path: out/results.db\n    table: high_volume_customers\n' : ''}monitor:
${monitor}
`;
}
