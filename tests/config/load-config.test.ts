/**
 * Valid pipelines resolve to exactly the expected config: defaults, durations in ms, absolute
 * paths, `${VAR}` resolved, `--set` applied.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadPipelineConfig, type PipelineConfig } from '../../src/config/load-config.ts';
import { loadValid, minimalPipeline, saleSchema, writePipeline } from './pipeline-fixture.ts';

/** The documented default of broker.client (schemas/pipeline.schema.json says why). */
const defaultClients = { producer: 'platformatic', consumer: 'platformatic' } as const;

const projectDir = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');

test('the project pipeline.yaml resolves to the documented defaults', async () => {
  const config = await loadPipelineConfig(join(projectDir, 'pipeline.yaml'), { env: {} });
  const expected: PipelineConfig = {
    name: 'customer-sales',
    file: join(projectDir, 'pipeline.yaml'),
    baseDir: projectDir,
    broker: { brokers: [], clientId: 'customer-sales', ssl: false, sasl: null, client: defaultClients },
    source: {
      topic: 'customer-sales',
      partitions: 3,
      schema: join(projectDir, 'schemas/sale.schema.json'),
      key: 'customerName',
      eventTime: 'timestamp',
      startFrom: 'earliest',
      group: 'customer-sales',
      deadLetterTopic: 'customer-sales.dlq',
      maxRecordBytes: 1048576,
      saleSchema: JSON.parse(await readFile(join(projectDir, 'schemas/sale.schema.json'), 'utf8')) as PipelineConfig['source']['saleSchema'],
    },
    producer: { rate: 10000, count: null, customers: 1000, seed: 1, outOfOrder: 0, late: 0, invalid: 0, packing: 1 },
    window: { length: 60000, slide: 10000, allowedLateness: 5000, idleTimeout: 10000, time: 'event' },
    aggregate: { groupBy: 'customerName', sum: 'quantity', threshold: 1000000 },
    sinks: [
      { type: 'text', path: join(projectDir, 'results/customers.txt') },
      { type: 'sqlite', path: join(projectDir, 'results/results.db'), table: 'high_volume_customers' },
    ],
    monitor: { host: '127.0.0.1', port: 4040 },
  };
  assert.deepEqual(config, expected);
});

test('a minimal pipeline gets every default, group and dead-letter topic included', async (t) => {
  const file = await writePipeline(t, minimalPipeline);
  const dir = dirname(file);
  const config = await loadPipelineConfig(file, { env: {} });
  assert.deepEqual(config, {
    name: 'sales',
    file,
    baseDir: dir,
    broker: { brokers: [], clientId: 'salesflow', ssl: false, sasl: null, client: defaultClients },
    source: {
      topic: 'sales',
      partitions: 3,
      schema: join(dir, 'schemas/sale.schema.json'),
      key: 'customerName',
      eventTime: 'timestamp',
      startFrom: 'earliest',
      group: 'sales',
      deadLetterTopic: 'sales.dlq',
      maxRecordBytes: 1048576,
      saleSchema,
    },
    producer: { rate: 10000, count: null, customers: 1000, seed: 1, outOfOrder: 0, late: 0, invalid: 0, packing: 1 },
    window: { length: 60000, slide: 10000, allowedLateness: 5000, idleTimeout: 10000, time: 'event' },
    aggregate: { groupBy: 'customerName', sum: 'quantity', threshold: 100 },
    sinks: [{ type: 'text', path: join(dir, 'out.txt') }],
    monitor: { host: '127.0.0.1', port: 4040 },
  } satisfies PipelineConfig);
});

test('durations accept units, combinations and plain milliseconds; allowedLateness may be 0', async (t) => {
  const config = await loadValid(t, `${minimalPipeline}window:\n  length: 1m30s\n  slide: 250ms\n  allowedLateness: 0\n  idleTimeout: 1h\n  time: processing\n`);
  assert.deepEqual(config.window, { length: 90000, slide: 250, allowedLateness: 0, idleTimeout: 3600000, time: 'processing' });
});

test('broker.client takes one name for both roles, or a mapping whose missing role keeps its default', async (t) => {
  const both = await loadValid(t, `${minimalPipeline}broker:\n  client: kafkajs\n`);
  assert.deepEqual(both.broker.client, { producer: 'kafkajs', consumer: 'kafkajs' });
  const consumerOnly = await loadValid(t, `${minimalPipeline}broker:\n  client:\n    consumer: platformatic\n`);
  assert.deepEqual(consumerOnly.broker.client, { producer: defaultClients.producer, consumer: 'platformatic' });
  const explicit = await loadValid(t, `${minimalPipeline}broker:\n  client: { producer: kafkajs, consumer: platformatic }\n`);
  assert.deepEqual(explicit.broker.client, { producer: 'kafkajs', consumer: 'platformatic' });
});

test('ssl file paths and sink paths resolve against the pipeline folder; eventTime may be omitted', async (t) => {
  const yaml = `name: sales\nbroker:\n  ssl: { ca: certs/ca.pem, key: /etc/key.pem }\nsource: { topic: sales }\naggregate: { threshold: 1 }\nsinks:\n  - type: sqlite\n    path: ../shared/out.db\n    table: t\n`;
  const file = await writePipeline(t, yaml);
  const config = await loadPipelineConfig(file, { env: {} });
  const dir = dirname(file);
  assert.deepEqual(config.broker.ssl, { ca: join(dir, 'certs/ca.pem'), key: '/etc/key.pem' });
  assert.deepEqual(config.sinks, [{ type: 'sqlite', path: join(dir, '../shared/out.db'), table: 't' }]);
  assert.equal('eventTime' in config.source, false);
});

test('${VAR} and ${VAR:-default} are substituted in any string value', async (t) => {
  const yaml = `name: \${NAME}\nbroker:\n  brokers: ["\${BROKER:-localhost:9092}"]\n  sasl: { mechanism: plain, username: "\${USER:-sales}", password: "\${PW}" }\nsource: { topic: "\${NAME}-\${REGION:-eu}" }\n${minimalPipeline.split('\n').slice(4).join('\n')}`;
  const config = await loadValid(t, yaml, { env: { NAME: 'orders', PW: 's3cret', USER: '' } });
  assert.equal(config.name, 'orders');
  assert.deepEqual(config.broker.brokers, ['localhost:9092']);
  assert.deepEqual(config.broker.sasl, { mechanism: 'plain', username: 'sales', password: 's3cret' });
  assert.equal(config.source.topic, 'orders-eu');
  assert.equal(config.source.group, 'orders');
});

test('an unquoted ${VAR} is read as a YAML value, a quoted one stays a string', async (t) => {
  const yaml = `${minimalPipeline}producer:\n  count: \${COUNT:-null}\n  seed: \${SEED}\nmonitor:\n  host: "\${HOST:-0.0.0.0}"\n  port: \${PORT:-4040}\n`;
  const config = await loadValid(t, yaml, { env: { SEED: '42', PORT: '8080' } });
  assert.equal(config.producer.count, null);
  assert.equal(config.producer.seed, 42);
  assert.equal(config.monitor.port, 8080);
  assert.equal(config.monitor.host, '0.0.0.0');
});

test('$${ writes a literal ${', async (t) => {
  const config = await loadValid(t, `${minimalPipeline}broker: { clientId: "app-$\${x}" }\n`);
  assert.equal(config.broker.clientId, 'app-${x}');
});

test('--set overrides values, parsed as YAML scalars, and they are validated like the file', async (t) => {
  const overrides = ['window.slide=5s', 'producer.count=1000', 'producer.rate=0', 'sinks[0].path=other.txt', 'monitor.host=yes', 'source.key=saleId'];
  const file = await writePipeline(t, minimalPipeline);
  const config = await loadPipelineConfig(file, { env: {}, overrides });
  assert.equal(config.window.slide, 5000);
  assert.equal(config.producer.count, 1000);
  assert.equal(config.producer.rate, 0);
  assert.equal(config.sinks[0]?.path, join(dirname(file), 'other.txt'));
  assert.equal(config.monitor.host, 'yes');
  assert.equal(config.source.key, 'saleId');
});

test('--set builds what is missing: a sink, an ssl mapping in place of false', async (t) => {
  const overrides = ['sinks[1].type=sqlite', 'sinks[1].path=out.db', 'sinks[1].table=results', 'broker.ssl.ca=ca.pem', 'broker.sasl.mechanism=plain', 'broker.sasl.username=u', 'broker.sasl.password=${PW}'];
  const file = await writePipeline(t, minimalPipeline);
  const config = await loadPipelineConfig(file, { env: { PW: 'pw' }, overrides });
  const dir = dirname(file);
  assert.deepEqual(config.sinks[1], { type: 'sqlite', path: join(dir, 'out.db'), table: 'results' });
  assert.deepEqual(config.broker.ssl, { ca: join(dir, 'ca.pem') });
  assert.deepEqual(config.broker.sasl, { mechanism: 'plain', username: 'u', password: 'pw' });
});
