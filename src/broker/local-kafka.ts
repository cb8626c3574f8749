/**
 * Start, stop and inspect a single-node Apache Kafka (KRaft) on 127.0.0.1, for machines without
 * Docker. Jars come from redpanda/pom.xml through Maven (cached, see kafka-classpath.ts); data,
 * log and state live in a data folder (default <project>/.local/kafka, git-ignored):
 *
 *   state.json         pid, ports and bootstrap address of the running broker (its only record)
 *   broker.log         the JVM's stdout/stderr (levels in redpanda/log4j2.properties)
 *   server.properties  rewritten at each start (see local-kafka-config.ts)
 *   kraft/             Kafka's log.dirs, formatted once
 *
 * The broker runs detached (its own process group) so it outlives the command that started it;
 * only the recorded pid is ever signalled.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Logger } from '../logger.ts';
import { brokerAnswers, waitForBroker } from './broker-probe.ts';
import { resolveKafkaClasspath } from './kafka-classpath.ts';
import { type ClassDataArchive, dataDirLayout, jvmArguments, newClusterId, serverProperties } from './local-kafka-config.ts';
import { findJava, freePorts, isProcessAlive, portIsFree, processCommandLine, terminateProcess, withFileLock } from './local-process.ts';

/** The repository root (this file is src/broker/local-kafka.ts). */
export const projectDir = fileURLToPath(new URL('../../', import.meta.url));
/** Default data folder of the developer's broker. */
export const defaultDataDir = join(projectDir, '.local', 'kafka');
/** Default Kafka port; the controller listens on the next one. */
export const defaultKafkaPort = 19092;

/** Where a broker keeps its data and which ports it prefers. */
export interface LocalKafkaOptions {
  log: Logger;
  /** Data, log and state.json. Default <project>/.local/kafka; tests use their own. */
  dataDir?: string;
  /** Classpath and class-data caches, shared by every data folder. Default <project>/.local/kafka. */
  cacheDir?: string;
  /** Preferred Kafka port (controller: port + 1); 0 = any free ports. Default 19092. */
  port?: number;
  /** How long a start may take before it is abandoned. Default 60 s. */
  readyTimeoutMs?: number;
  /**
   * Also listen with SASL_PLAINTEXT (mechanism PLAIN) for this one user, on the port after the
   * controller's (or a free one); state.json records it as `saslBootstrap`. For tests of SASL
   * settings: the password travels in clear text, on 127.0.0.1 only.
   */
  saslPlain?: { username: string; password: string };
  env?: NodeJS.ProcessEnv;
}

/** What state.json records about a running broker. */
export interface LocalKafkaState {
  pid: number;
  bootstrap: string;
  port: number;
  controllerPort: number;
  dataDir: string;
  logFile: string;
  startedAt: string;
  /** host:port of the SASL_PLAINTEXT listener, when started with `saslPlain`. */
  saslBootstrap?: string;
  /** Set while the JVM will write a class-data archive at exit; renamed into place by stop. */
  classDataPending?: { part: string; archive: string };
}

/** The result of startLocalKafka(). */
export interface LocalKafkaStart {
  state: LocalKafkaState;
  /** A broker from an earlier start was already running and answering. */
  reused: boolean;
  /** Milliseconds from the call to the first successful metadata request. */
  readyMs: number;
}

/** The result of localKafkaStatus(). */
export type LocalKafkaStatus =
  | { running: false; reason: string }
  | { running: true; answering: boolean; state: LocalKafkaState };

/**
 * Starts the broker and resolves once it answers a metadata request; reuses a running one.
 * Throws with the tail of broker.log when the JVM exits or does not answer in time.
 */
export async function startLocalKafka(options: LocalKafkaOptions): Promise<LocalKafkaStart> {
  const dataDir = options.dataDir ?? defaultDataDir;
  mkdirSync(dataDir, { recursive: true });
  return withFileLock(join(dataDir, 'start.lock'), (options.readyTimeoutMs ?? 60_000) + 30_000, () => startWhileLocked(options, dataDir));
}

async function startWhileLocked(options: LocalKafkaOptions, dataDir: string): Promise<LocalKafkaStart> {
  const started = Date.now();
  const { log } = options;
  const cacheDir = options.cacheDir ?? defaultDataDir;
  const layout = dataDirLayout(dataDir);
  const timeoutMs = options.readyTimeoutMs ?? 60_000;

  const existing = readState(layout.stateFile);
  if (existing && isOurBroker(existing)) {
    if (options.saslPlain && existing.saslBootstrap === undefined) {
      throw new Error(`the local Kafka in ${dataDir} (pid ${existing.pid}) runs without the SASL listener asked for; stop it first`);
    }
    await waitForBroker([existing.bootstrap], { timeoutMs, stillStarting: () => exitedReason(existing) }).catch((error: Error) => {
      throw new Error(`the local Kafka (pid ${existing.pid}) runs but does not answer: ${error.message}; see ${existing.logFile}, or stop it with "broker stop"`);
    });
    return { state: existing, reused: true, readyMs: Date.now() - started };
  }
  if (existing) rmSync(layout.stateFile, { force: true }); // the recorded broker is gone

  const java = findJava(options.env);
  if (java === undefined) throw new Error('cannot start the local Kafka: no java on PATH (or in JAVA_HOME); install Java 17 and Maven, or use Docker');
  const { classpath } = await resolveKafkaClasspath({ pomFile: join(projectDir, 'redpanda', 'pom.xml'), cacheDir, log, env: options.env ?? process.env });
  const [port = 0, controllerPort = 0, saslPort = 0] = await choosePorts(options.port ?? defaultKafkaPort, options.saslPlain ? 3 : 2, log);
  const saslPlain = options.saslPlain && { port: saslPort, ...options.saslPlain };
  writeFileSync(layout.propertiesFile, serverProperties({ port, controllerPort, kraftDir: layout.kraftDir, ...(saslPlain ? { saslPlain } : {}) }));

  const archive = classDataArchive(cacheDir, classpath, java);
  if (!existsSync(layout.metaProperties)) {
    log.info('formatting the local Kafka storage', { dir: layout.kraftDir });
    // The broker's fast-start flags help this short-lived JVM too (the archive only if it exists).
    const fastStart = ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', ...(existsSync(archive) ? [`-XX:SharedArchiveFile=${archive}`, '-Xlog:cds=off'] : [])];
    await runToCompletion(java, [...fastStart, '-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', newClusterId(), '-c', layout.propertiesFile]);
  }
  const classData: ClassDataArchive = existsSync(archive) ? { use: archive } : { createAtExit: `${archive}.${newClusterId()}.part` };
  // Appended across starts (a crash stays readable after a restart), rotated once it gets large.
  if (existsSync(layout.logFile) && statSync(layout.logFile).size > 10 * 1024 * 1024) renameSync(layout.logFile, `${layout.logFile}.old`);
  const logFd = openSync(layout.logFile, 'a');
  const jvm = jvmArguments({ log4jConfig: join(projectDir, 'redpanda', 'log4j2.properties'), classData });
  const child = spawn(java, [...jvm, '-cp', classpath, 'kafka.Kafka', layout.propertiesFile], {
    detached: true, // own process group: Ctrl-C in the terminal that started it does not reach it
    stdio: ['ignore', logFd, logFd],
    cwd: dataDir,
  });
  closeSync(logFd);
  child.unref();
  if (child.pid === undefined) throw new Error(`cannot start ${java}`);
  const state: LocalKafkaState = {
    pid: child.pid,
    bootstrap: `127.0.0.1:${port}`,
    port,
    controllerPort,
    dataDir,
    logFile: layout.logFile,
    startedAt: new Date().toISOString(),
    ...(saslPlain ? { saslBootstrap: `127.0.0.1:${saslPlain.port}` } : {}),
    ...('createAtExit' in classData ? { classDataPending: { part: classData.createAtExit, archive } } : {}),
  };
  // Recorded before readiness so that a stop (or a second start) finds a broker that is still starting.
  writeFileSync(layout.stateFile, JSON.stringify(state, null, 2) + '\n');
  log.debug('local Kafka process started', { pid: state.pid, bootstrap: state.bootstrap });

  try {
    await waitForBroker([state.bootstrap], { timeoutMs, stillStarting: () => exitedReason(state) });
  } catch (error) {
    // Only the process started here is stopped (it may still be starting, or hung).
    keepClassData(state, (await terminateProcess(state.pid, 20_000)) === 'exited');
    rmSync(layout.stateFile, { force: true });
    throw new Error(`the local Kafka did not start: ${(error as Error).message}\n--- last lines of ${layout.logFile}:\n${logTail(layout.logFile)}`, { cause: error });
  }
  return { state, reused: false, readyMs: Date.now() - started };
}

/**
 * Stops the broker recorded in the data folder (SIGTERM, then SIGKILL after 20 s) and removes
 * its state. Never touches a process it did not start.
 */
export async function stopLocalKafka(options: LocalKafkaOptions): Promise<{ stopped: boolean; detail: string }> {
  const layout = dataDirLayout(options.dataDir ?? defaultDataDir);
  const state = readState(layout.stateFile);
  if (!state) return { stopped: false, detail: 'no local Kafka is recorded as running' };
  if (!isOurBroker(state)) {
    rmSync(layout.stateFile, { force: true });
    return { stopped: false, detail: `the recorded local Kafka (pid ${state.pid}) was no longer running` };
  }
  const how = await terminateProcess(state.pid, 20_000);
  keepClassData(state, how === 'exited');
  rmSync(layout.stateFile, { force: true });
  options.log.debug('local Kafka stopped', { pid: state.pid, how });
  return { stopped: true, detail: `stopped the local Kafka (pid ${state.pid}${how === 'killed' ? ', killed after 20 s' : ''})` };
}

/** Whether the recorded broker runs, and whether it answers a metadata request. */
export async function localKafkaStatus(options: LocalKafkaOptions): Promise<LocalKafkaStatus> {
  const layout = dataDirLayout(options.dataDir ?? defaultDataDir);
  const state = readState(layout.stateFile);
  if (!state) return { running: false, reason: 'no local Kafka is recorded as running' };
  if (!isOurBroker(state)) return { running: false, reason: `the recorded local Kafka (pid ${state.pid}) is no longer running` };
  return { running: true, answering: await brokerAnswers([state.bootstrap], 3_000), state };
}

function readState(file: string): LocalKafkaState | undefined {
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalKafkaState>;
    const valid = typeof state.pid === 'number' && typeof state.bootstrap === 'string' && typeof state.dataDir === 'string';
    return valid ? (state as LocalKafkaState) : undefined;
  } catch {
    return undefined; // missing or half-written: treated as "nothing recorded"
  }
}

/** Alive, and (where /proc tells) still a Kafka started with this data folder's properties. */
function isOurBroker(state: LocalKafkaState): boolean {
  if (!isProcessAlive(state.pid)) return false;
  const commandLine = processCommandLine(state.pid);
  return commandLine === undefined || commandLine.includes(dataDirLayout(state.dataDir).propertiesFile);
}

function exitedReason(state: LocalKafkaState): string | undefined {
  return isProcessAlive(state.pid) ? undefined : `the broker process (pid ${state.pid}) exited`;
}

/**
 * `count` consecutive ports from the preferred one when all are free, else `count` free ones
 * (the preferred may be another broker). Order: Kafka, controller, then the SASL listener.
 */
async function choosePorts(preferred: number, count: number, log: Logger): Promise<number[]> {
  const wanted = Array.from({ length: count }, (_, index) => preferred + index);
  if (preferred !== 0 && (await Promise.all(wanted.map((port) => portIsFree(port)))).every(Boolean)) return wanted;
  const ports = await freePorts(count);
  if (preferred !== 0) log.info(`one of ports ${preferred}-${preferred + count - 1} is taken by another program; the local Kafka uses ${ports[0]}`);
  return ports;
}

/**
 * The class-data archive for this classpath and this JDK (a new JDK or jar set gets a new file).
 * Leftover partial archives (a JVM killed mid-dump, or stopped by someone else) are removed.
 */
function classDataArchive(cacheDir: string, classpath: string, java: string): string {
  const javaFile = realpathSync(java);
  const javaStat = statSync(javaFile);
  const key = createHash('sha256').update(`${classpath}\n${javaFile}\n${javaStat.size}\n${javaStat.mtimeMs}`).digest('hex').slice(0, 16);
  const archive = join(cacheDir, `jvm-${key}.jsa`);
  for (const name of readdirSync(cacheDir)) {
    const file = join(cacheDir, name);
    const stale = name.endsWith('.part') ? Date.now() - statSync(file).mtimeMs > 60_000 : name.endsWith('.jsa') && file !== archive;
    if (name.startsWith('jvm-') && stale) rmSync(file, { force: true });
  }
  return archive;
}

/** After a clean exit the JVM has written its archive under a temporary name: put it in place. */
function keepClassData(state: LocalKafkaState, cleanExit: boolean): void {
  const pending = state.classDataPending;
  if (!pending || !existsSync(pending.part)) return;
  if (cleanExit && !existsSync(pending.archive)) renameSync(pending.part, pending.archive);
  else rmSync(pending.part, { force: true });
}

function runToCompletion(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`formatting the Kafka storage failed (exit ${code}): ${output.trim()}`))));
  });
}

function logTail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log written)';
  }
}
