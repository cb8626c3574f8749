/**
 * schemas/pipeline.schema.json, loaded once: the single source of truth for the YAML's shape.
 * Ajv validates with it, `--set` paths are checked against it, and the TypeScript types are
 * generated from it (see generate-types.ts).
 */
import { readFileSync } from 'node:fs';
import { type ConfigPath } from './config-path.ts';
import { closestMatch, quoteList } from './wording.ts';

/** The subset of JSON Schema keywords this code reads. */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  examples?: unknown[];
  description?: string;
  /** Our annotation: how a message names what a pattern or an anyOf expects. */
  'x-expected'?: string;
  [keyword: string]: unknown;
}

/** Where the schema file lives; also what the generated types are made from. */
export const pipelineSchemaUrl = new URL('../../schemas/pipeline.schema.json', import.meta.url);

/** The parsed pipeline schema. */
export const pipelineSchema = JSON.parse(readFileSync(pipelineSchemaUrl, 'utf8')) as JsonSchema;

/** Follows a local `$ref` (`#/$defs/textSink`); other schemas are returned as they are. */
export function resolveSchemaRef(schema: JsonSchema): JsonSchema {
  if (schema.$ref === undefined) return schema;
  let target: unknown = pipelineSchema;
  for (const part of schema.$ref.replace(/^#\//, '').split('/')) {
    target = (target as Record<string, unknown> | undefined)?.[part];
  }
  if (target === undefined) throw new Error(`pipeline schema: unresolved $ref ${schema.$ref}`);
  return resolveSchemaRef(target as JsonSchema);
}

/** The alternatives a value may take under `schema` (itself, or its anyOf/oneOf branches). */
export function schemaAlternatives(schema: JsonSchema): JsonSchema[] {
  const resolved = resolveSchemaRef(schema);
  const branches = resolved.anyOf ?? resolved.oneOf;
  if (branches === undefined) return [resolved];
  return [resolved, ...branches.flatMap(schemaAlternatives)];
}

/** Why `path` cannot exist in a pipeline file, or undefined when the schema allows it. */
export function explainUnknownPath(path: ConfigPath): { path: ConfigPath; message: string } | undefined {
  let schemas = [pipelineSchema];
  for (const [index, segment] of path.entries()) {
    const alternatives = schemas.flatMap(schemaAlternatives);
    if (typeof segment === 'number') {
      schemas = alternatives.flatMap((schema) => (schema.items === undefined ? [] : [schema.items]));
      if (schemas.length === 0) return { path: path.slice(0, index), message: 'is not a list, so it has no [index]' };
      continue;
    }
    const keys = [...new Set(alternatives.flatMap((schema) => Object.keys(schema.properties ?? {})))];
    if (keys.length === 0) return { path: path.slice(0, index), message: `has no keys, so it has no .${segment}` };
    schemas = alternatives.flatMap((schema) => {
      const property = schema.properties?.[segment];
      return property === undefined ? [] : [property];
    });
    if (schemas.length === 0) return { path: path.slice(0, index + 1), message: unknownKeyMessage(segment, keys) };
  }
  return undefined;
}

/** `unknown key, did you mean "window"?`, or the list of keys when nothing is close. */
export function unknownKeyMessage(key: string, allowed: readonly string[]): string {
  const suggestion = closestMatch(key, allowed);
  return suggestion === undefined
    ? `unknown key, expected one of ${quoteList(allowed)}`
    : `unknown key, did you mean "${suggestion}"?`;
}
