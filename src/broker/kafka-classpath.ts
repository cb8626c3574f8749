/**
 * The Java classpath of the local Kafka broker. Maven resolves redpanda/pom.xml once (and
 * downloads the jars on a machine's first start); the result is cached in a file keyed by a hash
 * of the pom, so a warm start reads one small file instead of spending seconds in `mvn`.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { type Logger } from '../logger.ts';
import { findExecutable } from './local-process.ts';

/** The resolved classpath and the key it is cached under. */
export interface KafkaClasspath {
  /** Absolute jar paths joined with the platform's path delimiter, as `java -cp` wants. */
  classpath: string;
  /** First 16 hex digits of the pom's SHA-256: changes whenever the pom does. */
  pomKey: string;
  /** Whether this call had to run Maven (a cold start). */
  ranMaven: boolean;
}

/** Where the pom is and where the cache lives. */
export interface ResolveClasspathOptions {
  pomFile: string;
  cacheDir: string;
  log: Logger;
  env?: NodeJS.ProcessEnv;
}

/** Returns the cached classpath when it is still valid, else resolves it with Maven and caches it. */
export async function resolveKafkaClasspath(options: ResolveClasspathOptions): Promise<KafkaClasspath> {
  const pomKey = createHash('sha256').update(readFileSync(options.pomFile)).digest('hex').slice(0, 16);
  const cacheFile = join(options.cacheDir, `classpath-${pomKey}.txt`);
  const cached = readCachedClasspath(cacheFile);
  if (cached !== undefined) return { classpath: cached, pomKey, ranMaven: false };

  const mvn = findExecutable('mvn', options.env);
  if (mvn === undefined) {
    throw new Error('cannot resolve the Kafka jars: Maven (mvn) is not on PATH; install Java 17 and Maven, or use Docker');
  }
  mkdirSync(options.cacheDir, { recursive: true });
  const partial = `${cacheFile}.${process.pid}.part`;
  options.log.info('resolving the Kafka jars with Maven (the first time downloads them)', { pom: options.pomFile });
  const started = Date.now();
  await runMaven(mvn, ['-q', '-B', '-f', options.pomFile, 'dependency:build-classpath', `-Dmdep.outputFile=${partial}`], options.env);
  // Written under a temporary name and renamed, so a concurrent start never reads half a file.
  renameSync(partial, cacheFile);
  removeStaleCaches(options.cacheDir, cacheFile);
  options.log.info('Kafka jars resolved', { seconds: ((Date.now() - started) / 1000).toFixed(1) });
  const classpath = readCachedClasspath(cacheFile);
  if (classpath === undefined) throw new Error(`Maven wrote an unusable classpath to ${cacheFile}`);
  return { classpath, pomKey, ranMaven: true };
}

/** The cached classpath, or undefined when missing or when a jar was since removed from ~/.m2. */
function readCachedClasspath(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const classpath = readFileSync(file, 'utf8').trim();
  const jars = classpath.split(delimiter).filter((jar) => jar !== '');
  if (jars.length === 0 || !jars.every((jar) => existsSync(jar))) return undefined;
  return jars.join(delimiter);
}

function removeStaleCaches(dir: string, keep: string): void {
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (name.startsWith('classpath-') && file !== keep) rmSync(file, { force: true });
  }
}

function runMaven(mvn: string, args: string[], env: NodeJS.ProcessEnv | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(mvn, args, { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-8_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (error) => reject(new Error(`cannot run ${mvn}: ${error.message}`)));
    child.once('close', (code) => {
      if (code === 0) return resolve();
      // Maven colours its output even with -B; strip the escape codes from the message.
      const tail = output.replace(/\u001b\[[0-9;]*m/g, '').trim().split('\n').slice(-15).join('\n');
      reject(new Error(`Maven could not resolve the Kafka jars (exit ${code}):\n${tail}`));
    });
  });
}
