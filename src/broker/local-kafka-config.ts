/**
 * What the local Kafka broker runs with: its server.properties and its JVM flags. Kept apart from
 * the start/stop logic in local-kafka.ts because this is the file to read when asking "how is the
 * local broker configured, and why".
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/** The ports and folders one broker instance uses. */
export interface BrokerLayout {
  port: number;
  controllerPort: number;
  /** Kafka's log.dirs: partitions, the KRaft metadata log and meta.properties. */
  kraftDir: string;
  /** An extra SASL_PLAINTEXT listener (mechanism PLAIN, one user), for tests of SASL settings. */
  saslPlain?: SaslPlainListener;
}

/** A SASL_PLAINTEXT listener with the PLAIN mechanism and exactly one user. */
export interface SaslPlainListener {
  port: number;
  username: string;
  password: string;
}

/**
 * server.properties for a single KRaft node that is both broker and controller, on 127.0.0.1 only.
 *
 * - Static voter (`controller.quorum.voters`) rather than `format --standalone`: the standalone
 *   (dynamic) quorum records the controller's endpoint in the metadata log at format time, so a
 *   restart on different ports (the default ones taken) would point the broker at a dead address.
 *   A static voter is read from this file at every start.
 * - Replication 1 and min ISR 1 everywhere: there is one node. Fewer partitions for the internal
 *   topics (50 by default) so the first consumer group join creates 8 logs, not 50.
 * - `group.initial.rebalance.delay.ms=0`: no 3 s wait before every first group join (tests).
 * - `auto.create.topics.enable=false`: a topic appears only through ensureTopics() with the
 *   configured partition count; a misspelt topic fails loudly instead of silently becoming a new
 *   one-partition topic that hides partitioning bugs. (Redpanda's dev-container mode auto-creates;
 *   our code never relies on it, so both brokers behave the same for the pipeline.)
 * - Only when asked (`saslPlain`): a SASL_PLAINTEXT listener with one PLAIN user, defined inline
 *   (`listener.name.sasl_plaintext.plain.sasl.jaas.config`), so the tests of wrong and right
 *   passwords need no JAAS file. Brokers talk to each other (and the controller) on PLAINTEXT.
 */
export function serverProperties(layout: BrokerLayout): string {
  const { saslPlain } = layout;
  const sasl = saslPlain === undefined ? undefined : { url: `SASL_PLAINTEXT://127.0.0.1:${saslPlain.port}`, jaas: plainJaasConfig(saslPlain) };
  const settings: Array<[string, string | number]> = [
    ['process.roles', 'broker,controller'],
    ['node.id', 1],
    ['controller.quorum.voters', `1@127.0.0.1:${layout.controllerPort}`],
    ['listeners', [`PLAINTEXT://127.0.0.1:${layout.port}`, `CONTROLLER://127.0.0.1:${layout.controllerPort}`, ...(sasl ? [sasl.url] : [])].join(',')],
    ['advertised.listeners', [`PLAINTEXT://127.0.0.1:${layout.port}`, ...(sasl ? [sasl.url] : [])].join(',')],
    ['listener.security.protocol.map', `CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT${sasl ? ',SASL_PLAINTEXT:SASL_PLAINTEXT' : ''}`],
    ...(sasl
      ? ([
          ['listener.name.sasl_plaintext.sasl.enabled.mechanisms', 'PLAIN'],
          ['listener.name.sasl_plaintext.plain.sasl.jaas.config', sasl.jaas],
        ] satisfies Array<[string, string]>)
      : []),
    ['controller.listener.names', 'CONTROLLER'],
    ['inter.broker.listener.name', 'PLAINTEXT'],
    ['log.dirs', layout.kraftDir],
    ['num.partitions', 1],
    ['default.replication.factor', 1],
    ['min.insync.replicas', 1],
    ['offsets.topic.replication.factor', 1],
    ['offsets.topic.num.partitions', 8],
    ['transaction.state.log.replication.factor', 1],
    ['transaction.state.log.min.isr', 1],
    ['transaction.state.log.num.partitions', 4],
    ['share.coordinator.state.topic.replication.factor', 1],
    ['share.coordinator.state.topic.min.isr', 1],
    ['group.initial.rebalance.delay.ms', 0],
    ['auto.create.topics.enable', 'false'],
  ];
  const header = '# Written by src/broker/local-kafka-config.ts at every start: change that file, not this one.\n';
  return header + settings.map(([name, value]) => `${name}=${value}`).join('\n') + '\n';
}

/**
 * The broker side of PLAIN: `user_<name>="<password>"` defines the one user. Names and passwords
 * are limited to characters that need no escaping in a properties file or a JAAS string.
 */
function plainJaasConfig({ username, password }: SaslPlainListener): string {
  for (const [what, value] of [['username', username], ['password', password]] as const) {
    if (!/^[A-Za-z0-9._-]+$/.test(value)) throw new Error(`local Kafka SASL ${what} must match [A-Za-z0-9._-]+`);
  }
  return `org.apache.kafka.common.security.plain.PlainLoginModule required username="${username}" password="${password}" user_${username}="${password}";`;
}

/** Where the JVM's class-data archive is read from, or written to when the broker exits. */
export type ClassDataArchive = { use: string } | { createAtExit: string };

/**
 * JVM flags, each measured on a 2-core machine (time from `java` to a DescribeCluster answer,
 * Kafka 4.1.1, Java 17): default flags 1.65 s; SerialGC 1.6 s; + TieredStopAtLevel=1 1.25 s;
 * + a class-data archive of Kafka's classes 0.73 s. C1-only also produced 15-20 % more records/s
 * in a kafkajs produce/consume run, since C2 compiler threads compete for the same two cores.
 */
export function jvmArguments(options: { log4jConfig: string; classData: ClassDataArchive }): string[] {
  return [
    '-Xms64m',
    '-Xmx512m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-XX:+ExitOnOutOfMemoryError',
    // AppCDS (Java 13+): map Kafka's pre-parsed classes instead of loading ~5,000 classes from jars.
    'use' in options.classData
      ? `-XX:SharedArchiveFile=${options.classData.use}`
      : `-XX:ArchiveClassesAtExit=${options.classData.createAtExit}`,
    // An archive from another classpath or JDK is silently ignored; its warnings would only be noise.
    '-Xlog:cds=off',
    '-Xlog:cds+dynamic=off',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${options.log4jConfig}`,
  ];
}

/**
 * A new cluster id in Kafka's format (a random UUID, base64url without padding), generated here
 * instead of by `kafka-storage random-uuid` to save a JVM start. Like Kafka, avoid a leading '-',
 * which its command-line tools would read as an option.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Paths inside a broker's data folder. */
export function dataDirLayout(dataDir: string): {
  stateFile: string;
  logFile: string;
  propertiesFile: string;
  kraftDir: string;
  metaProperties: string;
} {
  const kraftDir = join(dataDir, 'kraft');
  return {
    stateFile: join(dataDir, 'state.json'),
    logFile: join(dataDir, 'broker.log'),
    propertiesFile: join(dataDir, 'server.properties'),
    kraftDir,
    metaProperties: join(kraftDir, 'meta.properties'),
  };
}
