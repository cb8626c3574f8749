/**
 * Runs the real CLI (`src/run.ts`) as a child process, as a user would, and reads topics back with
 * kcat, the independent client.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findExecutable } from '../../src/broker/local-process.ts';

export const projectRoot = resolve(import.meta.dirname, '../..');

/** The broker the test run uses (tests/run-tests.ts sets it). */
export function testBrokers(): string {
  const brokers = process.env['KAFKA_BROKERS'];
  if (!brokers) throw new Error('KAFKA_BROKERS is not set: run the tests with `npm test`, which starts a broker');
  return brokers;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A CLI process a test started. */
export interface StartedCli {
  child: ChildProcess;
  result: Promise<CliResult>;
  /**
   * Resolves once stderr matches `pattern` (e.g. /joined group/), so a test signals a process
   * that is really running rather than one still loading on a busy machine; rejects after
   * `timeoutMs` or when the process ends first.
   */
  stderrMatches(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** Starts `src/run.ts` with arguments; the caller decides when it ends. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): StartedCli {
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'src/run.ts'), ...args], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let closed = false;
  const result = new Promise<CliResult>((resolvePromise) => {
    child.on('close', (code, signal) => {
      closed = true;
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
  const stderrMatches = async (pattern: RegExp, timeoutMs = 60_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(stderr)) {
      if (closed) throw new Error(`the process ended before its stderr matched ${String(pattern)}:\n${stderr}`);
      if (Date.now() > deadline) throw new Error(`stderr did not match ${String(pattern)} within ${timeoutMs} ms:\n${stderr}`);
      await new Promise((resolveSleep) => setTimeout(resolveSleep, 100));
    }
  };
  return { child, result, stderrMatches };
}

/** Runs `src/run.ts` to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return startCli(args, env).result;
}

/** A fresh folder for one test's files. */
export function tempDir(prefix = 'salesflow-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A fresh topic/group name, unique per test. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Writes a pipeline file into `dir` and returns its path. */
export function writePipeline(dir: string, yaml: string): string {
  const file = join(dir, 'pipeline.yaml');
  writeFileSync(file, yaml);
  return file;
}

/**
 * Every record of a topic as kcat reads it: partition, offset, key, value, headers. `brokers`
 * (host:port, comma-separated) defaults to the test run's broker.
 */
export function readTopicWithKcat(topic: string, brokers: string = testBrokers()): Array<{ partition: number; offset: number; key: string; value: string; headers: string }> {
  // Fields separated by ASCII unit/record separators, which no JSON value contains unescaped.
  const result = spawnSync(
    'kcat',
    ['-b', brokers, '-C', '-t', topic, '-e', '-q', '-f', '%p\x1f%o\x1f%k\x1f%h\x1f%s\x1e'],
    { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 },
  );
  if (result.status !== 0) throw new Error(`kcat failed (${result.status}): ${result.stderr}`);
  return result.stdout
    .split('\x1e')
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const [partition = '', offset = '', key = '', headers = '', ...value] = entry.split('\x1f');
      return { partition: Number(partition), offset: Number(offset), key, headers, value: value.join('\x1f') };
    });
}

/** Produces lines with kcat (`key<TAB>value` per line) into a topic; `brokers` as for readTopicWithKcat(). */
export function produceWithKcat(topic: string, lines: string[], brokers: string = testBrokers()): void {
  const result = spawnSync(
    'kcat',
    ['-b', brokers, '-P', '-t', topic, '-K', '\t', '-X', 'partitioner=murmur2_random'],
    { input: lines.join('\n') + '\n', encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`kcat failed (${result.status}): ${result.stderr}`);
}

/** Runs kcat with `input` on stdin; resolves with its stdout bytes, rejects on a non-zero exit. A missing kcat fails the test. */
export function runKcat(args: string[], input?: Buffer): Promise<Buffer> {
  const kcat = findExecutable('kcat');
  if (kcat === undefined) throw new Error('kcat is not installed: `apt-get install -y kcat` (.ci/run installs it)');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(kcat, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolvePromise(Buffer.concat(stdout)) : reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${stderr}`))));
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}
