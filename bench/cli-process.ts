/**
 * Runs the real CLI (`src/run.ts`) as a child process for the bench, the way a user would, and
 * collects what it says: its JSON log lines and status lines (`--log json`, stderr), its exit
 * code, and its peak resident memory (reported at exit by bench/peak-rss.ts, preloaded).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/** One JSON line the CLI wrote to stderr (a log line or a status line). */
export interface CliLine {
  time: number;
  message: string;
  fields: Record<string, unknown>;
}

/** A finished CLI run. */
export interface CliRun {
  code: number | null;
  lines: CliLine[];
  /** Peak RSS in bytes (VmHWM, see peak-rss.ts), or undefined if the process died before reporting. */
  peakRss: number | undefined;
  /** Lines that were not JSON (for error messages). */
  text: string[];
}

/** A CLI process in flight. */
export interface CliProcess {
  done: Promise<CliRun>;
  /** Resolves with the first line whose message is `message` (and that `match` accepts). */
  waitFor(message: string, match?: (line: CliLine) => boolean): Promise<CliLine>;
  /** Ctrl-C: the CLI stops cleanly. */
  interrupt(): void;
}

const projectDir = fileURLToPath(new URL('..', import.meta.url));
const tsxLoader = import.meta.resolve('tsx');
const peakRssReporter = import.meta.resolve('./peak-rss.ts');
const peakRssMessage = 'bench peak rss';

/** Starts `src/run.ts <args>` with `--log json`; the environment adds to the bench's own. */
export function startCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', tsxLoader, '--import', peakRssReporter, 'src/run.ts', ...args, '--log', 'json'], {
    cwd: projectDir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines: CliLine[] = [];
  const text: string[] = [];
  const waiters: Array<{ message: string; match: (line: CliLine) => boolean; resolve: (line: CliLine) => void }> = [];
  createInterface({ input: child.stderr }).on('line', (raw) => {
    const line = parseLine(raw);
    if (!line) {
      text.push(raw);
      return;
    }
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.message === line.message && waiter.match(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const peak = lines.find((line) => line.message === peakRssMessage)?.fields['bytes'];
      resolve({ code, lines, peakRss: typeof peak === 'number' ? peak : undefined, text });
    });
  });
  return {
    done,
    waitFor: (message, match = () => true) => {
      const seen = lines.find((line) => line.message === message && match(line));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ message, match, resolve });
        void done.then((run) => reject(new Error(`the CLI exited (code ${run.code}) before logging "${message}": ${lastWords(run)}`)));
      });
    },
    interrupt: () => void child.kill('SIGINT'),
  };
}

/** Runs the CLI to its end; throws with its last words when it fails. */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const run = await startCli(args, env).done;
  if (run.code !== 0) throw new Error(`${args.slice(1, 2).join(' ')} exited with code ${run.code}: ${lastWords(run)}`);
  return run;
}

/** The first line with `message`; throws when there is none. */
export function lineOf(run: CliRun, message: string): CliLine {
  const line = run.lines.find((candidate) => candidate.message === message);
  if (!line) throw new Error(`the CLI did not log "${message}": ${lastWords(run)}`);
  return line;
}

/** The CLI's last error lines, for a failure message. */
export function lastWords(run: CliRun): string {
  const errors = run.lines.filter((line) => line.fields['level'] === 'error' || line.fields['level'] === 'warn').map((line) => line.message);
  return [...errors, ...run.text].slice(-5).join(' | ') || 'no error logged';
}

function parseLine(raw: string): CliLine | undefined {
  if (!raw.startsWith('{')) return undefined;
  try {
    const fields = JSON.parse(raw) as Record<string, unknown>;
    const time = typeof fields['time'] === 'string' ? Date.parse(fields['time']) : Number.NaN;
    if (typeof fields['message'] !== 'string' || Number.isNaN(time)) return undefined;
    return { time, message: fields['message'], fields };
  } catch {
    return undefined;
  }
}
