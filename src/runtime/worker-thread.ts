/**
 * Worker threads that answer requests in order (the producer's generator thread, the consumer's
 * reader thread). Both sides live here:
 *
 *   main:   startRequestWorker(entry, data) ─► request(r) ─► request(r) ─► ... ─► close()
 *   thread: serveRequests(setup)   setup(data) once ─► 'ready' (or 'failed': the reason)
 *                                  then per request: handler(r) ─► response, buffers moved
 *
 * The project runs on tsx without a build step, and a worker thread does not inherit tsx's module
 * hooks (Node 20): the thread starts on a two-line script that registers tsx in it, then imports
 * the module. Under plain Node with JavaScript modules the script imports the module directly.
 */
import { parentPort, Worker, workerData } from 'node:worker_threads';

/** Requests answered in order by a worker thread. */
export interface RequestWorker<Request, Response> {
  /**
   * Rejects when the handler threw, or the thread failed or was closed. The buffers in `transfer`
   * move to the thread instead of being copied (they are unusable here afterwards).
   */
  request(request: Request, transfer?: ArrayBuffer[]): Promise<Response>;
  /** Ends the thread; requests still open are rejected. */
  close(): Promise<void>;
}

type ThreadMessage<Response> = { kind: 'ready' } | { kind: 'failed'; message: string } | { kind: 'response'; response: Response };

/**
 * Starts a thread on `entry` (a module that calls serveRequests) and waits until it is ready;
 * rejects with the thread's own reason when its setup fails. `name` words the errors.
 */
export async function startRequestWorker<Request, Response>(entry: URL, data: unknown, name: string): Promise<RequestWorker<Request, Response>> {
  const target = JSON.stringify(entry.href);
  const bootstrap = entry.pathname.endsWith('.ts')
    ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ register }) => { register(); return import(${target}); });`
    : `import(${target});`;
  const worker = new Worker(bootstrap, { eval: true, workerData: data });
  const waiting: Array<{ resolve: (response: Response) => void; reject: (error: Error) => void }> = [];
  let ended: Error | undefined;
  let ready: { resolve: () => void; reject: (error: Error) => void } | undefined;
  const started = new Promise<void>((resolve, reject) => {
    ready = { resolve, reject };
  });
  const end = (error: Error): void => {
    ended ??= error;
    ready?.reject(error);
    for (const request of waiting.splice(0)) request.reject(error);
  };
  worker.on('message', (message: ThreadMessage<Response>) => {
    if (message.kind === 'ready') return ready?.resolve();
    if (message.kind === 'response') return waiting.shift()?.resolve(message.response);
    // Before `ready`: the setup failed. After: this request did.
    const error = new Error(message.message);
    if (ready !== undefined) return end(error);
    return waiting.shift()?.reject(error);
  });
  worker.on('error', (error) => end(new Error(`the ${name} thread failed: ${error.message}`, { cause: error })));
  worker.on('exit', (code) => end(new Error(`the ${name} thread exited (code ${code})`)));
  try {
    await started;
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  ready = undefined;
  return {
    request(request, transfer = []) {
      if (ended) return Promise.reject(ended);
      return new Promise<Response>((resolve, reject) => {
        waiting.push({ resolve, reject });
        worker.postMessage(request, transfer);
      });
    },
    async close() {
      end(new Error(`the ${name} thread was closed`));
      await worker.terminate().catch(() => undefined);
    },
  };
}

/** What a thread's handler returns: the response, and the buffers to move with it instead of copying. */
export interface Answer<Response> {
  response: Response;
  transfer?: ArrayBuffer[];
}

/**
 * The thread's side: `setup` receives the workerData and returns the request handler; a setup
 * that throws is reported to startRequestWorker as the reason, and so is a handler that throws.
 */
export function serveRequests<Request, Response>(setup: (data: unknown) => (request: Request) => Answer<Response>): void {
  const port = parentPort;
  if (port === null) throw new Error('serveRequests() runs in a worker thread only');
  const post = (message: ThreadMessage<Response>, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);
  try {
    const handle = setup(workerData);
    port.on('message', (request: Request) => {
      try {
        const { response, transfer } = handle(request);
        post({ kind: 'response', response }, transfer);
      } catch (error) {
        post({ kind: 'failed', message: (error as Error).message });
      }
    });
    post({ kind: 'ready' });
  } catch (error) {
    post({ kind: 'failed', message: (error as Error).message });
  }
}
