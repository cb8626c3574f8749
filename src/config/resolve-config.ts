/**
 * The last step of loading: validated YAML data -> PipelineConfig. Only runs once every rule
 * has passed, so it converts without checking.
 */
import { resolve } from 'node:path';
import { parseDuration } from './durations.ts';
import { type ClientChoice, type PipelineConfig, type SinkConfig, type ValidatedPipeline } from './pipeline-config.ts';
import { pipelineSchema } from './pipeline-schema.ts';
import { type SaleSchema } from './sale-schema.ts';

/** Where the pipeline came from, and the sale schema read while checking it. */
export interface ResolveContext {
  file: string;
  baseDir: string;
  saleSchema: SaleSchema;
}

/** Applies the computed defaults, converts durations to ms and makes paths absolute. */
export function resolvePipelineConfig(pipeline: ValidatedPipeline, context: ResolveContext): PipelineConfig {
  const { baseDir } = context;
  const path = (relative: string): string => resolve(baseDir, relative);
  const { ssl } = pipeline.broker;
  const source = pipeline.source;
  const window = pipeline.window;
  return {
    ...pipeline,
    file: context.file,
    baseDir,
    broker: {
      ...pipeline.broker,
      ssl: ssl === false ? false : mapDefined(ssl, path),
      client: resolveClientChoice(pipeline.broker.client),
    },
    source: {
      ...source,
      schema: path(source.schema),
      group: source.group ?? pipeline.name,
      deadLetterTopic: source.deadLetterTopic ?? `${source.topic}.dlq`,
      saleSchema: context.saleSchema,
    },
    window: {
      ...window,
      length: parseDuration(window.length),
      slide: parseDuration(window.slide),
      allowedLateness: parseDuration(window.allowedLateness),
      idleTimeout: parseDuration(window.idleTimeout),
    },
    sinks: pipeline.sinks.map((sink): SinkConfig => ({ ...sink, path: path(sink.path) })),
  };
}

/** The per-role defaults of `broker.client`, from the schema (the single source of truth). */
export const defaultClients = pipelineSchema.properties?.['broker']?.properties?.['client']?.default as ClientChoice;

/** `broker.client` as one name per role: a plain name sets both, a missing role takes its default. */
function resolveClientChoice(client: ValidatedPipeline['broker']['client']): ClientChoice {
  if (typeof client === 'string') return { producer: client, consumer: client };
  return { producer: client.producer ?? defaultClients.producer, consumer: client.consumer ?? defaultClients.consumer };
}

// Maps the values that are present, keeping absent optional keys absent (exactOptionalPropertyTypes).
function mapDefined<T extends Record<string, string | undefined>>(record: T, map: (value: string) => string): T {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(record)) if (value !== undefined) result[key] = map(value);
  return result as T;
}
