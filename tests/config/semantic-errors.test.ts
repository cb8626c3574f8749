/**
 * Invalid pipelines caught by the rules beyond JSON Schema (semantic-rules.ts) and by env
 * substitution: each case asserts the exact `line:col path: message`.
 */
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/errors.ts';
import { loadPipelineConfig } from '../../src/config/load-config.ts';
import { issuesOf, loadInvalid, writePipeline } from './pipeline-fixture.ts';

const tail = 'aggregate: { threshold: 1 }\nsinks: [{ type: text, path: out.txt }]\n';
const fields = '"saleId", "customerName", "quantity", "value", "timestamp", "note", "soldAt"';
const literalSecret = 'must come from the environment, not be written in the file: write "${KAFKA_PASSWORD}" (any variable name) and set it';

const cases: Array<{ rule: string; yaml: string; files?: Record<string, string>; expected: string[] }> = [
  {
    rule: 'a slide longer than the window length',
    yaml: `name: sales\nsource: { topic: sales }\nwindow:\n  length: 60s\n  slide: 90s\n${tail}`,
    expected: ['5:10 window.slide: must not be longer than window.length (60s), got 90s'],
  },
  {
    rule: 'a slide longer than the default window length',
    yaml: `name: sales\nsource: { topic: sales }\nwindow:\n  slide: 2m\n${tail}`,
    expected: ['4:10 window.slide: must not be longer than window.length (60s), got 120s'],
  },
  {
    rule: 'a zero window length or idle timeout',
    yaml: `name: sales\nsource: { topic: sales }\nwindow:\n  length: 0s\n  idleTimeout: 0\n${tail}`,
    expected: ['4:11 window.length: must be a positive duration, got 0s', '5:16 window.idleTimeout: must be a positive duration, got 0s'],
  },
  {
    rule: 'a topic named ".."',
    yaml: `name: sales\nsource:\n  topic: ".."\n${tail}`,
    expected: ['3:10 source.topic: must not be "." or "..", Kafka reserves them'],
  },
  {
    rule: 'a dead-letter topic equal to the source topic',
    yaml: `name: sales\nsource:\n  topic: sales\n  deadLetterTopic: sales\n${tail}`,
    expected: ['4:20 source.deadLetterTopic: must differ from source.topic'],
  },
  {
    rule: 'a topic too long to derive its dead-letter topic',
    yaml: `name: sales\nsource:\n  topic: ${'t'.repeat(248)}\n${tail}`,
    expected: ['3:10 source.topic: is too long to add ".dlq" for the dead-letter topic (at most 249 characters): shorten it or set source.deadLetterTopic'],
  },
  {
    rule: 'a key that is not a sale field lists the fields',
    yaml: `name: sales\nsource:\n  topic: sales\n  key: custName\n${tail}`,
    expected: [`4:8 source.key: "custName" is not a field of the sale schema, expected one of ${fields}`],
  },
  {
    rule: 'a groupBy close to a sale field suggests it',
    yaml: `name: sales\nsource: { topic: sales }\naggregate:\n  threshold: 1\n  groupBy: customername\nsinks: [{ type: text, path: out.txt }]\n`,
    expected: ['5:12 aggregate.groupBy: "customername" is not a field of the sale schema, did you mean "customerName"?'],
  },
  {
    rule: 'a key field that is a number',
    yaml: `name: sales\nsource:\n  topic: sales\n  key: value\n${tail}`,
    expected: ['4:8 source.key: field "value" is of type number in the sale schema, expected a string or integer field'],
  },
  {
    rule: 'an event time field that is a plain string',
    yaml: `name: sales\nsource:\n  topic: sales\n  eventTime: customerName\n${tail}`,
    expected: ['4:14 source.eventTime: field "customerName" is of type string in the sale schema, expected an integer field (epoch ms) or a string field with "format": "date-time"'],
  },
  {
    rule: 'an event time field the sale schema does not require',
    yaml: `name: sales\nsource:\n  topic: sales\n  eventTime: soldAt\n${tail}`,
    expected: [`4:14 source.eventTime: field "soldAt" is optional in the sale schema: list it in the schema's "required"`],
  },
  {
    rule: 'a sum over a non-numeric field',
    yaml: `name: sales\nsource: { topic: sales }\naggregate:\n  threshold: 1\n  sum: customerName\nsinks: [{ type: text, path: out.txt }]\n`,
    expected: ['5:8 aggregate.sum: field "customerName" is of type string in the sale schema, expected a number or integer field'],
  },
  {
    rule: 'a sale schema that does not compile (unknown keyword)',
    yaml: `name: sales\nsource:\n  topic: sales\n  schema: odd.json\n${tail}`,
    files: { 'odd.json': JSON.stringify({ type: 'object', properties: { customerName: { type: 'string', 'x-colour': 'red' } } }) },
    expected: ['4:11 source.schema: the sale schema does not compile: strict mode: unknown keyword: "x-colour"'],
  },
  {
    rule: 'a sale schema with an unknown x-pool',
    yaml: `name: sales\nsource:\n  topic: sales\n  schema: odd.json\n${tail}`,
    files: { 'odd.json': JSON.stringify({ type: 'object', properties: { customerName: { type: 'string', 'x-pool': 'vendors' } } }) },
    expected: ['4:11 source.schema: the sale schema does not compile: keyword "x-pool" value is invalid at path "#/properties/customerName": data must be equal to one of the allowed values'],
  },
  {
    rule: 'a sale schema that does not describe an object',
    yaml: `name: sales\nsource:\n  topic: sales\n  schema: odd.json\n${tail}`,
    files: { 'odd.json': JSON.stringify({ type: 'string' }) },
    expected: ['4:11 source.schema: the sale schema must describe an object: "type": "object" and "properties" with one schema object per field'],
  },
  {
    rule: 'two sinks writing the same file',
    yaml: `name: sales\nsource: { topic: sales }\naggregate: { threshold: 1 }\nsinks:\n  - type: text\n    path: results/out.txt\n  - type: sqlite\n    path: ./results/../results/out.txt\n    table: t\n`,
    expected: ['8:11 sinks[1].path: same file as sinks[0].path: each sink needs its own file'],
  },
  {
    rule: 'a sasl password written in the file',
    yaml: `name: sales\nbroker:\n  sasl:\n    mechanism: plain\n    username: sales\n    password: hunter2\nsource: { topic: sales }\n${tail}`,
    expected: [`6:15 broker.sasl.password: ${literalSecret}`],
  },
  {
    rule: 'a sasl password hidden in a ${VAR:-default}',
    yaml: `name: sales\nbroker:\n  sasl:\n    mechanism: plain\n    username: sales\n    password: \${PW:-hunter2}\nsource: { topic: sales }\n${tail}`,
    expected: [`6:15 broker.sasl.password: ${literalSecret}`],
  },
  {
    rule: 'an unset environment variable, without follow-up noise',
    yaml: `name: sales\nsource:\n  topic: \${TOPIC}\n${tail}`,
    expected: ['3:10 source.topic: environment variable TOPIC is not set: set it, or write ${TOPIC:-default}'],
  },
  {
    rule: 'malformed environment references',
    yaml: `name: sales\nsource: { topic: sales }\nmonitor:\n  host: "\${1HOST}"\n  port: "\${PORT"\n${tail}`,
    expected: [
      '4:9 monitor.host: "${1HOST}" is not a variable reference, expected ${NAME} or ${NAME:-default}',
      '5:9 monitor.port: unterminated "${": close it with "}" (write "$${" for a literal "${")',
    ],
  },
  {
    rule: 'a ${VAR} unquoted inside a flow mapping',
    yaml: `name: sales\nsource: { topic: \${TOPIC} }\n${tail}`,
    expected: [
      '2:19 source.topic: Unexpected flow-map-start at node end (inside { } or [ ], quote values that use ${VAR}: "${VAR}")',
      '3:1 Unexpected scalar token in YAML stream: "aggregate"',
      '4:1 Unexpected scalar token in YAML stream: "sinks"',
    ],
  },
  {
    rule: 'every problem at once, in file order',
    yaml: `name: sales\nsource:\n  topic: sales\n  key: custName\nwindow:\n  length: 10s\n  slide: 20s\naggregate: { threshold: -1 }\nsinks:\n  - type: postgres\n`,
    expected: [
      `4:8 source.key: "custName" is not a field of the sale schema, expected one of ${fields}`,
      '7:10 window.slide: must not be longer than window.length (10s), got 20s',
      '8:25 aggregate.threshold: must be at least 0, got -1',
      '10:11 sinks[0].type: unknown sink "postgres", expected one of "text", "sqlite"',
    ],
  },
];

for (const { rule, yaml, files, expected } of cases) {
  test(`loadPipelineConfig() reports: ${rule}`, async (t) => {
    assert.deepEqual(await loadInvalid(t, yaml, {}, files), expected);
  });
}

test('loadPipelineConfig() reports a missing sale schema with the path it looked at', async (t) => {
  const file = await writePipeline(t, `name: sales\nsource:\n  topic: sales\n  schema: schemas/missing.json\n${tail}`);
  const missing = join(dirname(file), 'schemas', 'missing.json');
  assert.deepEqual(await issuesOf(file), [`4:11 source.schema: cannot read the sale schema ${missing}: no such file`]);
});

test('loadPipelineConfig() reports a sale schema that is not JSON', async (t) => {
  const issues = await loadInvalid(t, `name: sales\nsource:\n  topic: sales\n  schema: broken.json\n${tail}`, {}, { 'broken.json': '{ "type": ' });
  assert.equal(issues.length, 1);
  assert.match(issues[0] ?? '', /^4:11 source\.schema: the sale schema is not valid JSON: /);
});

test('ConfigError.format() prints file:line:col path: message, one line per issue', async (t) => {
  const file = await writePipeline(t, `name: sales\nsource: { topic: sales }\nwindow: { length: 60s, slide: 90s }\nwindw: {}\n${tail}`);
  const error = await loadPipelineConfig(file, { env: {} }).catch((caught: unknown) => caught);
  assert.ok(error instanceof ConfigError);
  assert.equal(
    error.format(),
    [`${file}:3:31 window.slide: must not be longer than window.length (60s), got 90s`, `${file}:4:1 windw: unknown key, did you mean "window"?`].join('\n'),
  );
  assert.equal(error.message, error.format());
});
