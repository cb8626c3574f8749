/**
 * Maps a config path back to where the user wrote it. Values are checked on plain data (after
 * env substitution, overrides and Ajv defaults), but every message must point at a line and
 * column of the file, so the parsed YAML Document and its LineCounter are kept for the lookup.
 */
import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import { type ConfigPath, formatConfigPath } from './config-path.ts';
import { type ConfigIssue } from './errors.ts';

/** Where in the YAML a message points: the value (default), its key, or the mapping holding it. */
export type IssueTarget = 'value' | 'key' | 'parent';

/** A problem found on the data, not yet located in the file. */
export interface PendingIssue {
  path: ConfigPath;
  message: string;
  /** 'key' for unknown keys, 'parent' for missing keys (they have no position of their own). */
  target?: IssueTarget;
}

interface Step {
  node: Node | null;
  keyNode?: Node;
}

/** Locates pending issues in one parsed pipeline file, including values that came from `--set`. */
export class YamlLocator {
  private readonly overrideOrigins = new WeakMap<Node, string>();

  constructor(
    private readonly document: Document,
    private readonly lineCounter: LineCounter,
    private readonly file: string,
  ) {}

  /** Records that `node` was written by a `--set` expression, so issues there name it. */
  markOverride(node: Node, expression: string): void {
    this.overrideOrigins.set(node, expression);
  }

  /** Turns a pending issue into a located one. */
  locate(issue: PendingIssue): ConfigIssue {
    const steps = this.walk(issue.path);
    const target = issue.target ?? 'value';
    const found = steps.length === issue.path.length + 1;
    // A missing key has no position: point at the mapping that should hold it.
    let index = target === 'parent' ? Math.min(issue.path.length - 1, steps.length - 1) : steps.length - 1;
    for (; index >= 0; index--) {
      const step = steps[index];
      if (step === undefined) continue;
      const origin = this.originOf(step);
      if (origin !== undefined) return { file: `--set ${origin}`, line: 0, column: 0, path: formatConfigPath(issue.path), message: issue.message };
      const onKey = target === 'key' && found && index === steps.length - 1;
      const range = onKey ? (step.keyNode?.range ?? step.node?.range) : (step.node?.range ?? step.keyNode?.range);
      if (range) return this.at(range[0], issue);
    }
    return this.at(0, issue);
  }

  /** An issue at a character offset (parser errors carry offsets, not paths); the path is that of the node at `nodeOffset`. */
  atOffset(offset: number, message: string, nodeOffset = offset): ConfigIssue {
    return this.at(offset, { path: this.pathAtOffset(nodeOffset), message });
  }

  /** Line and column (1-based) of a character offset in the file. */
  position(offset: number): { line: number; column: number } {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  /** The path of the deepest node that contains `offset` (for parser errors, which carry offsets). */
  pathAtOffset(offset: number): ConfigPath {
    const path: (string | number)[] = [];
    let node: unknown = this.document.contents;
    for (;;) {
      if (isMap(node)) {
        const pair = node.items.find((item) => contains(item.key, offset) || contains(item.value, offset));
        if (pair === undefined || !isScalar(pair.key)) return path;
        path.push(String(pair.key.value));
        if (contains(pair.key, offset)) return path;
        node = pair.value;
      } else if (isSeq(node)) {
        const index = node.items.findIndex((item) => contains(item, offset));
        if (index < 0) return path;
        path.push(index);
        node = node.items[index];
      } else {
        return path;
      }
    }
  }

  /** The node chain from the root along `path`, as far as it exists. Aliases are followed. */
  private walk(path: ConfigPath): Step[] {
    const steps: Step[] = [{ node: this.document.contents ?? null }];
    let node: unknown = this.document.contents;
    for (const segment of path) {
      if (isAlias(node)) node = node.resolve(this.document);
      if (isMap(node) && typeof segment === 'string') {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === segment);
        if (pair === undefined) break;
        steps.push({ node: (pair.value as Node | null) ?? null, keyNode: pair.key as Node });
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item: unknown = node.items[segment];
        if (item === undefined) break;
        steps.push({ node: item as Node });
        node = item;
      } else {
        break;
      }
    }
    return steps;
  }

  private originOf(step: Step): string | undefined {
    if (step.node !== null) {
      const origin = this.overrideOrigins.get(step.node);
      if (origin !== undefined) return origin;
    }
    return step.keyNode === undefined ? undefined : this.overrideOrigins.get(step.keyNode);
  }

  private at(offset: number, issue: PendingIssue): ConfigIssue {
    return { file: this.file, ...this.position(offset), path: formatConfigPath(issue.path), message: issue.message };
  }
}

function contains(node: unknown, offset: number): boolean {
  const range = (node as Node | null)?.range;
  return range !== undefined && range !== null && range[0] <= offset && offset < range[2];
}
