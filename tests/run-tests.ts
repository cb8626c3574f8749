/**
 * `npm test` / `npm run test:unit`: runs tests/**\/*.test.ts with node:test, one file at a time
 * (the machine has two cores, and integration tests share one broker).
 *
 *   npm test                   every test; starts a broker when KAFKA_BROKERS is not set
 *   npm run test:unit          only tests/{window,config,generator,sinks}: no broker
 *   npm test -- window sqlite  only files whose path contains "window" or "sqlite"
 *
 * A broker is needed only when a selected file lies outside the unit folders. Then, unless
 * KAFKA_BROKERS is set, the local broker that `broker start` left running is reused, or one is
 * started (Redpanda in Docker, else a local Kafka in .local/kafka-test, wiped first so every run
 * starts from nothing) and stopped at the end, also on failure and on Ctrl-C.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { defaultDataDir, projectDir, stopLocalKafka } from '../src/broker/local-kafka.ts';
import { resolveBrokers, type ResolvedBrokers } from '../src/broker/resolve-brokers.ts';
import { createLogger } from '../src/logger.ts';

const unitFolders = ['tests/window/', 'tests/config/', 'tests/generator/', 'tests/sinks/', 'tests/monitor/', 'tests/runtime/'];
const testBrokerDir = join(projectDir, '.local', 'kafka-test');
// Not 19092: a pipeline started by hand during a test run must not stumble on the test broker.
const testBrokerPort = 19192;

async function main(argv: string[]): Promise<number> {
  const log = createLogger({ fields: { component: 'run-tests' } });
  const unitOnly = argv.includes('--unit');
  const filters = argv.filter((arg) => !arg.startsWith('--'));
  const unknown = argv.filter((arg) => arg.startsWith('--') && arg !== '--unit');
  if (unknown.length > 0) {
    log.error(`unknown option ${unknown.join(' ')}: expected --unit and file filters`);
    return 2;
  }

  const files = findTestFiles(join(projectDir, 'tests'))
    .map((file) => relative(projectDir, file))
    .filter((file) => !unitOnly || unitFolders.some((folder) => file.startsWith(folder)))
    .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)));
  if (files.length === 0) {
    log.error(`no test files match${filters.length > 0 ? ` ${filters.join(', ')}` : ''}`);
    return 1;
  }

  const started = Date.now();
  const env = { ...process.env };
  // Installed for the whole run: the broker runs detached (Ctrl-C does not reach it), so an
  // interrupted start must still end with stopping what was started.
  const signals = watchSignals();
  let broker: ResolvedBrokers | undefined;
  const needsBroker = files.some((file) => !unitFolders.some((folder) => file.startsWith(folder)));
  if (needsBroker && !env['KAFKA_BROKERS']) {
    // A test broker left by a run that was killed: stop it and start clean.
    await stopLocalKafka({ log, dataDir: testBrokerDir });
    rmSync(testBrokerDir, { recursive: true, force: true });
    try {
      broker = await resolveBrokers({
        configured: [],
        log,
        localKafka: { dataDir: testBrokerDir, port: testBrokerPort },
        // Reuse only the broker `broker start` recorded; not whatever happens to answer on 19092.
        reuseRunning: { dataDirs: [defaultDataDir], address: null },
      });
    } catch (error) {
      log.error(`cannot get a broker for the integration tests: ${(error as Error).message}`);
      return 1;
    }
    if (signals.received !== undefined) {
      if (broker.startedHere) await broker.stop();
      return 130;
    }
    env['KAFKA_BROKERS'] = broker.brokers.join(',');
    log.info(`broker ${broker.startedHere ? 'started' : 'reused'}`, {
      brokers: env['KAFKA_BROKERS'],
      origin: broker.origin,
      seconds: ((Date.now() - started) / 1000).toFixed(1),
    });
  }

  const testsStarted = Date.now();
  const code = await runNodeTest(files, env, signals);
  const testSeconds = ((Date.now() - testsStarted) / 1000).toFixed(1);
  if (broker?.startedHere) {
    const stopping = Date.now();
    await broker.stop().catch((error: Error) => log.error(`stopping the test broker failed: ${error.message}`));
    log.info('broker stopped', { seconds: ((Date.now() - stopping) / 1000).toFixed(1) });
  }
  signals.dispose();
  log.info(code === 0 ? 'tests passed' : 'tests failed', {
    files: files.length,
    testSeconds,
    totalSeconds: ((Date.now() - started) / 1000).toFixed(1),
  });
  return code;
}

/** tests/**\/*.test.ts, sorted, skipping helpers and fixtures. */
function findTestFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findTestFiles(path));
    else if (entry.name.endsWith('.test.ts')) found.push(path);
  }
  return found.sort();
}

/** Remembers SIGINT/SIGTERM instead of dying on them, and passes them on to a test child. */
interface SignalWatch {
  received: NodeJS.Signals | undefined;
  child: ChildProcess | undefined;
  dispose(): void;
}

function watchSignals(): SignalWatch {
  const watch: SignalWatch = {
    received: undefined,
    child: undefined,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
  function onSignal(signal: NodeJS.Signals): void {
    watch.received = signal;
    // Ctrl-C already reached the child through the terminal's process group; SIGTERM may not have.
    if (signal === 'SIGTERM') watch.child?.kill('SIGTERM');
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return watch;
}

/**
 * Runs node's test runner in a child and resolves with its exit code (130 when interrupted), so
 * the broker is stopped only after the tests have let go of it.
 */
function runNodeTest(files: string[], env: NodeJS.ProcessEnv, signals: SignalWatch): Promise<number> {
  const args = ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', '--test-timeout=300000', ...files];
  const child = spawn(process.execPath, args, { cwd: projectDir, env, stdio: 'inherit' });
  signals.child = child;
  return new Promise((resolve) => {
    child.once('error', (error) => {
      process.stderr.write(`cannot run node --test: ${error.message}\n`);
      resolve(1);
    });
    child.once('close', (code, signal) => {
      signals.child = undefined;
      if (signals.received !== undefined || signal !== null) resolve(130);
      else resolve(code ?? 1);
    });
  });
}

process.exitCode = await main(process.argv.slice(2));
