/**
 * Config errors: every problem found in a pipeline file is collected, located and reported at
 * once, so a user fixes them in one pass instead of one run per typo.
 */

/** One problem, located in the YAML file (or in a `--set` override, where line and column are 0). */
export interface ConfigIssue {
  /** The pipeline file relative to the working directory, or `--set <expression>`. */
  file: string;
  /** 1-based; 0 when the problem has no position (an override, an unreadable file). */
  line: number;
  /** 1-based; 0 when `line` is 0. */
  column: number;
  /** The YAML path, e.g. `sinks[1].type`; empty for the whole file. */
  path: string;
  /** What is wrong, then what was expected. */
  message: string;
}

/** Thrown by `loadPipelineConfig` for any user error in the config; never carries a stack to show. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const sorted = sortIssues(issues);
    super(sorted.map(formatConfigIssue).join('\n'));
    this.issues = sorted;
  }

  /** All issues, one `file:line:col path: message` line each, in file order. */
  format(): string {
    return this.issues.map(formatConfigIssue).join('\n');
  }
}

/** `pipeline.yaml:14:11 window.slide: message`; positionless issues print `file: path: message`. */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.column}` : `${issue.file}:`;
  return issue.path === '' ? `${where} ${issue.message}` : `${where} ${issue.path}: ${issue.message}`;
}

// File order reads best; identical issues (one mistake seen by two rules) are shown once.
function sortIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  const unique = issues.filter((issue) => {
    const text = formatConfigIssue(issue);
    if (seen.has(text)) return false;
    seen.add(text);
    return true;
  });
  return unique
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) => a.issue.line - b.issue.line || a.issue.column - b.issue.column || a.index - b.index)
    .map(({ issue }) => issue);
}
