/**
 * A strict reader of Prometheus' text exposition format (version 0.0.4), written for the tests so
 * that /metrics is checked against the format, not against prom-client's own idea of it. It throws
 * on anything a Prometheus server would reject or that the format forbids: malformed lines, bad
 * names or escapes, a TYPE after samples, a family split in two, duplicate series, and histograms
 * whose buckets are not cumulative or disagree with _count.
 */

/** One sample line. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A metric family: its HELP, TYPE and samples, in order. */
export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string | undefined;
  samples: Sample[];
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const types = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** Parses and validates a whole exposition; families keyed by name. */
export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  const families = new Map<string, Family>();
  const finished = new Set<string>();
  let current: Family | undefined;
  const seriesSeen = new Set<string>();

  const familyOf = (sampleName: string): Family => {
    for (const suffix of ['_bucket', '_sum', '_count', '']) {
      if (!sampleName.endsWith(suffix)) continue;
      const family = families.get(sampleName.slice(0, sampleName.length - suffix.length));
      if (family && (suffix === '' || family.type === 'histogram' || (family.type === 'summary' && suffix !== '_bucket'))) return family;
    }
    // A sample with no TYPE is an untyped family of its own.
    const family: Family = { name: sampleName, type: 'untyped', help: undefined, samples: [] };
    families.set(sampleName, family);
    return family;
  };
  const enter = (family: Family, lineNumber: number): void => {
    if (current === family) return;
    if (current) finished.add(current.name);
    if (finished.has(family.name)) throw new Error(`line ${lineNumber}: family ${family.name} appears in two separate groups`);
    current = family;
  };

  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, index) => {
      const lineNumber = index + 1;
      if (line.startsWith('#')) {
        const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
        if (!meta) return; // an ordinary comment
        const [, keyword = '', name = '', rest = ''] = meta;
        if (!metricName.test(name)) throw new Error(`line ${lineNumber}: bad metric name "${name}"`);
        let family = families.get(name);
        if (!family) {
          family = { name, type: 'untyped', help: undefined, samples: [] };
          families.set(name, family);
        }
        enter(family, lineNumber);
        if (keyword === 'HELP') {
          if (family.help !== undefined) throw new Error(`line ${lineNumber}: second HELP for ${name}`);
          family.help = unescape(rest, false, lineNumber);
        } else {
          if (!types.has(rest)) throw new Error(`line ${lineNumber}: unknown type "${rest}"`);
          if (family.samples.length > 0) throw new Error(`line ${lineNumber}: TYPE for ${name} after its samples`);
          family.type = rest as Family['type'];
        }
        return;
      }
      if (line.trim() === '') return; // the format ignores empty lines
      const sample = parseSample(line, lineNumber);
      const family = familyOf(sample.name);
      enter(family, lineNumber);
      const series = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
      if (seriesSeen.has(series)) throw new Error(`line ${lineNumber}: duplicate series ${series}`);
      seriesSeen.add(series);
      if (family.type === 'counter' && (sample.value < 0 || Number.isNaN(sample.value))) {
        throw new Error(`line ${lineNumber}: counter ${sample.name} is ${sample.value}`);
      }
      family.samples.push(sample);
    });

  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

/** The value of one series; throws when it is absent, so a typo in a test fails loudly. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name !== name) continue;
      const keys = Object.keys(sample.labels);
      if (keys.length === Object.keys(labels).length && keys.every((key) => sample.labels[key] === labels[key])) return sample.value;
    }
  }
  throw new Error(`no sample ${name}${JSON.stringify(labels)}`);
}

function parseSample(line: string, lineNumber: number): Sample {
  const head = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
  if (!head?.[1]) throw new Error(`line ${lineNumber}: no metric name in "${line}"`);
  const name = head[1];
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    while (!rest.startsWith('}')) {
      const pair = /^([^=\s]+)="((?:[^"\\]|\\.)*)"(,?)/.exec(rest);
      if (!pair?.[1]) throw new Error(`line ${lineNumber}: bad label in "${line}"`);
      const [whole, key = '', raw = '', comma] = pair;
      if (!labelName.test(key) || key.startsWith('__')) throw new Error(`line ${lineNumber}: bad label name "${key}"`);
      if (key in labels) throw new Error(`line ${lineNumber}: label ${key} twice`);
      labels[key] = unescape(raw, true, lineNumber);
      rest = rest.slice(whole.length);
      if (!comma && !rest.startsWith('}')) throw new Error(`line ${lineNumber}: expected "," or "}" in "${line}"`);
    }
    rest = rest.slice(1);
  }
  const tail = /^ (\S+)(?: (-?\d+))?$/.exec(rest);
  if (!tail?.[1]) throw new Error(`line ${lineNumber}: expected " value [timestamp]" in "${line}"`);
  return { name, labels, value: parseValue(tail[1], lineNumber) };
}

/** As Go's strconv.ParseFloat reads it (the format says so): NaN and Inf in any letter case. */
function parseValue(text: string, lineNumber: number): number {
  if (/^nan$/i.test(text)) return Number.NaN;
  const infinity = /^([-+]?)inf(inity)?$/i.exec(text);
  if (infinity) return infinity[1] === '-' ? -Infinity : Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`line ${lineNumber}: bad value "${text}"`);
  return Number(text);
}

/** HELP escapes \\ and \n; label values also \". Anything else after a backslash is an error. */
function unescape(text: string, quotes: boolean, lineNumber: number): string {
  return text.replace(/\\(.?)/g, (_whole, next: string) => {
    if (next === '\\') return '\\';
    if (next === 'n') return '\n';
    if (next === '"' && quotes) return '"';
    throw new Error(`line ${lineNumber}: bad escape "\\${next}"`);
  });
}

/** Per label set: le ascending, counts cumulative, a +Inf bucket equal to _count, and a _sum. */
function checkHistogram(family: Family): void {
  const groups = new Map<string, { buckets: Array<[number, number]>; sum?: number; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const group = groups.get(key) ?? { buckets: [] };
    groups.set(key, group);
    if (sample.name === `${family.name}_bucket`) {
      if (le === undefined) throw new Error(`${sample.name} without le`);
      group.buckets.push([parseValue(le, 0), sample.value]);
    } else if (sample.name === `${family.name}_sum`) group.sum = sample.value;
    else if (sample.name === `${family.name}_count`) group.count = sample.value;
    else throw new Error(`histogram ${family.name} has a sample ${sample.name}`);
  }
  for (const [key, group] of groups) {
    const where = `${family.name}${key}`;
    if (group.count === undefined || group.sum === undefined) throw new Error(`${where}: missing _sum or _count`);
    let previous: [number, number] = [-Infinity, 0];
    for (const bucket of group.buckets) {
      if (bucket[0] <= previous[0]) throw new Error(`${where}: le not ascending at ${bucket[0]}`);
      if (bucket[1] < previous[1]) throw new Error(`${where}: bucket le=${bucket[0]} holds fewer than the one before`);
      previous = bucket;
    }
    if (previous[0] !== Infinity) throw new Error(`${where}: no +Inf bucket`);
    if (previous[1] !== group.count) throw new Error(`${where}: +Inf bucket ${previous[1]} differs from _count ${group.count}`);
  }
}
