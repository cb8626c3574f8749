/**
 * Invalid pipelines caught by schemas/pipeline.schema.json: each case asserts the exact
 * `line:col path: message` a user sees.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadInvalid } from './pipeline-fixture.ts';

const sinks = 'sinks: [{ type: text, path: out.txt }]\n';

const cases: Array<{ rule: string; yaml: string; env?: Record<string, string>; expected: string[] }> = [
  {
    rule: 'an unknown top-level key suggests the closest key',
    yaml: `name: sales\nsource: { topic: sales }\nwindw:\n  length: 60s\naggregate: { threshold: 1 }\n${sinks}`,
    expected: ['3:1 windw: unknown key, did you mean "window"?'],
  },
  {
    rule: 'an unknown nested key suggests the closest key',
    yaml: `name: sales\nsource: { topic: sales }\nwindow:\n  lenght: 60s\naggregate: { threshold: 1 }\n${sinks}`,
    expected: ['4:3 window.lenght: unknown key, did you mean "length"?'],
  },
  {
    rule: 'an unknown key with no close match lists the allowed keys',
    yaml: `name: sales\nsource: { topic: sales }\naggregate: { threshold: 1, colour: red }\n${sinks}`,
    expected: ['3:28 aggregate.colour: unknown key, expected one of "groupBy", "sum", "threshold"'],
  },
  {
    rule: 'a wrong type names the expected type and the value',
    yaml: `name: sales\nsource:\n  topic: sales\n  partitions: three\naggregate: { threshold: 1 }\n${sinks}`,
    expected: ['4:15 source.partitions: must be a whole number, got "three"'],
  },
  {
    rule: 'an enum lists the allowed values and suggests the closest',
    yaml: `name: sales\nsource:\n  topic: sales\n  startFrom: earlest\naggregate: { threshold: 1 }\n${sinks}`,
    expected: ['4:14 source.startFrom: must be one of "earliest", "latest", got "earlest" (did you mean "earliest"?)'],
  },
  {
    rule: 'a missing top-level key points at the root mapping and gives an example',
    yaml: `source: { topic: sales }\naggregate: { threshold: 1 }\n${sinks}`,
    expected: ['1:1 name: missing required key, for example "customer-sales"'],
  },
  {
    rule: 'a missing nested key points at its parent mapping',
    yaml: `name: sales\nsource:\n  partitions: 3\naggregate: { threshold: 1 }\n${sinks}`,
    expected: ['3:3 source.topic: missing required key, for example "customer-sales"'],
  },
  {
    rule: 'a missing required section points at the root mapping',
    yaml: `name: sales\nsource: { topic: sales }\n${sinks}`,
    expected: ['1:1 aggregate: missing required key'],
  },
  {
    rule: 'an empty sink list is refused',
    yaml: `name: sales\nsource: { topic: sales }\naggregate: { threshold: 1 }\nsinks: []\n`,
    expected: ['4:8 sinks: must list at least one sink'],
  },
  {
    rule: 'an unknown sink type lists the known ones',
    yaml: `name: sales\nsource: { topic: sales }\naggregate: { threshold: 1 }\nsinks:\n  - type: text\n    path: out.txt\n  - type: postgres\n    path: db\n`,
    expected: ['7:11 sinks[1].type: unknown sink "postgres", expected one of "text", "sqlite"'],
  },
  {
    rule: 'a sink without a type is reported once, with the known types',
    yaml: `name: sales\nsource: { topic: sales }\naggregate: { threshold: 1 }\nsinks:\n  - path: out.txt\n`,
    expected: ['5:5 sinks[0].type: missing required key, expected one of "text", "sqlite"'],
  },
  {
    rule: 'a sqlite sink needs a table',
    yaml: `name: sales\nsource: { topic: sales }\naggregate: { threshold: 1 }\nsinks:\n  - type: sqlite\n    path: out.db\n`,
    expected: ['5:5 sinks[0].table: missing required key, for example "high_volume_customers"'],
  },
  {
    rule: 'a key that belongs to another sink type is unknown',
    yaml: `name: sales\nsource: { topic: sales }\naggregate: { threshold: 1 }\nsinks:\n  - type: text\n    path: out.txt\n    table: t\n`,
    expected: ['7:5 sinks[0].table: unknown key, expected one of "type", "path", "format"'],
  },
  {
    rule: 'a table name must be an SQL identifier',
    yaml: `name: sales\nsource: { topic: sales }\naggregate: { threshold: 1 }\nsinks:\n  - type: sqlite\n    path: out.db\n    table: high-volume\n`,
    expected: ['7:12 sinks[0].table: must be a table name: a letter or "_", then letters, digits or "_" (at most 63), got "high-volume"'],
  },
  {
    rule: 'a duration needs a unit and no space',
    yaml: `name: sales\nsource: { topic: sales }\nwindow:\n  slide: 10 s\naggregate: { threshold: 1 }\n${sinks}`,
    expected: ['4:10 window.slide: must be a duration such as "250ms", "10s", "5m", "1h" or whole milliseconds, got "10 s"'],
  },
  {
    rule: 'a duration may not be negative',
    yaml: `name: sales\nsource: { topic: sales }\nwindow:\n  allowedLateness: -5\naggregate: { threshold: 1 }\n${sinks}`,
    expected: ['4:20 window.allowedLateness: must be a duration such as "250ms", "10s", "5m", "1h" or whole milliseconds, got -5'],
  },
  {
    rule: 'ssl: true is neither false nor a mapping',
    yaml: `name: sales\nbroker:\n  ssl: true\nsource: { topic: sales }\naggregate: { threshold: 1 }\n${sinks}`,
    expected: ['3:8 broker.ssl: must be false or a mapping with optional ca, cert and key file paths, got true'],
  },
  {
    rule: 'an ssl mapping is checked key by key',
    yaml: `name: sales\nbroker:\n  ssl:\n    ca: 5\n    crt: client.pem\nsource: { topic: sales }\naggregate: { threshold: 1 }\n${sinks}`,
    expected: ['4:9 broker.ssl.ca: must be a string, got 5', '5:5 broker.ssl.crt: unknown key, did you mean "cert"?'],
  },
  {
    rule: 'broker.client must name a known client',
    yaml: `name: sales\nbroker:\n  client: librdkafka\nsource: { topic: sales }\naggregate: { threshold: 1 }\n${sinks}`,
    expected: ['3:11 broker.client: must be "kafkajs", "platformatic", or a mapping with producer and consumer set to one of them, got "librdkafka"'],
  },
  {
    rule: 'a broker.client mapping is checked role by role',
    yaml: `name: sales\nbroker:\n  client:\n    producer: kafka\n    consumr: kafkajs\nsource: { topic: sales }\naggregate: { threshold: 1 }\n${sinks}`,
    expected: ['4:15 broker.client.producer: must be one of "kafkajs", "platformatic", got "kafka" (did you mean "kafkajs"?)', '5:5 broker.client.consumr: unknown key, did you mean "consumer"?'],
  },
  {
    rule: 'a sasl mechanism must be a known one',
    yaml: `name: sales\nbroker:\n  sasl: { mechanism: scram, username: u, password: "\${PW}" }\nsource: { topic: sales }\naggregate: { threshold: 1 }\n${sinks}`,
    env: { PW: 'secret' },
    expected: ['3:22 broker.sasl.mechanism: must be one of "plain", "scram-sha-256", "scram-sha-512", got "scram"'],
  },
  {
    rule: 'a port above 65535 is refused',
    yaml: `name: sales\nsource: { topic: sales }\naggregate: { threshold: 1 }\n${sinks}monitor:\n  port: 70000\n`,
    expected: ['6:9 monitor.port: must be at most 65535, got 70000'],
  },
  {
    rule: 'a fault fraction above 1 is refused',
    yaml: `name: sales\nsource: { topic: sales }\nproducer:\n  late: 1.5\naggregate: { threshold: 1 }\n${sinks}`,
    expected: ['4:9 producer.late: must be at most 1, got 1.5'],
  },
  {
    rule: 'a name with a space is refused',
    yaml: `name: customer sales\nsource: { topic: sales }\naggregate: { threshold: 1 }\n${sinks}`,
    expected: ['1:7 name: must be letters, digits, ".", "_" or "-" (1 to 249 characters), got "customer sales"'],
  },
  {
    rule: 'a broker address needs a port',
    yaml: `name: sales\nbroker:\n  brokers: [localhost:9092, localhost]\nsource: { topic: sales }\naggregate: { threshold: 1 }\n${sinks}`,
    expected: ['3:29 broker.brokers[1]: must be host:port, got "localhost"'],
  },
  {
    rule: 'a negative count is refused',
    yaml: `name: sales\nsource: { topic: sales }\nproducer: { count: -1 }\naggregate: { threshold: 1 }\n${sinks}`,
    expected: ['3:20 producer.count: must be at least 0, got -1'],
  },
  {
    rule: 'a topic name with a slash is not a Kafka topic name',
    yaml: `name: sales\nsource: { topic: "sales/eu" }\naggregate: { threshold: 1 }\n${sinks}`,
    expected: ['2:18 source.topic: must be a Kafka topic name: letters, digits, ".", "_" or "-" (1 to 249 characters), got "sales/eu"'],
  },
  {
    rule: 'an empty string is refused where a field name is needed',
    yaml: `name: sales\nsource: { topic: sales, key: "" }\naggregate: { threshold: 1 }\n${sinks}`,
    expected: ['2:30 source.key: must not be empty'],
  },
  {
    rule: 'a file holding a list is refused',
    yaml: '- name: sales\n',
    expected: ['1:1 must be a mapping, got a list'],
  },
  {
    rule: 'an empty file is refused',
    yaml: '# nothing yet\n',
    expected: ['1:1 must be a mapping, got null'],
  },
  {
    rule: 'a section written as a scalar is refused',
    yaml: `name: sales\nsource: { topic: sales }\nwindow: 60s\naggregate: { threshold: 1 }\n${sinks}`,
    expected: ['3:9 window: must be a mapping, got "60s"'],
  },
  {
    rule: 'an empty section is null, not an empty mapping',
    yaml: `name: sales\nsource: { topic: sales }\nwindow:\naggregate: { threshold: 1 }\n${sinks}`,
    expected: ['3:8 window: must be a mapping, got null'],
  },
];

for (const { rule, yaml, env, expected } of cases) {
  test(`loadPipelineConfig() reports: ${rule}`, async (t) => {
    assert.deepEqual(await loadInvalid(t, yaml, env === undefined ? {} : { env }), expected);
  });
}
