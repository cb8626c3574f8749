/**
 * `${VAR}` and `${VAR:-default}` in string values. Substitution happens on the parsed YAML
 * nodes, after parsing and before validation: the YAML structure can never be changed by an
 * environment variable, and every node keeps its position for error messages.
 */
import { type Document, isMap, isScalar, isSeq, type Scalar } from 'yaml';
import { type ConfigPath, formatConfigPath } from './config-path.ts';
import { parseYamlScalar } from './parse-yaml.ts';
import { type PendingIssue } from './yaml-locator.ts';

/** The text as written of every value that referenced the environment, keyed by formatted path. */
export type EnvTemplates = Map<string, string>;

/** The result of expanding one string: the new text, and a message per problem. */
export interface EnvExpansion {
  text: string;
  problems: string[];
}

const reference = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

/**
 * Replaces the references in one string. `${VAR:-default}` uses the default when VAR is unset
 * or empty (as the shell does); `$${` is a literal `${`.
 */
export function expandEnvReferences(text: string, env: NodeJS.ProcessEnv): EnvExpansion {
  let result = '';
  const problems: string[] = [];
  let index = 0;
  while (index < text.length) {
    if (text.startsWith('$${', index)) {
      result += '${';
      index += 3;
    } else if (text.startsWith('${', index)) {
      const end = text.indexOf('}', index + 2);
      if (end < 0) {
        problems.push('unterminated "${": close it with "}" (write "$${" for a literal "${")');
        result += text.slice(index);
        break;
      }
      const body = text.slice(index + 2, end);
      result += expandOne(body, env, problems);
      index = end + 1;
    } else {
      result += text[index];
      index += 1;
    }
  }
  return { text: result, problems };
}

function expandOne(body: string, env: NodeJS.ProcessEnv, problems: string[]): string {
  const match = reference.exec(body);
  const name = match?.[1];
  if (match === null || name === undefined) {
    problems.push(`"\${${body}}" is not a variable reference, expected \${NAME} or \${NAME:-default}`);
    return '';
  }
  const value = env[name];
  const fallback = match[2];
  if (fallback !== undefined) return value === undefined || value === '' ? fallback : value;
  if (value === undefined) {
    problems.push(`environment variable ${name} is not set: set it, or write \${${name}:-default}`);
    return '';
  }
  return value;
}

/**
 * Substitutes every string value of the document in place. An unquoted value is read again as a
 * YAML scalar afterwards, so `port: ${PORT:-4040}` is a number; quote it to keep a string.
 * Returns the templates (for rules such as "the password must come from ${VAR}").
 */
export function substituteEnvironment(document: Document, env: NodeJS.ProcessEnv, report: (issue: PendingIssue) => void): EnvTemplates {
  const templates: EnvTemplates = new Map();
  const visit = (node: unknown, path: ConfigPath): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (isScalar(pair.key)) visit(pair.value, [...path, String(pair.key.value)]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => visit(item, [...path, index]));
    } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('$')) {
      substituteScalar(node as Scalar<string>, path, env, templates, report);
    }
    // Aliases are skipped: their anchor is substituted where it is defined.
  };
  visit(document.contents, []);
  return templates;
}

function substituteScalar(
  node: Scalar<string>,
  path: ConfigPath,
  env: NodeJS.ProcessEnv,
  templates: EnvTemplates,
  report: (issue: PendingIssue) => void,
): void {
  const written = node.value;
  const { text, problems } = expandEnvReferences(written, env);
  for (const message of problems) report({ path, message });
  if (written.includes('${')) templates.set(formatConfigPath(path), written);
  if (text === written) return;
  const plain = node.type === 'PLAIN' || node.type === undefined;
  (node as Scalar<unknown>).value = plain ? parseYamlScalar(text) : text;
}
