/**
 * `salesflow <pipeline.yaml> check`: prints the resolved config (durations in ms, env resolved,
 * secrets masked) so a user sees exactly what a run would use. Loading already validated it;
 * run.ts maps a ConfigError to exit code 2.
 */
import { stringify } from 'yaml';
import { isRecord } from './config-path.ts';
import { maskSecrets } from './mask-secrets.ts';
import { type PipelineConfig } from './pipeline-config.ts';
import { type JsonSchema, pipelineSchema, schemaAlternatives } from './pipeline-schema.ts';

/** Writes the resolved config as YAML through `out` (one call with the whole text). */
export function runCheckCommand(config: PipelineConfig, out: (text: string) => void): void {
  const masked: Record<string, unknown> = { ...maskSecrets(config) };
  // The sale schema is printed by reference (source.schema), not inlined: it is its own file.
  masked['source'] = Object.fromEntries(Object.entries(masked['source'] as object).filter(([key]) => key !== 'saleSchema'));
  const header = `# ${config.file}: valid (durations in ms, environment resolved, secrets masked)\n`;
  out(header + stringify(orderLikeSchema(masked, [pipelineSchema]), { lineWidth: 0 }));
}

// Keys in the schema's order (the order of the documented file), whatever order defaults were
// inserted in; keys the schema does not know (file, baseDir) come last.
function orderLikeSchema(value: unknown, schemas: JsonSchema[]): unknown {
  const alternatives = schemas.flatMap(schemaAlternatives);
  if (Array.isArray(value)) {
    const items = alternatives.flatMap((schema) => (schema.items === undefined ? [] : [schema.items]));
    return value.map((item: unknown) => orderLikeSchema(item, items));
  }
  if (!isRecord(value)) return value;
  const known = [...new Set(alternatives.flatMap((schema) => Object.keys(schema.properties ?? {})))];
  const keys = [...known.filter((key) => key in value), ...Object.keys(value).filter((key) => !known.includes(key))];
  return Object.fromEntries(
    keys.map((key) => {
      const child = alternatives.flatMap((schema) => (schema.properties?.[key] === undefined ? [] : [schema.properties[key]]));
      return [key, orderLikeSchema(value[key], child)];
    }),
  );
}
