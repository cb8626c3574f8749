/**
 * The rules JSON Schema cannot express: relations between values (slide <= length, unique sink
 * files), the sale schema's fields, Kafka's topic rules, secrets kept out of the file. They run
 * even when the schema found problems, reading only values that have the right type, so all
 * errors come in one report.
 */
import { resolve } from 'node:path';
import { type ConfigPath, formatConfigPath, isRecord, valueAt } from './config-path.ts';
import { formatDuration, parseDuration } from './durations.ts';
import { type EnvTemplates } from './env.ts';
import { loadSaleSchema, type SaleFieldSchema, type SaleSchema } from './sale-schema.ts';
import { closestMatch, quoteList } from './wording.ts';
import { type PendingIssue } from './yaml-locator.ts';

/** What the rules need besides the data. */
export interface SemanticContext {
  /** The pipeline file's folder: relative paths resolve against it. */
  baseDir: string;
  /** Values as written before env substitution (see env.ts). */
  templates: EnvTemplates;
}

/** The issues found, and the sale schema when it could be loaded. */
export interface SemanticResult {
  issues: PendingIssue[];
  saleSchema?: SaleSchema;
}

const maxTopicLength = 249;
const validTopic = /^[a-zA-Z0-9._-]{1,249}$/;
const environmentReference = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;

/** Checks the cross-field rules on validated (possibly still invalid) data. */
export async function checkSemanticRules(data: unknown, context: SemanticContext): Promise<SemanticResult> {
  const issues: PendingIssue[] = [];
  const report = (path: ConfigPath, message: string): void => void issues.push({ path, message });
  checkWindow(data, report);
  checkTopics(data, report);
  checkSinkFiles(data, context.baseDir, report);
  checkSecrets(data, context.templates, report);
  const saleSchema = await checkSaleSchema(data, context.baseDir, report);
  return saleSchema === undefined ? { issues } : { issues, saleSchema };
}

type Report = (path: ConfigPath, message: string) => void;

function durationAt(data: unknown, path: ConfigPath): number | undefined {
  const value = valueAt(data, path);
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  try {
    return parseDuration(value);
  } catch {
    return undefined; // the schema already reported it
  }
}

function stringAt(data: unknown, path: ConfigPath): string | undefined {
  const value = valueAt(data, path);
  return typeof value === 'string' ? value : undefined;
}

function checkWindow(data: unknown, report: Report): void {
  // allowedLateness may be 0 (no lateness); the others must leave time for something to happen.
  for (const key of ['length', 'slide', 'idleTimeout']) {
    const ms = durationAt(data, ['window', key]);
    if (ms === 0) report(['window', key], `must be a positive duration, got ${formatDuration(ms)}`);
  }
  const length = durationAt(data, ['window', 'length']);
  const slide = durationAt(data, ['window', 'slide']);
  if (length !== undefined && length > 0 && slide !== undefined && slide > length) {
    report(['window', 'slide'], `must not be longer than window.length (${formatDuration(length)}), got ${formatDuration(slide)}`);
  }
}

function checkTopics(data: unknown, report: Report): void {
  const topic = stringAt(data, ['source', 'topic']);
  const deadLetterTopic = stringAt(data, ['source', 'deadLetterTopic']);
  for (const [key, name] of [['topic', topic], ['deadLetterTopic', deadLetterTopic]] as const) {
    if (name === '.' || name === '..') report(['source', key], `must not be "." or "..", Kafka reserves them`);
  }
  if (topic === undefined || !validTopic.test(topic)) return;
  if (deadLetterTopic === topic) report(['source', 'deadLetterTopic'], 'must differ from source.topic');
  if (deadLetterTopic === undefined && topic.length + '.dlq'.length > maxTopicLength) {
    report(['source', 'topic'], `is too long to add ".dlq" for the dead-letter topic (at most ${maxTopicLength} characters): shorten it or set source.deadLetterTopic`);
  }
}

function checkSinkFiles(data: unknown, baseDir: string, report: Report): void {
  const sinks = valueAt(data, ['sinks']);
  if (!Array.isArray(sinks)) return;
  const firstUse = new Map<string, number>();
  sinks.forEach((sink: unknown, index) => {
    const path = isRecord(sink) ? sink['path'] : undefined;
    if (typeof path !== 'string' || path === '') return;
    const absolute = resolve(baseDir, path);
    const first = firstUse.get(absolute);
    if (first === undefined) firstUse.set(absolute, index);
    else report(['sinks', index, 'path'], `same file as sinks[${first}].path: each sink needs its own file`);
  });
}

function checkSecrets(data: unknown, templates: EnvTemplates, report: Report): void {
  const path: ConfigPath = ['broker', 'sasl', 'password'];
  if (typeof valueAt(data, path) !== 'string') return;
  const written = templates.get(formatConfigPath(path));
  if (written === undefined || !environmentReference.test(written)) {
    report(path, 'must come from the environment, not be written in the file: write "${KAFKA_PASSWORD}" (any variable name) and set it');
  }
}

/** How a field is used, and which sale-schema types make sense for that use. */
interface FieldUse {
  path: ConfigPath;
  accepts: (field: SaleFieldSchema) => boolean;
  expected: string;
}

const keyTypes = (field: SaleFieldSchema): boolean => typesOf(field).length > 0 && typesOf(field).every((type) => type === 'string' || type === 'integer');
const fieldUses: readonly FieldUse[] = [
  { path: ['source', 'key'], accepts: keyTypes, expected: 'a string or integer field' },
  { path: ['aggregate', 'groupBy'], accepts: keyTypes, expected: 'a string or integer field' },
  {
    path: ['source', 'eventTime'],
    accepts: (field) => sameTypes(field, ['integer']) || (sameTypes(field, ['string']) && field.format === 'date-time'),
    expected: 'an integer field (epoch ms) or a string field with "format": "date-time"',
  },
  {
    path: ['aggregate', 'sum'],
    accepts: (field) => typesOf(field).length > 0 && typesOf(field).every((type) => type === 'number' || type === 'integer'),
    expected: 'a number or integer field',
  },
];

async function checkSaleSchema(data: unknown, baseDir: string, report: Report): Promise<SaleSchema | undefined> {
  const written = stringAt(data, ['source', 'schema']);
  if (written === undefined || written === '') return undefined;
  const loaded = await loadSaleSchema(resolve(baseDir, written));
  if ('problem' in loaded) {
    report(['source', 'schema'], loaded.problem);
    return undefined;
  }
  const schema = loaded.schema;
  const fields = Object.keys(schema.properties);
  for (const use of fieldUses) {
    const name = stringAt(data, use.path);
    if (name === undefined || name === '') continue;
    const field = schema.properties[name];
    if (field === undefined) {
      const suggestion = closestMatch(name, fields);
      const hint = suggestion === undefined ? `expected one of ${quoteList(fields)}` : `did you mean "${suggestion}"?`;
      report(use.path, `"${name}" is not a field of the sale schema, ${hint}`);
    } else if (!use.accepts(field)) {
      report(use.path, `field "${name}" is ${describeField(field)} in the sale schema, expected ${use.expected}`);
    } else if (!(schema.required ?? []).includes(name)) {
      report(use.path, `field "${name}" is optional in the sale schema: list it in the schema's "required"`);
    }
  }
  return schema;
}

function typesOf(field: SaleFieldSchema): string[] {
  if (field.type === undefined) return [];
  return Array.isArray(field.type) ? field.type : [field.type];
}

function sameTypes(field: SaleFieldSchema, expected: readonly string[]): boolean {
  const types = typesOf(field);
  return types.length === expected.length && types.every((type) => expected.includes(type));
}

function describeField(field: SaleFieldSchema): string {
  const types = typesOf(field);
  if (types.length === 0) return 'untyped';
  const format = field.format === undefined ? '' : ` (format ${field.format})`;
  return `of type ${types.join(' or ')}${format}`;
}
