/**
 * Starts a worker thread on one of our TypeScript modules. The project runs on tsx without a
 * build step, and a worker thread does not inherit tsx's module hooks (Node 20): the thread
 * starts on a two-line script that registers tsx in it, then imports the module. Under plain
 * Node with JavaScript modules the script imports the module directly.
 */
import { Worker } from 'node:worker_threads';

/** A Worker running `entry` (a file URL), with `workerData` as its workerData. */
export function startModuleWorker(entry: URL, workerData: unknown): Worker {
  const target = JSON.stringify(entry.href);
  const bootstrap = entry.pathname.endsWith('.ts')
    ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ register }) => { register(); return import(${target}); });`
    : `import(${target});`;
  return new Worker(bootstrap, { eval: true, workerData });
}
