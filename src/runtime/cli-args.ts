/**
 * The command line: `salesflow <pipeline.yaml> [command] [options]`, parsed into a plain value.
 * Usage errors are thrown as UsageError (exit code 2), with the help text one flag away.
 */
import { parseArgs } from 'node:util';

export type Command =
  | { name: 'run' }
  | { name: 'produce' }
  | { name: 'consume'; drain: boolean }
  | { name: 'check' }
  | { name: 'query'; top: number | undefined; key: string | undefined; since: string | undefined; format: 'table' | 'json' | 'csv' }
  | { name: 'broker'; action: 'start' | 'stop' | 'status' };

/** What the user asked for. */
export interface CliRequest {
  help: boolean;
  pipelineFile: string | undefined;
  command: Command;
  /** `--set path=value`, in order. */
  overrides: string[];
  quiet: boolean;
  logFormat: 'text' | 'json';
}

/** A command line that cannot be run; exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const helpText = `salesflow: real-time customer-sales windows on Kafka / Redpanda

Usage:
  npx tsx src/run.ts <pipeline.yaml> [command] [options]

Commands:
  run                 (default) broker if needed, topics, consumer, producer and dashboard together
  produce             generate random sales into the source topic (producer.rate, producer.count)
  consume             consume, aggregate in sliding windows, write every sink
    --drain           read to the end of the topic, close every window, commit, exit 0
  query               show results from the SQLite sink (latest window by default)
    --top N           at most N customers
    --key NAME        that customer's windows
    --since 10m       windows that ended in the last 10 minutes
    --json | --csv    machine-readable output
  check               validate the pipeline and print the resolved config (secrets masked)
  broker start|stop|status
                      the local broker: start it (or reuse a running one), stop the one
                      started here, or say whether one runs and where

Options:
  --set path=value    override one config value, e.g. --set window.length=30s (repeatable)
  --quiet             no status line
  --log text|json     log format (default text; logs go to stderr)
  -h, --help          this help

Environment:
  KAFKA_BROKERS       host:port[,host:port] of an existing broker; overrides broker.brokers

Exit codes: 0 done, 1 runtime failure, 2 bad config or usage, 130 interrupted twice (forced).
`;

/** Parses argv (without node and script). */
export function parseCliArgs(argv: string[]): CliRequest {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        set: { type: 'string', multiple: true },
        drain: { type: 'boolean' },
        top: { type: 'string' },
        key: { type: 'string' },
        since: { type: 'string' },
        json: { type: 'boolean' },
        csv: { type: 'boolean' },
        quiet: { type: 'boolean' },
        log: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const help = values.help === true;
  const [pipelineFile, commandName = 'run', ...rest] = positionals;
  if (!pipelineFile && !help) throw new UsageError('missing the pipeline file, e.g. `npx tsx src/run.ts pipeline.yaml`');
  const logFormat = values.log ?? 'text';
  if (logFormat !== 'text' && logFormat !== 'json') throw new UsageError(`--log must be text or json, got "${logFormat}"`);
  for (const override of values.set ?? []) {
    if (!/^[^=]+=/.test(override)) throw new UsageError(`--set expects path=value, got "${override}"`);
  }
  return {
    help,
    pipelineFile,
    command: help ? { name: 'run' } : toCommand(commandName, rest, values),
    overrides: values.set ?? [],
    quiet: values.quiet === true,
    logFormat,
  };
}

function toCommand(
  name: string,
  rest: string[],
  values: { drain?: boolean; top?: string; key?: string; since?: string; json?: boolean; csv?: boolean },
): Command {
  const expectNoMore = (): void => {
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}" after ${name}`);
  };
  switch (name) {
    case 'run':
    case 'produce':
    case 'check':
      expectNoMore();
      return { name };
    case 'consume':
      expectNoMore();
      return { name, drain: values.drain === true };
    case 'query': {
      expectNoMore();
      if (values.json && values.csv) throw new UsageError('choose one of --json and --csv');
      const top = values.top === undefined ? undefined : Number(values.top);
      if (top !== undefined && (!Number.isInteger(top) || top < 1)) throw new UsageError(`--top expects a positive whole number, got "${values.top}"`);
      return { name, top, key: values.key, since: values.since, format: values.json ? 'json' : values.csv ? 'csv' : 'table' };
    }
    case 'broker': {
      const [action, ...extra] = rest;
      if (action !== 'start' && action !== 'stop' && action !== 'status') {
        throw new UsageError(`broker expects start, stop or status, got ${action === undefined ? 'nothing' : `"${action}"`}`);
      }
      if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}" after broker ${action}`);
      return { name, action };
    }
    default:
      throw new UsageError(`unknown command "${name}", expected one of run, produce, consume, query, check, broker`);
  }
}
