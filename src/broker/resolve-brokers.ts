/**
 * The one way the rest of the code gets a broker. In order:
 *
 *   1. KAFKA_BROKERS (comma-separated host:port)          origin 'env'
 *   2. broker.brokers from the pipeline config            origin 'config'
 *   3. a running local broker: the one `broker start` recorded, or anything answering on
 *      127.0.0.1:19092 (e.g. redpanda/compose.yaml)      origin 'local-kafka' / 'redpanda'
 *   4. start one: Redpanda in Docker when an engine answers, else the local Apache Kafka
 *      (Java 17 + Maven)                                  startedHere: true
 *   5. otherwise an error that says what to install.
 */
import { type Logger } from '../logger.ts';
import { clusterIdAt } from './broker-probe.ts';
import { defaultDataDir, defaultKafkaPort, localKafkaStatus, type LocalKafkaOptions, startLocalKafka, stopLocalKafka } from './local-kafka.ts';
import { findExecutable, findJava } from './local-process.ts';
import { probeDocker, startRedpandaContainer } from './redpanda-container.ts';

/** Where the brokers came from. */
export type BrokerOrigin = 'env' | 'config' | 'redpanda' | 'local-kafka';

/** A broker to use, and how to give it back. */
export interface ResolvedBrokers {
  brokers: string[];
  origin: BrokerOrigin;
  /** True when this call started the broker; only then does stop() stop anything. */
  startedHere: boolean;
  stop(): Promise<void>;
}

/** Inputs of resolveBrokers(). */
export interface ResolveBrokersOptions {
  /** broker.brokers from the config ([] when not set). */
  configured: string[];
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /**
   * Where a local Kafka is started if one is needed (default: the developer broker in
   * <project>/.local/kafka on 19092). The test runner passes its own folder and port.
   */
  localKafka?: Pick<LocalKafkaOptions, 'dataDir' | 'cacheDir' | 'port' | 'readyTimeoutMs'>;
  /**
   * Which running brokers step 3 may reuse: those recorded in `dataDirs` (default: the developer
   * broker's folder) and whatever answers at `address` (default 127.0.0.1:19092; null: none).
   */
  reuseRunning?: { dataDirs?: string[]; address?: string | null };
}

const nothingToStop = (): Promise<void> => Promise.resolve();

/** Finds or starts a broker (see the module comment for the order). */
export async function resolveBrokers(options: ResolveBrokersOptions): Promise<ResolvedBrokers> {
  const { log } = options;
  const env = options.env ?? process.env;

  const fromEnv = parseBrokerList(env['KAFKA_BROKERS']);
  if (fromEnv.length > 0) return { brokers: fromEnv, origin: 'env', startedHere: false, stop: nothingToStop };
  if (options.configured.length > 0) return { brokers: [...options.configured], origin: 'config', startedHere: false, stop: nothingToStop };

  const running = await runningBroker(
    options.reuseRunning?.dataDirs ?? [defaultDataDir],
    options.reuseRunning?.address === undefined ? `127.0.0.1:${defaultKafkaPort}` : options.reuseRunning.address,
    log,
  );
  if (running) return { ...running, startedHere: false, stop: nothingToStop };

  const docker = await probeDocker({ env });
  if (docker.available) {
    try {
      const redpanda = await startRedpandaContainer(log, env);
      return { brokers: [redpanda.bootstrap], origin: 'redpanda', startedHere: true, stop: () => redpanda.stop() };
    } catch (error) {
      log.warn('could not start Redpanda in Docker; trying the local Kafka', { error: (error as Error).message });
    }
  } else {
    log.debug('no Docker engine', { reason: docker.reason });
  }

  const java = findJava(env);
  if (java !== undefined) {
    const localOptions: LocalKafkaOptions = { ...options.localKafka, log, env };
    const local = await startLocalKafka(localOptions);
    log.info('local Kafka is ready', { bootstrap: local.state.bootstrap, seconds: (local.readyMs / 1000).toFixed(1) });
    return {
      brokers: [local.state.bootstrap],
      origin: 'local-kafka',
      startedHere: !local.reused,
      stop: local.reused ? nothingToStop : async () => void (await stopLocalKafka(localOptions)),
    };
  }

  const missing = findExecutable('mvn', env) === undefined ? 'Java 17 and Maven' : 'Java 17';
  throw new Error(
    'no Kafka broker to use: KAFKA_BROKERS is not set, broker.brokers is empty, no local broker runs, ' +
      `no Docker engine answers (${docker.reason}) and ${missing} ${missing.includes('and') ? 'are' : 'is'} not installed; ` +
      `install Docker (Redpanda then starts by itself) or ${missing} (a local Apache Kafka then starts by itself), ` +
      'or point KAFKA_BROKERS at an existing broker',
  );
}

/** "a:1, b:2" -> ["a:1", "b:2"]; empty entries dropped. */
export function parseBrokerList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/**
 * A broker recorded by `broker start` in one of `dataDirs`, if it answers; else whatever answers
 * at `address` (the compose file's Redpanda publishes the same 127.0.0.1:19092 as our local Kafka).
 */
async function runningBroker(dataDirs: string[], address: string | null, log: Logger): Promise<{ brokers: string[]; origin: BrokerOrigin } | undefined> {
  for (const dataDir of dataDirs) {
    const status = await localKafkaStatus({ log, dataDir });
    if (status.running && status.answering) return { brokers: [status.state.bootstrap], origin: 'local-kafka' };
    if (status.running) log.warn('a local Kafka runs but does not answer; see its log', { pid: status.state.pid, log: status.state.logFile });
  }
  const clusterId = address === null ? undefined : await clusterIdAt([address], 1_500);
  if (address !== null && clusterId !== undefined) {
    const redpanda = clusterId.startsWith('redpanda');
    log.info(`a ${redpanda ? 'Redpanda' : 'Kafka'} broker answers on ${address}; using it`, { clusterId });
    return { brokers: [address], origin: redpanda ? 'redpanda' : 'local-kafka' };
  }
  return undefined;
}
