/**
 * Every sink type, by the `type` of its config entry. Adding a sink is one new file and one line
 * here; the `satisfies` makes the compiler fail when a config type has no factory.
 */
import { createSqliteSink } from './sqlite.ts';
import { createTextSink } from './text.ts';
import { type Sink, type SinkConfig, type SinkContext, type SinkFactory } from './types.ts';

/** The sink factories, keyed by config `type`. */
export const sinks = {
  text: createTextSink,
  sqlite: createSqliteSink,
} satisfies { [Type in SinkConfig['type']]: SinkFactory<Extract<SinkConfig, { type: Type }>> };

/** A built sink and a name for logs and errors, e.g. "sqlite results/sales.db". */
export interface NamedSink {
  name: string;
  sink: Sink;
}

/**
 * Builds every configured sink, in order. If one fails, those already built are closed before
 * the error propagates, so a bad second sink does not leave the first one's file open.
 */
export async function createSinks(configs: readonly SinkConfig[], context: SinkContext): Promise<NamedSink[]> {
  const built: NamedSink[] = [];
  try {
    for (const config of configs) {
      const sink = await buildSink(config, context);
      built.push({ name: `${config.type} ${config.path}`, sink });
    }
    return built;
  } catch (error) {
    for (const { sink } of built) await Promise.resolve(sink.close()).catch(() => undefined);
    throw error;
  }
}

function buildSink(config: SinkConfig, context: SinkContext): Sink | Promise<Sink> {
  // Sound widening: the `satisfies` above pairs every type with the factory for its config.
  const factory = sinks[config.type] as SinkFactory<SinkConfig>;
  return factory(config, context);
}
