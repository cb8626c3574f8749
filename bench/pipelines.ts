/**
 * The pipeline files the bench runs with: one per scenario, written to a scratch folder under
 * results/ (git-ignored), each with its own topic, group and sinks so runs cannot disturb each
 * other or a user's pipeline. The sale schema is the project's.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const saleSchema = fileURLToPath(new URL('../schemas/sale.schema.json', import.meta.url));

/** What differs between the bench's pipelines. */
export interface BenchPipeline {
  name: string;
  topic: string;
  partitions: number;
  window: { length: string; slide: string; allowedLateness: string };
  threshold: number;
  producer?: { rate?: number; count?: number; customers?: number; packing?: number };
  /** `broker.client`: one client name for both roles, or one per role; the schema's default when absent. */
  client?: string | { producer?: string; consumer?: string };
}

/** Writes `<dir>/<name>.yaml` (sinks in `<dir>/<name>/`) and returns its path. */
export function writePipeline(dir: string, pipeline: BenchPipeline): string {
  mkdirSync(join(dir, pipeline.name), { recursive: true });
  const producer = pipeline.producer ?? {};
  const yaml = `# written by bench/run.ts
name: ${pipeline.name}
${pipeline.client === undefined ? '' : `broker:\n  client: ${JSON.stringify(pipeline.client)}\n`}source:
  topic: ${pipeline.topic}
  partitions: ${pipeline.partitions}
  schema: ${JSON.stringify(saleSchema)}
  eventTime: timestamp
producer:
  rate: ${producer.rate ?? 0}
  count: ${producer.count ?? 'null'}
  customers: ${producer.customers ?? 1000}
  packing: ${producer.packing ?? 1}
window:
  length: ${pipeline.window.length}
  slide: ${pipeline.window.slide}
  allowedLateness: ${pipeline.window.allowedLateness}
  idleTimeout: 10s
aggregate:
  threshold: ${pipeline.threshold}
sinks:
  - type: text
    path: ${pipeline.name}/customers.txt
  - type: sqlite
    path: ${pipeline.name}/results.db
    table: high_volume_customers
monitor:
  port: 0
`;
  const file = join(dir, `${pipeline.name}.yaml`);
  writeFileSync(file, yaml);
  return file;
}
