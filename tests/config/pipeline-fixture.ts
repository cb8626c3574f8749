/**
 * Self-contained pipeline fixtures: each test writes its YAML (and a sale schema) into its own
 * temporary folder, removed when the test ends.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type TestContext } from 'node:test';
import { ConfigError } from '../../src/config/errors.ts';
import { type SaleSchema } from '../../src/config/sale-schema.ts';
import { loadPipelineConfig, type LoadPipelineConfigOptions, type PipelineConfig } from '../../src/config/load-config.ts';

/** The default sale schema, as the tests expect it (schemas/sale.schema.json may grow). */
export const saleSchema: SaleSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  required: ['saleId', 'customerName', 'quantity', 'value', 'timestamp'],
  properties: {
    saleId: { type: 'string', format: 'uuid', 'x-faker': 'string.uuid' },
    customerName: { type: 'string', minLength: 1, 'x-faker': 'person.fullName', 'x-pool': 'customers' },
    quantity: { type: 'integer', minimum: 0, maximum: 499 },
    value: { type: 'number', minimum: 0, maximum: 100, multipleOf: 0.01 },
    timestamp: { type: 'integer', minimum: 0, 'x-event-time': true },
    note: { type: 'string' },
    soldAt: { type: 'string', format: 'date-time' },
  },
};

/** A small valid pipeline that most cases edit. */
export const minimalPipeline = `name: sales
source:
  topic: sales
  eventTime: timestamp
aggregate:
  threshold: 100
sinks:
  - type: text
    path: out.txt
`;

/** A temp folder holding `pipeline.yaml`, `schemas/sale.schema.json` and any extra files. */
export async function writePipeline(t: TestContext, yaml: string, files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'salesflow-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const all = { 'schemas/sale.schema.json': JSON.stringify(saleSchema, null, 2), ...files, 'pipeline.yaml': yaml };
  for (const [name, text] of Object.entries(all)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return join(dir, 'pipeline.yaml');
}

/** Writes and loads a pipeline that must be valid. */
export async function loadValid(t: TestContext, yaml: string, options: LoadPipelineConfigOptions = {}, files: Record<string, string> = {}): Promise<PipelineConfig> {
  return loadPipelineConfig(await writePipeline(t, yaml, files), { env: {}, ...options });
}

/** Writes and loads a pipeline that must be invalid; returns `line:col path: message` per issue. */
export async function loadInvalid(t: TestContext, yaml: string, options: LoadPipelineConfigOptions = {}, files: Record<string, string> = {}): Promise<string[]> {
  return issuesOf(await writePipeline(t, yaml, files), options);
}

/** Loads a written pipeline that must be invalid; returns `line:col path: message` per issue. */
export async function issuesOf(file: string, options: LoadPipelineConfigOptions = {}): Promise<string[]> {
  const error = await loadPipelineConfig(file, { env: {}, ...options }).then(
    () => assert.fail('expected a ConfigError'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
  return error.issues.map((issue) => {
    const where = issue.line > 0 ? `${issue.line}:${issue.column}` : issue.file === file ? 'file' : issue.file;
    return issue.path === '' ? `${where} ${issue.message}` : `${where} ${issue.path}: ${issue.message}`;
  });
}
