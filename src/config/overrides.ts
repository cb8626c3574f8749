/**
 * `--set path=value` overrides, applied to the parsed YAML before env substitution and
 * validation, so an override is checked exactly like a value written in the file and its
 * errors name the `--set` expression that caused them.
 */
import { type Document, isAlias, isMap, isScalar, isSeq, type Node, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { type ConfigPath, formatConfigPath, parseConfigPath } from './config-path.ts';
import { type ConfigIssue } from './errors.ts';
import { parseYamlScalar, type ParsedPipelineYaml } from './parse-yaml.ts';
import { explainUnknownPath } from './pipeline-schema.ts';

/** Applies each `path=value`; returns the problems (unknown paths, malformed expressions). */
export function applyOverrides({ document, locator }: ParsedPipelineYaml, expressions: readonly string[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const expression of expressions) {
    const problem = applyOverride(document, expression, (node) => locator.markOverride(node, expression));
    if (problem !== undefined) {
      issues.push({ file: `--set ${expression}`, line: 0, column: 0, path: formatConfigPath(problem.path), message: problem.message });
    }
  }
  return issues;
}

interface OverrideProblem {
  path: ConfigPath;
  message: string;
}

function applyOverride(document: Document, expression: string, mark: (node: Node) => void): OverrideProblem | undefined {
  const equals = expression.indexOf('=');
  if (equals < 0) return { path: [], message: 'expected path=value, e.g. --set window.slide=5s' };
  const pathText = expression.slice(0, equals).trim();
  const path = parseConfigPath(pathText);
  if (path === undefined) return { path: [], message: `"${pathText}" is not a config path, expected e.g. window.slide or sinks[0].path` };
  const unknown = explainUnknownPath(path);
  if (unknown !== undefined) return unknown;

  const valueText = expression.slice(equals + 1);
  const value = new Scalar(parseYamlScalar(valueText));
  // A quoted value stays a string after env substitution; an unquoted one is read as YAML.
  value.type = /^\s*["']/.test(valueText) ? 'QUOTE_DOUBLE' : 'PLAIN';
  mark(value);

  let container: unknown = document.contents;
  if (!isMap(container)) {
    container = new YAMLMap();
    document.contents = container as YAMLMap;
    mark(container as YAMLMap);
  }
  for (const [index, segment] of path.entries()) {
    const next = path[index + 1];
    const collection = container as YAMLMap | YAMLSeq;
    if (typeof segment === 'number' && segment > (collection as YAMLSeq).items.length) {
      const size = (collection as YAMLSeq).items.length;
      return { path: path.slice(0, index + 1), message: `there are only ${size} items, so the index can be at most ${size}` };
    }
    if (next === undefined) {
      setChild(collection, segment, value, mark);
      return undefined;
    }
    let child: unknown = getChild(collection, segment);
    if (isAlias(child)) child = child.resolve(document);
    // A missing or scalar step (e.g. `ssl: false` under `--set broker.ssl.ca=ca.pem`) becomes
    // the collection the rest of the path needs.
    const fits = typeof next === 'number' ? isSeq(child) : isMap(child);
    if (!fits) {
      child = typeof next === 'number' ? new YAMLSeq() : new YAMLMap();
      mark(child as Node);
      setChild(collection, segment, child as Node, mark);
    }
    container = child;
  }
  return undefined;
}

function getChild(collection: YAMLMap | YAMLSeq, segment: string | number): unknown {
  if (isSeq(collection)) return typeof segment === 'number' ? collection.items[segment] : undefined;
  const pair = collection.items.find((item) => isScalar(item.key) && String(item.key.value) === segment);
  return pair?.value;
}

function setChild(collection: YAMLMap | YAMLSeq, segment: string | number, node: Node, mark: (node: Node) => void): void {
  if (isSeq(collection)) {
    collection.items[segment as number] = node;
    return;
  }
  const pair = collection.items.find((item) => isScalar(item.key) && String(item.key.value) === segment);
  if (pair !== undefined) {
    pair.value = node;
    return;
  }
  const key = new Scalar(String(segment));
  mark(key);
  collection.set(key, node);
}
