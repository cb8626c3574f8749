/**
 * A broker a test owns: a local Apache Kafka in a temporary folder, on ports of its own, that the
 * test may kill, stop and start again on the same port and data. Never the run's shared broker
 * (KAFKA_BROKERS): stopping that one would break every other test.
 */
import { rmSync } from 'node:fs';
import { type LocalKafkaOptions, startLocalKafka, stopLocalKafka } from '../../src/broker/local-kafka.ts';
import { findJava, portIsFree } from '../../src/broker/local-process.ts';
import { silentLogger } from '../../src/logger.ts';
import { tempDir } from '../support/cli.ts';

/** A running broker of the test's own. */
export interface OwnBroker {
  /** host:port of the PLAINTEXT listener. */
  bootstrap: string;
  /** host:port of the SASL_PLAINTEXT listener, when asked for. */
  saslBootstrap: string | undefined;
  /** SIGKILL, as a crash: nothing flushed, no controlled shutdown. */
  kill(): void;
  /** SIGTERM and wait for the exit: a clean shutdown. Resolves with how long it took (ms). */
  stop(): Promise<number>;
  /** Starts it again on the same ports and data; resolves with ms until it answers metadata. */
  start(): Promise<number>;
}

/** Why broker tests cannot run here, or undefined when they can. */
export function ownBrokerUnavailable(): string | undefined {
  return findJava() === undefined ? 'needs Java 17 (and Maven) to start a local Kafka of its own' : undefined;
}

/**
 * Starts a broker for this test only. `after` registers its cleanup (e.g. `(c) => t.after(c)`):
 * the broker is stopped and its folder removed. Registered before the start, so a start that
 * fails halfway is cleaned up too.
 */
export async function startOwnBroker(after: (cleanup: () => Promise<void>) => void, options: Pick<LocalKafkaOptions, 'saslPlain'> = {}): Promise<OwnBroker> {
  const dataDir = tempDir('salesflow-own-broker-');
  const port = await consecutiveFreePorts(options.saslPlain ? 3 : 2);
  const kafkaOptions: LocalKafkaOptions = { log: silentLogger, dataDir, port, ...options };
  after(async () => {
    await stopLocalKafka(kafkaOptions);
    rmSync(dataDir, { recursive: true, force: true });
  });
  let first = await startLocalKafka(kafkaOptions);
  let pid = first.state.pid;
  return {
    bootstrap: first.state.bootstrap,
    saslBootstrap: first.state.saslBootstrap,
    kill: () => process.kill(pid, 'SIGKILL'),
    stop: async () => {
      const started = Date.now();
      await stopLocalKafka(kafkaOptions);
      return Date.now() - started;
    },
    start: async () => {
      const again = await startLocalKafka(kafkaOptions);
      // Another port would be another address: the clients under test would never find it again.
      if (again.state.bootstrap !== first.state.bootstrap) throw new Error(`the broker came back on ${again.state.bootstrap}, not ${first.state.bootstrap}`);
      pid = again.state.pid;
      first = again;
      return again.readyMs;
    },
  };
}

/**
 * The first of `count` consecutive free ports (Kafka, controller, SASL), below Linux's ephemeral
 * range (32768+): while the broker is down, an outgoing connection must not take its port.
 */
async function consecutiveFreePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = 20_000 + Math.floor(Math.random() * 12_000);
    const ports = Array.from({ length: count }, (_, index) => first + index);
    if ((await Promise.all(ports.map((port) => portIsFree(port)))).every(Boolean)) return first;
  }
  throw new Error(`found no ${count} consecutive free ports`);
}
