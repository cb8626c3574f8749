/**
 * The monitor's HTTP server: `/api/status` (the pipeline's figures as JSON) and `/` (a
 * self-contained page that polls it). Bound to monitor.host:monitor.port, 127.0.0.1 by default;
 * port 0 turns it off; any other host is an explicit choice and logged as a warning.
 */
import { createServer } from 'node:http';
import { type Logger } from '../logger.ts';
import { consumerLag, type PipelineMetrics } from '../runtime/metrics.ts';
import { dashboardPage } from './dashboard-page.ts';

/** Starts the server when configured; returns its closer. */
export async function startMonitorIfConfigured(
  config: { monitor: { host: string; port: number } },
  metrics: PipelineMetrics,
  log: Logger,
): Promise<() => Promise<void>> {
  const { host, port } = config.monitor;
  if (port === 0) return () => Promise.resolve();
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    log.warn('the monitor listens beyond this machine, as configured', { host, port });
  }
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/api/status') {
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(JSON.stringify(statusSnapshot(metrics)));
    } else if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(dashboardPage);
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  log.info(`dashboard on http://${host}:${port}/`);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}

/** The JSON the page and `/api/status` show. */
export function statusSnapshot(metrics: PipelineMetrics, now = Date.now()): Record<string, unknown> {
  const { consumer, producer } = metrics;
  return {
    now,
    uptimeMs: now - metrics.startedAt,
    brokerError: metrics.brokerError,
    producer: { ...producer },
    consumer: {
      ...consumer,
      lag: consumerLag(consumer),
      partitions: [...consumer.partitions].map(([partition, figures]) => ({
        partition,
        ...figures,
        lag: Math.max(0, figures.highWatermark - figures.position),
      })),
      invalidByReason: Object.fromEntries(consumer.invalidByReason),
    },
  };
}
