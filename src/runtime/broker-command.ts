/**
 * `salesflow <pipeline.yaml> broker start|stop|status`: the developer's local Apache Kafka
 * (see src/broker/local-kafka.ts), which keeps running between pipeline runs so they start fast.
 *
 * A Redpanda started through testcontainers is removed when the process that started it exits,
 * so it cannot outlive this command; with Docker, redpanda/compose.yaml is the long-lived broker.
 */
import { relative } from 'node:path';
import { clusterIdAt } from '../broker/broker-probe.ts';
import { defaultKafkaPort, localKafkaStatus, projectDir, startLocalKafka, stopLocalKafka } from '../broker/local-kafka.ts';
import { findJava } from '../broker/local-process.ts';
import { parseBrokerList } from '../broker/resolve-brokers.ts';
import { type Logger } from '../logger.ts';

/** Options of runBrokerCommand(); `out` receives the command's result lines (stdout). */
export interface BrokerCommandOptions {
  configuredBrokers: string[];
  log: Logger;
  out: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Another data folder and port than the developer broker's; for tests. */
  localKafka?: { dataDir?: string; port?: number };
}

/** Exit code of `broker status` when no broker runs (LSB's "program is not running"). */
export const exitNotRunning = 3;

/**
 * Runs one broker action and returns the exit code: 0 done / running, 1 failed (or running but
 * not answering), 3 (status only) not running.
 */
export async function runBrokerCommand(action: 'start' | 'stop' | 'status', options: BrokerCommandOptions): Promise<number> {
  try {
    switch (action) {
      case 'start':
        return await start(options);
      case 'stop':
        return await stop(options);
      case 'status':
        return await status(options);
    }
  } catch (error) {
    options.log.error(`broker ${action} failed: ${(error as Error).message}`);
    return 1;
  }
}

async function start({ configuredBrokers, log, out, env = process.env, localKafka }: BrokerCommandOptions): Promise<number> {
  const elsewhere = parseBrokerList(env['KAFKA_BROKERS']);
  if (elsewhere.length > 0 || configuredBrokers.length > 0) {
    const source = elsewhere.length > 0 ? `KAFKA_BROKERS=${elsewhere.join(',')}` : `broker.brokers: ${configuredBrokers.join(',')}`;
    log.warn(`note: the pipeline uses ${source}, not the local Kafka started here`);
  }
  if (findJava(env) === undefined) {
    log.error(
      'broker start needs Java 17 and Maven for the local Kafka; with Docker, run ' +
        '"docker compose -f redpanda/compose.yaml up -d" instead (Redpanda on 127.0.0.1:19092)',
    );
    return 1;
  }
  const result = await startLocalKafka({ ...localKafka, log, env });
  const { state } = result;
  if (result.reused) {
    out(`local Kafka already running at ${state.bootstrap} (pid ${state.pid}); reusing it`);
  } else {
    out(`local Kafka ready at ${state.bootstrap} (pid ${state.pid}, ${(result.readyMs / 1000).toFixed(1)} s; data and log in ${shortPath(state.dataDir)})`);
  }
  return 0;
}

async function stop({ log, out, localKafka }: BrokerCommandOptions): Promise<number> {
  const result = await stopLocalKafka({ ...localKafka, log });
  out(result.detail);
  return 0;
}

async function status({ log, out, localKafka }: BrokerCommandOptions): Promise<number> {
  const result = await localKafkaStatus({ ...localKafka, log });
  if (result.running && result.answering) {
    const { state } = result;
    out(`local Kafka running at ${state.bootstrap} (pid ${state.pid}, since ${state.startedAt}; data and log in ${shortPath(state.dataDir)})`);
    return 0;
  }
  if (result.running) {
    out(`local Kafka process ${result.state.pid} runs but does not answer at ${result.state.bootstrap}; see ${shortPath(result.state.logFile)}`);
    return 1;
  }
  out(`local Kafka not running (${result.reason})`);
  const defaultAddress = `127.0.0.1:${defaultKafkaPort}`;
  const clusterId = await clusterIdAt([defaultAddress], 1_500);
  if (clusterId !== undefined) {
    const kind = clusterId.startsWith('redpanda') ? 'a Redpanda broker (e.g. redpanda/compose.yaml)' : 'a Kafka broker not started by this command';
    out(`${kind} answers at ${defaultAddress}; the pipeline would use it`);
  }
  return exitNotRunning;
}

function shortPath(path: string): string {
  const inProject = relative(projectDir, path);
  return inProject.startsWith('..') ? path : inProject;
}
