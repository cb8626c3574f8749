/**
 * Redpanda in Docker through @testcontainers/redpanda, for machines where a Docker engine
 * answers. testcontainers is imported lazily: loading it costs about a second, and most runs
 * (KAFKA_BROKERS set, a local broker running, no Docker) never need it.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type Logger } from '../logger.ts';

/** The image; the same version as redpanda/compose.yaml. REDPANDA_IMAGE overrides it. */
export const redpandaImage = 'docker.redpanda.com/redpandadata/redpanda:v26.1.9';

/** A running Redpanda container. */
export interface RedpandaBroker {
  /** host:port for Kafka clients, on a random host port that Docker mapped. */
  bootstrap: string;
  stop(): Promise<void>;
}

/** Whether a Docker engine answers, and if not, why (for messages and `t.skip`). */
export interface DockerProbe {
  available: boolean;
  reason: string;
}

/**
 * Asks testcontainers' own runtime discovery (DOCKER_HOST, ~/.testcontainers.properties, the
 * usual sockets) whether an engine answers. Returns within about a millisecond when there is
 * obviously none: no DOCKER_HOST, no testcontainers config and no socket file.
 */
export async function probeDocker(options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<DockerProbe> {
  const env = options.env ?? process.env;
  const candidates = dockerSocketCandidates(env);
  const configured = Boolean(env['DOCKER_HOST'] || env['TESTCONTAINERS_HOST_OVERRIDE']) || existsSync(join(homedir(), '.testcontainers.properties'));
  if (!configured && process.platform !== 'win32' && !candidates.some((socket) => existsSync(socket))) {
    return { available: false, reason: `DOCKER_HOST is not set and no Docker socket exists (${candidates.join(', ')})` };
  }
  const testcontainers = await import('testcontainers').catch((error: Error) => error);
  if (testcontainers instanceof Error) {
    return { available: false, reason: `testcontainers is not installed (${testcontainers.message}); npm install without --omit=dev` };
  }
  const { getContainerRuntimeClient } = testcontainers;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the Docker engine did not answer in time')), options.timeoutMs ?? 5_000);
  });
  try {
    const client = await Promise.race([getContainerRuntimeClient(), timeout]);
    return { available: true, reason: `a container runtime answers at ${client.info.containerRuntime.host}` };
  } catch (error) {
    return { available: false, reason: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** True when a Docker engine answers (see probeDocker()). */
export async function dockerAvailable(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  return (await probeDocker({ env })).available;
}

/**
 * Starts one Redpanda node in dev-container mode (the module's default command) and returns once
 * it logged "Successfully started Redpanda!". The container is removed by stop(), and by
 * testcontainers' reaper if this process dies first.
 */
export async function startRedpandaContainer(log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<RedpandaBroker> {
  const image = env['REDPANDA_IMAGE'] ?? redpandaImage;
  log.info('starting Redpanda in Docker (the first time pulls the image)', { image });
  const { RedpandaContainer } = await import('@testcontainers/redpanda');
  const started = Date.now();
  const container = await new RedpandaContainer(image).start();
  const bootstrap = container.getBootstrapServers();
  log.info('Redpanda is ready', { bootstrap, seconds: ((Date.now() - started) / 1000).toFixed(1) });
  return {
    bootstrap,
    stop: async () => {
      await container.stop();
    },
  };
}

function dockerSocketCandidates(env: NodeJS.ProcessEnv): string[] {
  const sockets = ['/var/run/docker.sock', join(homedir(), '.docker', 'run', 'docker.sock'), join(homedir(), '.docker', 'desktop', 'docker.sock')];
  const runtimeDir = env['XDG_RUNTIME_DIR'];
  if (runtimeDir) sockets.push(join(runtimeDir, 'docker.sock'));
  return sockets;
}
