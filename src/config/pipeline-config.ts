/**
 * The resolved pipeline config: what every other part of salesflow reads. It is derived from
 * the types generated from schemas/pipeline.schema.json (never written out by hand), with what
 * loading guarantees on top: defaults present, durations in integer milliseconds, paths
 * absolute, `${VAR}` resolved, `group` and `deadLetterTopic` filled in, the sale schema parsed.
 */
import {
  type Aggregate,
  type Broker,
  type Client,
  type Monitor,
  type Pipeline,
  type Producer,
  type Source,
  type SqliteSink,
  type TextSink,
  type Window,
} from './pipeline-schema.generated.ts';
import { type DurationInput } from './durations.ts';
import { type SaleSchema } from './sale-schema.ts';

/** Flattens intersections so editors show one object type. */
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** Every key present (schema defaults were applied) except the truly optional `Optional` ones. */
export type Defaulted<T, Optional extends keyof T = never> = Simplify<Required<Omit<T, Optional>> & Pick<T, Optional>>;

/** The keys of T whose schema type is a duration (`string | number`). */
type DurationKeys<T> = { [K in keyof T]-?: DurationInput extends T[K] ? K : never }[keyof T];

/** T with its duration fields converted to integer milliseconds. */
type DurationsInMs<T> = Simplify<{ [K in keyof T]: K extends DurationKeys<T> ? number : T[K] }>;

/** A Kafka client library the data path can use (`broker.client`). */
export type ClientName = Extract<Client, string>;

/** Which client each role uses; `broker.client` resolved to one name per role. */
export interface ClientChoice {
  producer: ClientName;
  consumer: ClientName;
}

/** `broker`: reaching the Kafka-compatible broker. */
export type BrokerConfig = Simplify<Omit<Defaulted<Broker>, 'client'> & { client: ClientChoice }>;

/** `source`: the sales topic and the shape of one sale (`eventTime` stays optional). */
export type SourceConfig = Simplify<Defaulted<Source, 'eventTime'> & { saleSchema: SaleSchema }>;

/** `producer`: the built-in load generator. */
export type ProducerConfig = Defaulted<Producer>;

/** `window`: lengths in ms. */
export type WindowConfig = DurationsInMs<Defaulted<Window>>;

/** `aggregate`: what is summed and the threshold. */
export type AggregateConfig = Defaulted<Aggregate>;

/** A `type: text` sink. */
export type TextSinkConfig = Defaulted<TextSink, 'format'>;

/** A `type: sqlite` sink. */
export type SqliteSinkConfig = Defaulted<SqliteSink>;

/** One sink; `type` tells which. */
export type SinkConfig = TextSinkConfig | SqliteSinkConfig;

/** `monitor`: the dashboard server. */
export type MonitorConfig = Defaulted<Monitor>;

/** The validated, defaulted, resolved pipeline. */
export type PipelineConfig = Simplify<
  Omit<Defaulted<Pipeline>, 'broker' | 'source' | 'producer' | 'window' | 'aggregate' | 'sinks' | 'monitor'> & {
    /** Absolute path of the pipeline YAML. */
    file: string;
    /** Its folder; relative paths in the YAML were resolved against it. */
    baseDir: string;
    broker: BrokerConfig;
    source: SourceConfig;
    producer: ProducerConfig;
    window: WindowConfig;
    aggregate: AggregateConfig;
    sinks: SinkConfig[];
    monitor: MonitorConfig;
  }
>;

/**
 * The YAML after Ajv's useDefaults: every key with a schema default is present, durations are
 * still as written. Keys listed as optional here have no default in the schema.
 */
export type ValidatedPipeline = Simplify<
  Omit<Defaulted<Pipeline>, 'broker' | 'source' | 'producer' | 'window' | 'aggregate' | 'sinks' | 'monitor'> & {
    broker: Defaulted<Broker>;
    source: Defaulted<Source, 'eventTime' | 'group' | 'deadLetterTopic'>;
    producer: Defaulted<Producer>;
    window: Defaulted<Window>;
    aggregate: Defaulted<Aggregate>;
    sinks: (TextSinkConfig | SqliteSinkConfig)[];
    monitor: Defaulted<Monitor>;
  }
>;
