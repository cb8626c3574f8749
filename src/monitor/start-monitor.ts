/**
 * The monitor's HTTP server, bound to monitor.host:monitor.port (127.0.0.1:4040 by default):
 *   /             the live dashboard (static files from ./assets, uPlot from node_modules)
 *   /api/status   the figures and the dashboard's history as JSON (`?since=<epoch ms>` trims series)
 *   /metrics      Prometheus text format
 * `port: 0` turns it off. Any host but loopback is an explicit choice and logged as a warning: the
 * page shows customer names and the server has no authentication.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type Logger } from '../logger.ts';
import { type MetricsListener, type PipelineMetrics } from '../runtime/metrics.ts';
import { createDashboardHistory, type HistoryLimits } from './dashboard-history.ts';
import { createPrometheusMetrics } from './prometheus-metrics.ts';
import { loadStaticAssets, type StaticAsset } from './static-assets.ts';
import { statusSnapshot, type MonitoredPipeline } from './status-snapshot.ts';

/** The config the monitor reads; PipelineConfig fits it. */
export type MonitorSettings = MonitoredPipeline & { monitor: { host: string; port: number } };

/** A started monitor. */
export interface RunningMonitor {
  /** Base URL, e.g. `http://127.0.0.1:4040`. */
  url: string;
  /** Stops sampling, detaches from the metrics and closes the server and its connections. */
  close: () => Promise<void>;
}

/** Starts the server when configured (port != 0); returns its closer, a no-op when off. */
export async function startMonitorIfConfigured(config: MonitorSettings, metrics: PipelineMetrics, log: Logger): Promise<() => Promise<void>> {
  if (config.monitor.port === 0) return () => Promise.resolve();
  const monitor = await startMonitor({ config, metrics, log });
  return monitor.close;
}

/** Starts the server on monitor.host:monitor.port (which must not be 0). */
export async function startMonitor(options: {
  config: MonitorSettings;
  metrics: PipelineMetrics;
  log: Logger;
  historyLimits?: HistoryLimits;
  /** How often the history takes a sample; tests shorten it. */
  sampleEveryMs?: number;
}): Promise<RunningMonitor> {
  const { config, metrics, log } = options;
  const { host, port } = config.monitor;
  if (!isLoopback(host)) {
    log.warn('the monitor listens beyond this machine, as configured: anyone who reaches it sees the figures and customer names', { host, port });
  }
  const assets = await loadStaticAssets();
  const securityPolicy = contentSecurityPolicy(assets.get('/'));
  const history = createDashboardHistory(metrics, options.historyLimits);
  const prometheus = createPrometheusMetrics({ metrics, topic: config.source.topic });
  metrics.listeners.push(history.listener, prometheus.listener);

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://monitor');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(response, 405, 'text/plain; charset=utf-8', 'only GET and HEAD\n', { allow: 'GET, HEAD' });
    } else if (url.pathname === '/api/status') {
      const since = Number(url.searchParams.get('since') ?? Number.NaN);
      const snapshot = statusSnapshot(config, metrics, history, Number.isFinite(since) ? { since } : {});
      send(response, 200, 'application/json', JSON.stringify(snapshot), { 'cache-control': 'no-store' });
    } else if (url.pathname === '/metrics') {
      send(response, 200, prometheus.registry.contentType, await prometheus.registry.metrics(), { 'cache-control': 'no-store' });
    } else {
      const asset = assets.get(url.pathname);
      if (asset) send(response, 200, asset.contentType, asset.body, { 'content-security-policy': securityPolicy });
      else send(response, 404, 'text/plain; charset=utf-8', 'not found: try /, /metrics or /api/status\n');
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log.warn('monitor request failed', { path: request.url, error: error instanceof Error ? error.message : String(error) });
      if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else response.destroy();
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  } catch (error) {
    removeListeners(metrics, [history.listener, prometheus.listener]);
    throw new Error(`the monitor cannot listen on ${host}:${port}: ${(error as Error).message}`);
  }
  const sampler = setInterval(() => history.sample(), options.sampleEveryMs ?? 1_000);
  sampler.unref();

  const bound = server.address() as AddressInfo;
  const url = `http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
  log.info(`dashboard on ${url}/ (metrics on ${url}/metrics)`);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      clearInterval(sampler);
      removeListeners(metrics, [history.listener, prometheus.listener]);
      server.close(() => resolve());
      // A browser tab keeps its connection alive; without this, close() waits for the tab.
      server.closeAllConnections();
    });
    return closing;
  };
  return { url, close };
}

/** Loopback names and addresses: the only hosts that keep the dashboard on this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function send(
  response: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': contentType, 'x-content-type-options': 'nosniff', ...headers });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

function removeListeners(metrics: PipelineMetrics, listeners: MetricsListener[]): void {
  // In place: the consumer may hold on to the array.
  for (const listener of listeners) {
    const index = metrics.listeners.indexOf(listener);
    if (index >= 0) metrics.listeners.splice(index, 1);
  }
}

/**
 * Only our own origin, so the page provably needs no internet and data shown from records
 * (customer names) cannot smuggle in script. The page's one inline script, its import map, is
 * allowed by hash.
 */
function contentSecurityPolicy(page: StaticAsset | undefined): string {
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(page?.body.toString('utf8') ?? '')?.[1];
  const inline = importMap === undefined ? '' : ` 'sha256-${createHash('sha256').update(importMap).digest('base64')}'`;
  return [
    "default-src 'self'",
    `script-src 'self'${inline}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
