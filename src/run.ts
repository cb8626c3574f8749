/**
 * The CLI: parse argv, load the pipeline, hand over to the runtime. Nothing else lives here.
 * Exit codes: 0 done, 1 runtime failure, 2 bad config or usage, 130 forced interrupt.
 */
import { ConfigError } from './config/errors.ts';
import { parseDuration } from './config/durations.ts';
import { loadPipelineConfig } from './config/load-config.ts';
import { runCheckCommand } from './config/check-command.ts';
import { createLogger } from './logger.ts';
import { runBrokerCommand } from './runtime/broker-command.ts';
import { helpText, parseCliArgs, UsageError, type CliRequest } from './runtime/cli-args.ts';
import { runPipelineCommand } from './runtime/pipeline.ts';
import { runQueryCommand } from './runtime/query-command.ts';
import { startMonitorIfConfigured } from './monitor/start-monitor.ts';

async function main(argv: string[]): Promise<number> {
  let request: CliRequest;
  try {
    request = parseCliArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`error: ${error.message}\n\n${helpText}`);
    return 2;
  }
  if (request.help || request.pipelineFile === undefined) {
    process.stdout.write(helpText);
    return 0;
  }
  // On a terminal the status line is rewritten in place; a log line first clears it.
  const clearStatusLine = process.stderr.isTTY && !request.quiet ? '\r\x1b[2K' : '';
  const log = createLogger({ format: request.logFormat, write: (line) => void process.stderr.write(clearStatusLine + line + '\n') });
  const out = (line: string): void => void process.stdout.write(line.endsWith('\n') ? line : line + '\n');

  let config;
  try {
    config = await loadPipelineConfig(request.pipelineFile, { overrides: request.overrides });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(error.format() + '\n');
    return 2;
  }

  const { command } = request;
  switch (command.name) {
    case 'check':
      runCheckCommand(config, out);
      return 0;
    case 'broker':
      return runBrokerCommand(command.action, { configuredBrokers: config.broker.brokers, log, out });
    case 'query': {
      const sqlite = config.sinks.find((sink) => sink.type === 'sqlite');
      if (!sqlite || sqlite.type !== 'sqlite') {
        process.stderr.write('error: query reads the sqlite sink, and this pipeline has none\n');
        return 2;
      }
      let since: number | undefined;
      try {
        since = command.since === undefined ? undefined : parseDuration(command.since);
      } catch (error) {
        process.stderr.write(`error: --since: ${(error as Error).message}\n`);
        return 2;
      }
      return runQueryCommand(
        {
          dbPath: sqlite.path,
          table: sqlite.table,
          format: command.format,
          ...(command.top === undefined ? {} : { top: command.top }),
          ...(command.key === undefined ? {} : { key: command.key }),
          ...(since === undefined ? {} : { since }),
        },
        out,
        (line) => void process.stderr.write(line + '\n'),
      );
    }
    case 'run':
    case 'produce':
    case 'consume':
      return runPipelineCommand(config, {
        mode: command.name,
        drain: command.name === 'consume' && command.drain,
        quiet: request.quiet,
        log,
        logFormat: request.logFormat,
        ...(command.name === 'produce' ? {} : { onMetrics: (metrics) => startMonitorIfConfigured(config, metrics, log) }),
      });
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Everything is closed and flushed by now. After a broker restart kafkajs can keep a socket
    // open that no disconnect reaches (tulios/kafkajs#767, #1147): do not let it hold the exit.
    // Unref'd, so a process with nothing left open exits at once, as before.
    setTimeout(() => process.exit(code), 2_000).unref();
  },
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
