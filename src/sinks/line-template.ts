/**
 * The text sink's `format` template: `{name}` placeholders, `{{` and `}}` for literal braces.
 * Compiled once into a list of parts so a line is a loop of concatenations, and an unknown
 * placeholder is an error when the sink is created, not a silent "{totl}" in every line.
 */
import { escapeLineBreaks, formatLocalIso, formatTotal } from './formatting.ts';

/** The original job's layout. */
export const DEFAULT_TEXT_FORMAT = "Time: '{windowEndIso}' : Name: '{key}' : Quantity '{total}'.";

/** What one line describes. */
export interface LineFields {
  windowStart: number;
  windowEnd: number;
  key: string;
  total: number;
  count: number;
}

type Render = (fields: LineFields) => string;

const PLACEHOLDERS: Record<string, Render> = {
  windowStart: (fields) => String(fields.windowStart),
  windowEnd: (fields) => String(fields.windowEnd),
  windowStartIso: (fields) => formatLocalIso(fields.windowStart),
  windowEndIso: (fields) => formatLocalIso(fields.windowEnd),
  key: (fields) => escapeLineBreaks(fields.key),
  total: (fields) => formatTotal(fields.total),
  count: (fields) => String(fields.count),
};

/** Names accepted inside `{...}`. */
export const TEXT_FORMAT_PLACEHOLDERS: readonly string[] = Object.keys(PLACEHOLDERS);

/** Compiles `template`; throws an Error that names the bad placeholder and the valid ones. */
export function compileLineTemplate(template: string): Render {
  if (/[\r\n]/.test(template)) throw new Error('format must be a single line (one line per window and key)');
  const parts: Array<string | Render> = [];
  let literal = '';
  let position = 0;
  for (const match of template.matchAll(/\{\{|\}\}|\{([^{}]*)\}/g)) {
    literal += template.slice(position, match.index);
    position = match.index + match[0].length;
    if (match[0] === '{{' || match[0] === '}}') {
      literal += match[0][0];
      continue;
    }
    const name = match[1] ?? '';
    const render = Object.hasOwn(PLACEHOLDERS, name) ? PLACEHOLDERS[name] : undefined;
    if (render === undefined) {
      const known = TEXT_FORMAT_PLACEHOLDERS.map((known) => `{${known}}`).join(', ');
      throw new Error(`unknown placeholder {${name}} in format, expected one of ${known}`);
    }
    if (literal) parts.push(literal);
    literal = '';
    parts.push(render);
  }
  literal += template.slice(position);
  if (literal) parts.push(literal);
  return (fields) => {
    let line = '';
    for (const part of parts) line += typeof part === 'string' ? part : part(fields);
    return line;
  };
}
