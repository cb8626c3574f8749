/**
 * `--set` problems name the expression that caused them (there is no line to point at).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadInvalid, minimalPipeline } from './pipeline-fixture.ts';

const cases: Array<{ rule: string; overrides: string[]; expected: string[] }> = [
  { rule: 'an unknown section suggests the closest', overrides: ['windw.slide=1s'], expected: ['--set windw.slide=1s windw: unknown key, did you mean "window"?'] },
  { rule: 'an unknown nested key suggests the closest', overrides: ['window.slid=1s'], expected: ['--set window.slid=1s window.slid: unknown key, did you mean "slide"?'] },
  { rule: 'a key under a scalar is impossible', overrides: ['name.first=x'], expected: ['--set name.first=x name: has no keys, so it has no .first'] },
  { rule: 'an index on a mapping is impossible', overrides: ['window[0]=x'], expected: ['--set window[0]=x window: is not a list, so it has no [index]'] },
  { rule: 'an index past the end of a list', overrides: ['sinks[3].path=x'], expected: ['--set sinks[3].path=x sinks[3]: there are only 1 items, so the index can be at most 1'] },
  { rule: 'an expression without =', overrides: ['window.slide'], expected: ['--set window.slide expected path=value, e.g. --set window.slide=5s'] },
  { rule: 'a malformed path', overrides: ['window..slide=1s'], expected: ['--set window..slide=1s "window..slide" is not a config path, expected e.g. window.slide or sinks[0].path'] },
  {
    rule: 'an overridden value that breaks a rule',
    overrides: ['window.slide=90s'],
    expected: ['--set window.slide=90s window.slide: must not be longer than window.length (60s), got 90s'],
  },
  { rule: 'an overridden value of the wrong type', overrides: ['monitor.port=http'], expected: ['--set monitor.port=http monitor.port: must be a whole number, got "http"'] },
  {
    rule: 'a missing key inside what an override created',
    overrides: ['sinks[1].type=sqlite', 'sinks[1].path=x.db'],
    expected: ['--set sinks[1].type=sqlite sinks[1].table: missing required key, for example "high_volume_customers"'],
  },
  {
    rule: 'a password written literally on the command line',
    overrides: ['broker.sasl.mechanism=plain', 'broker.sasl.username=u', 'broker.sasl.password=hunter2'],
    expected: [
      '--set broker.sasl.password=hunter2 broker.sasl.password: must come from the environment, not be written in the file: write "${KAFKA_PASSWORD}" (any variable name) and set it',
    ],
  },
];

for (const { rule, overrides, expected } of cases) {
  test(`--set reports: ${rule}`, async (t) => {
    assert.deepEqual(await loadInvalid(t, minimalPipeline, { overrides }), expected);
  });
}
