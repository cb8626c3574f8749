/**
 * The monitor's HTTP server on figures fed by hand: /metrics in strict Prometheus text format with
 * the figures fed, /api/status with the same, the static page, and where the server listens.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { test } from 'node:test';
import { loadPipelineConfig } from '../../src/config/load-config.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { startMonitor, startMonitorIfConfigured, type MonitorSettings } from '../../src/monitor/start-monitor.ts';
import { type StatusSnapshot } from '../../src/monitor/status-snapshot.ts';
import { createMetrics, notifyBatch, notifyWindowsWritten, type PipelineMetrics } from '../../src/runtime/metrics.ts';
import { minimalPipeline, writePipeline } from '../config/pipeline-fixture.ts';
import { parsePrometheusText, sampleValue } from './prometheus-text.ts';

/** A port nobody listens on right now: bind port 0, read what the system chose, let it go. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function capturingLogger(): { log: Logger; lines: Array<{ level: string; message: string }> } {
  const lines: Array<{ level: string; message: string }> = [];
  const log = createLogger({ format: 'json', level: 'debug', write: (line) => lines.push(JSON.parse(line) as { level: string; message: string }) });
  return { log, lines };
}

function settings(port: number, host = '127.0.0.1'): MonitorSettings {
  return { name: 'sales', source: { topic: 'sales-in' }, window: { length: 60_000, slide: 10_000 }, aggregate: { threshold: 500 }, monitor: { host, port } };
}

/** Figures as a short run would leave them, plus the events the consumer would have sent. */
function fedMetrics(): PipelineMetrics {
  const metrics = createMetrics(1_000_000);
  Object.assign(metrics.consumer, {
    consumed: 1234, valid: 1229, invalid: 5, late: 7, replayed: 2, aggregated: 1220, deadLettered: 12,
    windowsEmitted: 4, rowsWritten: 9, commits: 6, batches: 3, lastBatchMs: 700, watermark: 1_700_000_000_500,
    openWindows: 3, keys: 17, lastEmitDelayMs: 30, readOnThread: 1100,
  });
  metrics.consumer.invalidByReason.set('schema', 3).set('not-json', 2);
  metrics.consumer.partitions.set(1, { position: 200, highWatermark: 200 }).set(0, { position: 100, highWatermark: 150 });
  Object.assign(metrics.producer, { produced: 1510, acknowledged: 1500, injectedInvalid: 5, injectedLate: 7, injectedOutOfOrder: 11 });
  return metrics;
}

function feedEvents(metrics: PipelineMetrics): void {
  notifyBatch(metrics, { at: 1_000_100, partition: 0, records: 500, invalid: 2, late: 0, processingMs: 2 });
  notifyBatch(metrics, { at: 1_000_200, partition: 1, records: 400, invalid: 3, late: 7, processingMs: 40 });
  notifyBatch(metrics, { at: 1_000_300, partition: 0, records: 334, invalid: 0, late: 0, processingMs: 700 });
  const rows = [{ key: 'Ada', total: 900, count: 3 }, { key: 'Bob', total: 600, count: 2 }];
  notifyWindowsWritten(metrics, { at: 1_000_400, emitDelayMs: 30, windows: [{ start: 0, end: 60_000, rows }, { start: 10_000, end: 70_000, rows: [rows[0]!] }] });
}

async function get(url: string): Promise<{ status: number; type: string; headers: Headers; body: string }> {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get('content-type') ?? '', headers: response.headers, body: await response.text() };
}

test('/metrics is valid Prometheus text whose counters, gauges and histograms equal the figures fed', async (t) => {
  const metrics = fedMetrics();
  const port = await freePort();
  const close = await startMonitorIfConfigured(settings(port), metrics, capturingLogger().log);
  t.after(close);
  feedEvents(metrics);

  const response = await get(`http://127.0.0.1:${port}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.type, /^text\/plain; version=0\.0\.4/);
  const families = parsePrometheusText(response.body);
  const topic = { topic: 'sales-in' };
  const expected: Array<[string, Record<string, string>, number]> = [
    ['salesflow_records_consumed_total', topic, 1234],
    ['salesflow_records_invalid_total', { ...topic, reason: 'schema' }, 3],
    ['salesflow_records_invalid_total', { ...topic, reason: 'not-json' }, 2],
    ['salesflow_records_late_total', topic, 7],
    ['salesflow_records_replayed_total', topic, 2],
    ['salesflow_records_dead_lettered_total', topic, 12],
    ['salesflow_windows_emitted_total', topic, 4],
    ['salesflow_rows_written_total', topic, 9],
    ['salesflow_batches_total', topic, 3],
    ['salesflow_commits_total', topic, 6],
    ['salesflow_records_produced_total', topic, 1500],
    ['salesflow_records_sent_total', topic, 1510],
    ['salesflow_records_injected_total', { ...topic, fault: 'out_of_order' }, 11],
    ['salesflow_consumer_lag', { ...topic, partition: '0' }, 50],
    ['salesflow_consumer_lag', { ...topic, partition: '1' }, 0],
    ['salesflow_consumer_position', { ...topic, partition: '0' }, 100],
    ['salesflow_watermark_seconds', topic, 1_700_000_000.5],
    ['salesflow_open_windows', topic, 3],
    ['salesflow_keys', topic, 17],
    ['salesflow_broker_up', {}, 1],
    ['salesflow_batch_processing_seconds_count', { ...topic, partition: '0' }, 2],
    ['salesflow_batch_processing_seconds_sum', { ...topic, partition: '0' }, 0.702],
    ['salesflow_batch_processing_seconds_bucket', { ...topic, partition: '0', le: '0.0025' }, 1],
    ['salesflow_batch_processing_seconds_bucket', { ...topic, partition: '0', le: '0.5' }, 1],
    ['salesflow_batch_processing_seconds_bucket', { ...topic, partition: '0', le: '1' }, 2],
    ['salesflow_batch_processing_seconds_count', { ...topic, partition: '1' }, 1],
    // One observation per window written, so _count follows windows, not writes.
    ['salesflow_emit_delay_seconds_count', topic, 2],
    ['salesflow_emit_delay_seconds_sum', topic, 0.06],
    ['salesflow_emit_delay_seconds_bucket', { ...topic, le: '0.025' }, 0],
    ['salesflow_emit_delay_seconds_bucket', { ...topic, le: '0.05' }, 2],
  ];
  for (const [name, labels, value] of expected) {
    const actual = sampleValue(families, name, labels);
    assert.ok(Math.abs(actual - value) < 1e-9, `${name}${JSON.stringify(labels)} is ${actual}, expected ${value}`);
  }
  for (const name of ['salesflow_records_consumed_total', 'salesflow_records_invalid_total', 'salesflow_windows_emitted_total']) {
    assert.equal(families.get(name)?.type, 'counter', name);
    assert.ok(families.get(name)?.help, `${name} has a HELP line`);
  }
  assert.equal(families.get('salesflow_batch_processing_seconds')?.type, 'histogram');
  assert.equal(families.get('salesflow_consumer_lag')?.type, 'gauge');
  assert.ok(families.has('process_cpu_user_seconds_total'), "Node's default process metrics are included");

  // Figures move between scrapes; a broker outage shows.
  metrics.consumer.consumed += 66;
  metrics.brokerError = 'connection refused';
  metrics.consumer.partitions.delete(1);
  const again = parsePrometheusText((await get(`http://127.0.0.1:${port}/metrics`)).body);
  assert.equal(sampleValue(again, 'salesflow_records_consumed_total', topic), 1300);
  assert.equal(sampleValue(again, 'salesflow_broker_up'), 0);
  assert.throws(() => sampleValue(again, 'salesflow_consumer_lag', { ...topic, partition: '1' }), /no sample/, 'a revoked partition leaves no stale lag');
});

test('the strict Prometheus reader rejects what the format forbids', () => {
  const histogram = '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 3\nh_count 1\n';
  assert.throws(() => parsePrometheusText(histogram), /fewer than the one before/);
  assert.throws(() => parsePrometheusText('# TYPE c counter\nc 1\n# TYPE g gauge\ng 1\nc{a="b"} 2\n'), /two separate groups/);
  assert.throws(() => parsePrometheusText('c{a="b\\x"} 1\n'), /bad escape/);
  assert.throws(() => parsePrometheusText('c 1\nc 2\n'), /duplicate series/);
  assert.throws(() => parsePrometheusText('c one\n'), /bad value/);
  assert.throws(() => parsePrometheusText('c 1'), /line feed/);
  assert.equal(sampleValue(parsePrometheusText('# HELP c a \\\\ b\n# TYPE c counter\nc{x="q\\"uote"} 4 1700000000000\n'), 'c', { x: 'q"uote' }), 4);
});

test('/api/status holds the figures fed, the recent batches newest first and the latest window', async (t) => {
  const metrics = fedMetrics();
  const monitor = await startMonitor({ config: settings(await freePort()), metrics, log: capturingLogger().log, sampleEveryMs: 60_000 });
  t.after(monitor.close);
  feedEvents(metrics);

  const response = await get(`${monitor.url}/api/status`);
  assert.equal(response.status, 200);
  assert.equal(response.type, 'application/json');
  const status = JSON.parse(response.body) as StatusSnapshot;
  assert.deepEqual(status.pipeline, { name: 'sales', topic: 'sales-in', windowLengthMs: 60_000, windowSlideMs: 10_000, threshold: 500 });
  assert.equal(status.brokerError, null);
  assert.deepEqual(status.producer, { produced: 1510, acknowledged: 1500, injectedInvalid: 5, injectedLate: 7, injectedOutOfOrder: 11 });
  const { partitions, invalidByReason, ...figures } = status.consumer;
  assert.deepEqual(figures, {
    consumed: 1234, valid: 1229, invalid: 5, late: 7, replayed: 2, aggregated: 1220, deadLettered: 12, windowsEmitted: 4,
    rowsWritten: 9, commits: 6, batches: 3, readOnThread: 1100, lastBatchMs: 700, watermark: 1_700_000_000_500, openWindows: 3, keys: 17,
    lastEmitDelayMs: 30, lag: 50,
  });
  assert.deepEqual(partitions, [
    { partition: 0, position: 100, highWatermark: 150, lag: 50 },
    { partition: 1, position: 200, highWatermark: 200, lag: 0 },
  ]);
  assert.deepEqual(invalidByReason, { schema: 3, 'not-json': 2 });
  assert.deepEqual(status.recentBatches.map((batch) => batch.processingMs), [700, 40, 2]);
  assert.deepEqual(status.emits, [{ t: 1_000_400, delayMs: 30, windows: 2, rows: 3 }]);
  assert.deepEqual(status.latestWindow, { start: 10_000, end: 70_000, writtenAt: 1_000_400, rowCount: 1, rows: [{ key: 'Ada', total: 900, count: 3 }] });
  assert.deepEqual(status.customerChart, {
    windowEnds: [60_000, 70_000],
    customers: [{ key: 'Ada', totals: [900, 900] }, { key: 'Bob', totals: [600, null] }],
  });
  const later = JSON.parse((await get(`${monitor.url}/api/status?since=${status.now}`)).body) as StatusSnapshot;
  assert.deepEqual(later.emits, [], '?since= leaves out what the poller has seen');

  metrics.brokerError = 'connect ECONNREFUSED 127.0.0.1:9092';
  const down = JSON.parse((await get(`${monitor.url}/api/status`)).body) as StatusSnapshot;
  assert.equal(down.brokerError, 'connect ECONNREFUSED 127.0.0.1:9092');
});

test('the page, its scripts and uPlot are served from this process, under a same-origin content policy', async (t) => {
  const monitor = await startMonitor({ config: settings(await freePort()), metrics: createMetrics(), log: capturingLogger().log });
  t.after(monitor.close);
  const page = await get(`${monitor.url}/`);
  assert.equal(page.status, 200);
  assert.match(page.type, /^text\/html/);
  assert.match(page.body, /"uplot":"\/assets\/uPlot\.esm\.js"/);
  assert.doesNotMatch(page.body, /https?:\/\//, 'no absolute URL: nothing comes from the internet');
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'; script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
  for (const asset of ['dashboard.js', 'charts.js', 'panels.js', 'format.js', 'uPlot.esm.js', 'uPlot.min.css', 'dashboard.css']) {
    const response = await get(`${monitor.url}/assets/${asset}`);
    assert.equal(response.status, 200, asset);
    assert.ok(response.body.length > 100, asset);
  }
  assert.equal((await get(`${monitor.url}/assets/../start-monitor.ts`)).status, 404);
  assert.equal((await get(`${monitor.url}/nothing`)).status, 404);
  assert.equal((await fetch(`${monitor.url}/api/status`, { method: 'POST' })).status, 405);
});

test('the monitor listens on 127.0.0.1 by default and says nothing about it', async (t) => {
  const file = await writePipeline(t, minimalPipeline);
  const config = await loadPipelineConfig(file);
  assert.equal(config.monitor.host, '127.0.0.1');
  const { log, lines } = capturingLogger();
  const monitor = await startMonitor({ config: { ...config, monitor: { ...config.monitor, port: await freePort() } }, metrics: createMetrics(), log });
  t.after(monitor.close);
  assert.match(monitor.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.deepEqual(lines.filter((line) => line.level === 'warn'), []);
  assert.ok(lines.some((line) => line.message.startsWith(`dashboard on ${monitor.url}/`)));
  // From another interface of this machine, if it has one, nobody answers.
  const external = Object.values(networkInterfaces()).flat().find((address) => address?.family === 'IPv4' && !address.internal);
  if (external) {
    const port = new URL(monitor.url).port;
    await assert.rejects(fetch(`http://${external.address}:${port}/api/status`));
  }
});

test('another host is taken as configured and logged as a warning', async (t) => {
  const { log, lines } = capturingLogger();
  const monitor = await startMonitor({ config: settings(await freePort(), '0.0.0.0'), metrics: createMetrics(), log });
  t.after(monitor.close);
  const warnings = lines.filter((line) => line.level === 'warn');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]?.message ?? '', /listens beyond this machine/);
  assert.equal((await get(`${monitor.url.replace('0.0.0.0', '127.0.0.1')}/api/status`)).status, 200);
});

test('port 0 turns the monitor off: no server, no listener, nothing logged', async () => {
  const metrics = createMetrics();
  const { log, lines } = capturingLogger();
  const close = await startMonitorIfConfigured(settings(0), metrics, log);
  assert.equal(metrics.listeners.length, 0);
  assert.deepEqual(lines, []);
  await close();
});

test('closing the monitor detaches its listeners, even with a browser connection open', async () => {
  const metrics = createMetrics();
  const monitor = await startMonitor({ config: settings(await freePort()), metrics, log: capturingLogger().log });
  assert.equal(metrics.listeners.length, 2);
  await get(`${monitor.url}/api/status`); // leaves a keep-alive connection behind
  await monitor.close();
  assert.equal(metrics.listeners.length, 0);
  await assert.rejects(fetch(`${monitor.url}/api/status`));
});

test('a port in use is an error that names the address', async (t) => {
  const port = await freePort();
  const first = await startMonitor({ config: settings(port), metrics: createMetrics(), log: capturingLogger().log });
  t.after(first.close);
  const metrics = createMetrics();
  await assert.rejects(startMonitor({ config: settings(port), metrics, log: capturingLogger().log }), new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
  assert.equal(metrics.listeners.length, 0);
});
