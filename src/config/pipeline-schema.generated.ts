/**
 * Generated from schemas/pipeline.schema.json by src/config/generate-types.ts (npm run generate).
 * Do not edit: change the schema and regenerate. These are the types of the YAML as written;
 * the resolved config that the rest of the code reads is PipelineConfig (pipeline-config.ts).
 */

/**
 * TLS: false for plaintext, or a mapping of PEM file paths (all optional; {} uses the system CAs).
 */
export type Ssl =
  | false
  | {
      /**
       * CA certificate file (PEM).
       */
      ca?: string;
      /**
       * Client certificate file (PEM).
       */
      cert?: string;
      /**
       * Client private key file (PEM).
       */
      key?: string;
    };
/**
 * SASL authentication, or null for none. The password must come from the environment: write "${VAR}".
 */
export type Sasl = {
  /**
   * SASL mechanism.
   */
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  /**
   * SASL user name.
   */
  username: string;
  /**
   * SASL password; must be an environment reference such as ${KAFKA_PASSWORD}.
   */
  password: string;
} | null;
/**
 * The Kafka client library that moves the records: one name for both roles, or one per role. producer: the sales producer; consumer: the consumer group and its dead-letter writer. Both speak the same protocol, partition keys the same way (murmur2) and share committed offsets, so either side can be switched without touching the data. Defaults, from npm run bench: platformatic for both roles. It produces ~4.5x as fast as kafkajs (salesflow encodes its Produce requests itself) and consumes ~1.2-1.6x as fast (salesflow reads its Fetch responses itself); kafkajs makes a consumer ~20-30 MB smaller and re-finds a moved group coordinator by itself (see the README, Kafka clients).
 */
export type Client =
  | ('kafkajs' | 'platformatic')
  | {
      /**
       * Client of the sales producer; the default's when absent.
       */
      producer?: 'kafkajs' | 'platformatic';
      /**
       * Client of the consumer group and its dead-letter writer; the default's when absent.
       */
      consumer?: 'kafkajs' | 'platformatic';
    };

/**
 * A salesflow pipeline: where sales come from, how they are windowed and aggregated, and where high-volume customers are written. Durations are strings (250ms, 10s, 5m, 1h, or combined like 1m30s) or whole milliseconds. Any string value may use ${VAR} or ${VAR:-default}. Relative paths resolve against this file's folder.
 */
export interface Pipeline {
  /**
   * Pipeline name: letters, digits, '.', '_' or '-'. The default consumer group id.
   */
  name: string;
  broker?: Broker;
  source: Source;
  producer?: Producer;
  window?: Window;
  aggregate: Aggregate;
  /**
   * Where results are written; at least one.
   *
   * @minItems 1
   */
  sinks: (TextSink | SqliteSink)[];
  monitor?: Monitor;
}
/**
 * How to reach the Kafka-compatible broker.
 */
export interface Broker {
  /**
   * Bootstrap brokers as host:port. The KAFKA_BROKERS environment variable overrides this list; empty means use (or start) a local broker.
   */
  brokers?: string[];
  /**
   * Kafka client id, visible in broker logs and quotas.
   */
  clientId?: string;
  ssl?: Ssl;
  sasl?: Sasl;
  client?: Client;
}
/**
 * The topic sales are produced to and consumed from, and the shape of one sale.
 */
export interface Source {
  /**
   * Kafka topic of the sales.
   */
  topic: string;
  /**
   * Partition count, used when the runtime creates the topic.
   */
  partitions?: number;
  /**
   * JSON Schema (2020-12) of one sale; relative to this file.
   */
  schema?: string;
  /**
   * Sale field used as the Kafka message key (a string or integer field of the sale schema).
   */
  key?: string;
  /**
   * Sale field holding the event time, epoch ms or ISO-8601; omitted means the Kafka record time.
   */
  eventTime?: string;
  /**
   * Where a consumer group with no committed offsets starts.
   */
  startFrom?: 'earliest' | 'latest';
  /**
   * Consumer group id; defaults to the pipeline name.
   */
  group?: string;
  /**
   * Topic for records that fail validation; defaults to <topic>.dlq.
   */
  deadLetterTopic?: string;
  /**
   * Largest record accepted, in bytes; larger ones go to the dead-letter topic.
   */
  maxRecordBytes?: number;
}
/**
 * The built-in load generator.
 */
export interface Producer {
  /**
   * Records per second; 0 means as fast as possible.
   */
  rate?: number;
  /**
   * Stop after this many records; null means run until stopped.
   */
  count?: number | null;
  /**
   * Size of the customer pool the generator draws from (Zipf-skewed).
   */
  customers?: number;
  /**
   * Random seed: same seed, same records.
   */
  seed?: number;
  /**
   * Fraction (0 to 1) of records whose event time is shuffled back within the allowed lateness.
   */
  outOfOrder?: number;
  /**
   * Fraction (0 to 1) of records produced later than the allowed lateness.
   */
  late?: number;
  /**
   * Fraction (0 to 1) of records that break the sale schema (they go to the dead-letter topic).
   */
  invalid?: number;
  /**
   * Sales per Kafka message: 1 writes one JSON sale per message; N > 1 writes JSON arrays of up to N sales, packing only sales bound for the same partition (by the key's murmur2 hash), so keyed partitioning holds. Consumers accept both. Fewer, larger messages: several times the throughput.
   */
  packing?: number;
}
/**
 * Sliding windows over event (or processing) time.
 */
export interface Window {
  /**
   * Window length.
   */
  length?: string | number;
  /**
   * How often a window starts; at most the length.
   */
  slide?: string | number;
  /**
   * How far behind the watermark a record may arrive and still count; may be 0.
   */
  allowedLateness?: string | number;
  /**
   * A partition silent this long stops holding the watermark back.
   */
  idleTimeout?: string | number;
  /**
   * event: windows follow the sale's event time; processing: its arrival time.
   */
  time?: 'event' | 'processing';
}
/**
 * What is summed per (window, group) and when a result is written.
 */
export interface Aggregate {
  /**
   * Sale field to group by (a string or integer field).
   */
  groupBy?: string;
  /**
   * Numeric sale field to sum.
   */
  sum?: string;
  /**
   * A (window, group) is written when its sum is at least this.
   */
  threshold: number;
}
/**
 * Appends each closed window's rows to a text file.
 */
export interface TextSink {
  type: 'text';
  /**
   * Output file; relative to this file.
   */
  path: string;
  /**
   * Line layout of the text sink (see src/sinks/text.ts).
   */
  format?: string;
}
/**
 * Upserts rows into a SQLite table.
 */
export interface SqliteSink {
  type: 'sqlite';
  /**
   * Database file; relative to this file.
   */
  path: string;
  /**
   * Table name (created when missing).
   */
  table: string;
}
/**
 * The live dashboard and metrics HTTP server.
 */
export interface Monitor {
  /**
   * Interface to listen on.
   */
  host?: string;
  /**
   * TCP port; 0 turns the monitor off.
   */
  port?: number;
}
