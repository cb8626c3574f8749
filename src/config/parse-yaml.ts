/**
 * Safe YAML parsing for config files. The rules are fixed here, whatever the file asks for:
 * YAML 1.2 core schema (so `yes` and `on` stay strings even under a `%YAML 1.1` directive),
 * no custom or exotic tags, no merge keys, unique string keys, and few alias expansions (an
 * alias bomb must not exhaust memory).
 */
import {
  type Document,
  type DocumentOptions,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type ParseOptions,
  type SchemaOptions,
  type ToJSOptions,
  type YAMLError,
} from 'yaml';
import { ConfigError, type ConfigIssue } from './errors.ts';
import { YamlLocator } from './yaml-locator.ts';

/** Options for every YAML text the config reads: the file, `--set` values, env-substituted values. */
export const safeYamlOptions = {
  version: '1.2',
  schema: 'core',
  customTags: [],
  resolveKnownTags: false,
  merge: false,
  uniqueKeys: true,
  stringKeys: true,
  strict: true,
  prettyErrors: false,
  intAsBigInt: false,
  logLevel: 'error',
} as const satisfies ParseOptions & DocumentOptions & SchemaOptions;

/** Syntax errors reported at most: after a few, the rest are the same mistake echoing. */
export const maxSyntaxErrors = 3;

/** Alias expansions allowed when turning the document into data. */
export const maxAliasCount = 20;

const coreTags = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((name) => `tag:yaml.org,2002:${name}`));

/** A parsed pipeline file: the document (kept for positions) and its locator. */
export interface ParsedPipelineYaml {
  document: Document;
  locator: YamlLocator;
}

/** Parses the file text; throws ConfigError listing every syntax problem and forbidden tag. */
export function parsePipelineYaml(text: string, file: string): ParsedPipelineYaml {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { ...safeYamlOptions, lineCounter });
  const locator = new YamlLocator(document, lineCounter, file);
  const issues = firstErrorPerLine(document.errors.map((error) => locateYamlError(error, locator, text)));
  for (const warning of document.warnings) {
    // Unknown tags are reported below with a clearer message.
    if (warning.code !== 'TAG_RESOLVE_FAILED') issues.push(locateYamlError(warning, locator, text));
  }
  forEachNode(document.contents, (node) => {
    if (node.tag !== undefined && !coreTags.has(node.tag) && node.range) {
      const tag = node.tag.replace('tag:yaml.org,2002:', '!!');
      const message = `tag "${tag}" is not allowed: write a plain YAML value`;
      issues.push(locator.atOffset(tagOffset(text, node.range[0]), message, node.range[0]));
    }
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return { document, locator };
}

/** The document as plain data; throws ConfigError when aliases expand too much. */
export function toPlainData({ document, locator }: ParsedPipelineYaml): unknown {
  const options: ToJSOptions = { maxAliasCount };
  try {
    return document.toJS(options) as unknown;
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    let firstAlias = 0;
    forEachNode(document.contents, (node) => {
      if (isAlias(node) && node.range && firstAlias === 0) firstAlias = node.range[0];
    });
    const message = `aliases expand to too many values (limit ${maxAliasCount}): write the values out`;
    throw new ConfigError([locator.atOffset(firstAlias, message)]);
  }
}

/**
 * A text read as one YAML scalar under the safe rules: `42` -> 42, `null` -> null, `yes` ->
 * "yes". Anything that is not a single plain scalar (a mapping, a tag, a syntax error) stays the
 * literal text, which is what someone typing `--set name=a: b` meant.
 */
export function parseYamlScalar(text: string): unknown {
  const document = parseDocument(text, safeYamlOptions);
  const contents: unknown = document.contents;
  if (document.errors.length > 0 || document.warnings.length > 0) return text;
  if (!isScalar(contents) || contents.tag !== undefined) return text;
  return contents.value;
}

// A node's range starts at its value; the message should point at the tag written before it.
function tagOffset(text: string, valueOffset: number): number {
  let start = valueOffset;
  while (start > 0 && /\s/.test(text[start - 1] ?? '')) start--;
  while (start > 0 && !/\s/.test(text[start - 1] ?? '')) start--;
  return text[start] === '!' ? start : valueOffset;
}

// The parser's wording where it speaks to programmers rather than to whoever edits the file.
const friendlyMessages: Partial<Record<YAMLError['code'], string>> = {
  MULTIPLE_DOCS: 'a pipeline file holds one YAML document: remove the extra "---"',
  NON_STRING_KEY: 'keys must be plain text, not numbers, lists or mappings',
};

// One syntax mistake (an unclosed bracket) makes the parser complain about every token after
// it; only the first complaint per line, and the first few lines, help the user.
function firstErrorPerLine(issues: ConfigIssue[]): ConfigIssue[] {
  const lines = new Set<number>();
  const kept = issues.filter((issue) => !lines.has(issue.line) && lines.add(issue.line));
  return kept.slice(0, maxSyntaxErrors);
}

function locateYamlError(error: YAMLError, locator: YamlLocator, text: string): ConfigIssue {
  const offset = error.pos[0];
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lineEnd = text.indexOf('\n', offset);
  const lineText = text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd);
  if (error.code === 'DUPLICATE_KEY') {
    // The locator finds the first pair with this key: the one the duplicate repeats.
    const first = locator.locate({ path: locator.pathAtOffset(offset), target: 'key', message: '' });
    return locator.atOffset(offset, `duplicate key, first defined at line ${first.line}`);
  }
  // `{ topic: ${TOPIC} }` is the classic: braces are YAML syntax inside a flow mapping.
  const hint = /[[{][^\n]*\$\{/.test(lineText) ? ' (inside { } or [ ], quote values that use ${VAR}: "${VAR}")' : '';
  return locator.atOffset(offset, (friendlyMessages[error.code] ?? error.message) + hint);
}

/** Visits every node (keys included), depth first. Aliases are visited, not followed. */
export function forEachNode(node: unknown, visit: (node: Node) => void): void {
  if (node === null || node === undefined) return;
  visit(node as Node);
  if (isMap(node)) {
    for (const pair of node.items) {
      forEachNode(pair.key, visit);
      forEachNode(pair.value, visit);
    }
  } else if (isSeq(node)) {
    for (const item of node.items) forEachNode(item, visit);
  }
}
