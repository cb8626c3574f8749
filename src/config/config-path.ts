/**
 * Paths into the config, as users read them: `sinks[1].type`, `window.slide`. One
 * representation (an array of keys and indexes) is shared by the YAML locator, Ajv error
 * translation, env substitution and `--set`.
 */

/** Keys and sequence indexes from the root, e.g. `['sinks', 1, 'type']`. */
export type ConfigPath = readonly (string | number)[];

const plainKey = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `['sinks', 1, 'type']` -> `sinks[1].type`; odd keys are quoted: `labels["a b"]`. */
export function formatConfigPath(path: ConfigPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (!plainKey.test(segment)) text += `[${JSON.stringify(segment)}]`;
    else text += text === '' ? segment : `.${segment}`;
  }
  return text;
}

/** `sinks[0].path` -> `['sinks', 0, 'path']`; undefined when the text is not a path. */
export function parseConfigPath(text: string): ConfigPath | undefined {
  const path: (string | number)[] = [];
  const token = /\.?([A-Za-z_$][A-Za-z0-9_$-]*)|\[(\d+)\]/y;
  let position = 0;
  while (position < text.length) {
    token.lastIndex = position;
    const match = token.exec(text);
    if (match === null) return undefined;
    const startsWithDot = match[0].startsWith('.');
    // A dot must separate keys, and must not start the path.
    if (match[1] !== undefined && startsWithDot === (path.length === 0)) return undefined;
    path.push(match[1] ?? Number(match[2]));
    position = token.lastIndex;
  }
  return path.length === 0 ? undefined : path;
}

/** Ajv's JSON pointer (`/sinks/1/type`) -> a path, using the data to tell indexes from keys. */
export function pathFromJsonPointer(pointer: string, data: unknown): ConfigPath {
  if (pointer === '') return [];
  const path: (string | number)[] = [];
  let current: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current)) {
      const index = Number(key);
      path.push(index);
      current = current[index];
    } else {
      path.push(key);
      current = isRecord(current) ? current[key] : undefined;
    }
  }
  return path;
}

/** The value at `path`, or undefined when some step is missing. */
export function valueAt(data: unknown, path: ConfigPath): unknown {
  let current = data;
  for (const segment of path) {
    if (typeof segment === 'number') current = Array.isArray(current) ? current[segment] : undefined;
    else current = isRecord(current) ? current[segment] : undefined;
  }
  return current;
}

/** A plain object (a YAML mapping), not an array or null. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
