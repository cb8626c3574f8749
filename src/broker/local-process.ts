/**
 * Operating-system helpers for the local broker: is a pid alive (and whose is it), stop it,
 * find free ports, find an executable on PATH. Linux-first (/proc), with plain fallbacks.
 */
import { accessSync, closeSync, constants, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** True when `pid` names a live process (a zombie that has exited but is not yet reaped is not). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; comm may hold spaces, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): kill(0) is all we know
  }
}

/**
 * The command line of `pid` joined with spaces, or undefined when it cannot be read. Used to make
 * sure a recorded pid is still our broker and not an unrelated process that reused the number.
 */
export function processCommandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
}

/** Resolves true once `pid` has exited, false if it still runs after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/**
 * Sends SIGTERM (a clean broker shutdown flushes logs and writes its checkpoint), waits up to
 * `graceMs`, then SIGKILLs the process group the broker was started in.
 */
export async function terminateProcess(pid: number, graceMs: number): Promise<'exited' | 'killed'> {
  if (!signal(pid, 'SIGTERM')) return 'exited';
  if (await waitForExit(pid, graceMs)) return 'exited';
  // Detached children lead their own group: -pid reaches the JVM and anything it spawned.
  if (!signal(-pid, 'SIGKILL')) signal(pid, 'SIGKILL');
  await waitForExit(pid, 5_000);
  return 'killed';
}

function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

/** True when nothing listens on `host:port` (we can bind it ourselves). */
export async function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * `count` distinct ports the kernel considers free right now. Kept open together while asking so
 * the kernel cannot hand out the same port twice; the usual small race with other programs remains.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const server = createServer();
      return new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: 0, host, exclusive: true }, () => resolve(server));
      });
    }),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('listening socket has no port');
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** The absolute path of `name` on PATH (or undefined), without running it. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The java binary: $JAVA_HOME/bin/java when JAVA_HOME is set, as Maven and Kafka's scripts do. */
export function findJava(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const javaHome = env['JAVA_HOME'];
  if (javaHome) {
    const candidate = join(javaHome, 'bin', 'java');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // fall back to PATH
    }
  }
  return findExecutable('java', env);
}

/**
 * Runs `work` while holding `lockFile` (created exclusively, holding our pid), so that two
 * commands starting the same broker at once do not both spawn one. A lock whose owner died is
 * taken over; a live owner is waited for up to `timeoutMs`.
 */
export async function withFileLock<T>(lockFile: string, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(lockFile, { encoding: 'utf8', flag: 'r' }).trim() || NaN);
      if (!Number.isInteger(owner) || !isProcessAlive(owner)) {
        rmSync(lockFile, { force: true });
        continue;
      }
      if (Date.now() >= deadline) throw new Error(`another command (pid ${owner}) is starting the broker; gave up waiting after ${Math.round(timeoutMs / 1000)} s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lockFile, { force: true });
  }
}
