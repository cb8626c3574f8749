/**
 * `loadPipelineConfig`: pipeline.yaml -> PipelineConfig, or a ConfigError listing every problem
 * with its line and column. The steps, in order:
 *   read (size-limited) -> parse safely -> apply --set -> substitute ${VAR} -> to data
 *   -> JSON Schema (with defaults) -> semantic rules (+ sale schema) -> resolve.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { formatConfigPath } from './config-path.ts';
import { substituteEnvironment } from './env.ts';
import { ConfigError, type ConfigIssue } from './errors.ts';
import { applyOverrides } from './overrides.ts';
import { parsePipelineYaml, toPlainData } from './parse-yaml.ts';
import { type PipelineConfig, type ValidatedPipeline } from './pipeline-config.ts';
import { resolvePipelineConfig } from './resolve-config.ts';
import { describeFsError } from './sale-schema.ts';
import { checkSemanticRules } from './semantic-rules.ts';
import { validateAgainstSchema } from './validate-schema.ts';
import { type PendingIssue } from './yaml-locator.ts';

// The type this module's main export returns, so callers need one import.
export { type PipelineConfig } from './pipeline-config.ts';

/** Largest pipeline file accepted: a config is never megabytes, a mistake (or an attack) may be. */
export const maxConfigBytes = 1024 * 1024;

/** Inputs besides the file. */
export interface LoadPipelineConfigOptions {
  /** Variables for `${VAR}`; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** `path=value` expressions from `--set`, applied in order. */
  overrides?: readonly string[];
}

/** Loads, validates and resolves a pipeline file; throws ConfigError for any user error. */
export async function loadPipelineConfig(file: string, options: LoadPipelineConfigOptions = {}): Promise<PipelineConfig> {
  const absoluteFile = resolve(file);
  const baseDir = dirname(absoluteFile);
  const shownFile = displayName(absoluteFile);
  const parsed = parsePipelineYaml(await readConfigText(absoluteFile, shownFile), shownFile);

  const issues: ConfigIssue[] = applyOverrides(parsed, options.overrides ?? []);
  const pending: PendingIssue[] = [];
  const envProblemPaths = new Set<string>();
  const templates = substituteEnvironment(parsed.document, options.env ?? process.env, (issue) => {
    pending.push(issue);
    envProblemPaths.add(formatConfigPath(issue.path));
  });

  let data: unknown;
  try {
    data = toPlainData(parsed);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError([...issues, ...pending.map((issue) => parsed.locator.locate(issue)), ...error.issues]);
    throw error;
  }

  const later = validateAgainstSchema(data);
  const semantic = await checkSemanticRules(data, { baseDir, templates });
  later.push(...semantic.issues);
  // A value whose ${VAR} failed was already reported; what the schema says about the
  // half-substituted text would only be noise.
  pending.push(...later.filter((issue) => !envProblemPaths.has(formatConfigPath(issue.path))));
  issues.push(...pending.map((issue) => parsed.locator.locate(issue)));
  if (issues.length > 0) throw new ConfigError(issues);
  if (semantic.saleSchema === undefined) throw new Error('internal: the sale schema passed the rules but was not loaded');

  return resolvePipelineConfig(data as ValidatedPipeline, { file: absoluteFile, baseDir, saleSchema: semantic.saleSchema });
}

async function readConfigText(absoluteFile: string, shownFile: string): Promise<string> {
  const fail = (message: string): ConfigError => new ConfigError([{ file: shownFile, line: 0, column: 0, path: '', message }]);
  try {
    const info = await stat(absoluteFile);
    if (!info.isFile()) throw fail('cannot read the pipeline file: it is not a regular file');
    if (info.size > maxConfigBytes) throw fail(`the pipeline file is too large (${info.size} bytes, at most ${maxConfigBytes})`);
    return await readFile(absoluteFile, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw fail(`cannot read the pipeline file: ${describeFsError(error)}`);
  }
}

// Messages name the file as the user would type it from here; outside the working
// directory a relative path full of ../ helps nobody, so it stays absolute.
function displayName(absoluteFile: string): string {
  const fromHere = relative(process.cwd(), absoluteFile);
  return fromHere === '' || fromHere.startsWith('..') || isAbsolute(fromHere) ? absoluteFile : fromHere;
}
