/**
 * The monitor on a real run: the CLI as a user starts it (`run`, producer and consumer in one
 * process) against the test broker, /metrics and /api/status read while it works, and the page in
 * a real headless Chromium (Debian's, driven by playwright-core). Ends with Ctrl-C and exit 0.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { silentLogger } from '../../src/logger.ts';
import { startMonitor } from '../../src/monitor/start-monitor.ts';
import { type StatusSnapshot } from '../../src/monitor/status-snapshot.ts';
import { createMetrics, notifyWindowsWritten } from '../../src/runtime/metrics.ts';
import { testPipelineYaml } from '../support/pipeline-file.ts';
import { projectRoot, startCli, tempDir, testBrokers, uniqueName, writePipeline, type CliResult } from '../support/cli.ts';
import { parsePrometheusText, sampleValue, type Family } from '../monitor/prometheus-text.ts';

// Debian's package, which .ci/run installs; CHROMIUM_PATH for another install.
const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
// Without the background-networking flags Chromium keeps calling Google services, which on a
// closed network means a stream of failed connections.
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let run: { child: ReturnType<typeof startCli>['child']; result: Promise<CliResult>; url: string; topic: string; dir: string } | undefined;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Debian's Chromium, headless, with a fresh profile that is removed on close. */
async function launchChromium(): Promise<{ browser: BrowserContext; close: () => Promise<void> }> {
  assert.ok(existsSync(chromiumPath), `no Chromium at ${chromiumPath}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
  const profile = tempDir('salesflow-chromium-');
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport: { width: 1400, height: 1000 },
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Everything a page does wrong: console errors and warnings, script errors, failed or outside requests. */
function watchForProblems(page: Page, origin: string): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  page.on('request', (request) => {
    if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) problems.push(`request outside the monitor: ${request.url()}`);
  });
  page.on('dialog', (dialog) => problems.push(`dialog: ${dialog.message()}`));
  return problems;
}

async function status(): Promise<StatusSnapshot> {
  return (await (await fetch(`${run?.url}/api/status`)).json()) as StatusSnapshot;
}

async function scrape(): Promise<Map<string, Family>> {
  return parsePrometheusText(await (await fetch(`${run?.url}/metrics`)).text());
}

/** Polls until `check` holds, or fails with what the CLI printed so far. */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

before(async () => {
  testBrokers(); // fails early with a clear message when no broker was set up
  mkdirSync(join(projectRoot, 'test-artifacts'), { recursive: true });
  const dir = tempDir('salesflow-monitor-');
  const topic = uniqueName('monitor');
  const port = await freePort();
  const file = writePipeline(
    dir,
    testPipelineYaml({
      name: 'monitor-e2e',
      topic,
      group: uniqueName('monitor-group'),
      producer: { rate: 2000, count: null, seed: 7, extra: ['invalid: 0.01', 'late: 0.005'] },
      window: { length: 2000, slide: 1000, allowedLateness: '200ms', idleTimeout: '1s' },
      threshold: 15000,
      sinks: ['text'],
      monitor: { host: '127.0.0.1', port },
    }),
  );
  const { child, result } = startCli([file, 'run', '--quiet']);
  run = { child, result, url: `http://127.0.0.1:${port}`, topic, dir };
  await eventually('the first window to reach the dashboard', async () => (await status()).latestWindow !== null);
});

after(async () => {
  if (run && run.child.exitCode === null && run.child.signalCode === null) {
    run.child.kill('SIGKILL');
    await run.result;
  }
  if (run) rmSync(run.dir, { recursive: true, force: true });
});

test('/metrics counters agree with /api/status taken just before and after, and grow', async () => {
  const topic = { topic: run?.topic ?? '' };
  const earlier = await status();
  const metrics = await scrape();
  const afterwards = await status();
  const between = (name: string, labels: Record<string, string>, pick: (snapshot: StatusSnapshot) => number): void => {
    const value = sampleValue(metrics, name, labels);
    assert.ok(pick(earlier) <= value && value <= pick(afterwards), `${name} ${value} lies between ${pick(earlier)} and ${pick(afterwards)}`);
  };
  between('salesflow_records_consumed_total', topic, (s) => s.consumer.consumed);
  between('salesflow_records_produced_total', topic, (s) => s.producer.acknowledged);
  between('salesflow_records_late_total', topic, (s) => s.consumer.late);
  between('salesflow_records_dead_lettered_total', topic, (s) => s.consumer.deadLettered);
  between('salesflow_windows_emitted_total', topic, (s) => s.consumer.windowsEmitted);
  between('salesflow_rows_written_total', topic, (s) => s.consumer.rowsWritten);
  const invalid = metrics.get('salesflow_records_invalid_total')?.samples.reduce((sum, sample) => sum + sample.value, 0) ?? 0;
  assert.ok(earlier.consumer.invalid <= invalid && invalid <= afterwards.consumer.invalid, `invalid ${invalid}`);
  assert.ok(sampleValue(metrics, 'salesflow_windows_emitted_total', topic) > 0);

  // The histograms saw every event: one emit-delay observation per window, one per batch (a
  // batch may be counted and still being processed at the moment of the scrape).
  assert.equal(sampleValue(metrics, 'salesflow_emit_delay_seconds_count', topic), sampleValue(metrics, 'salesflow_windows_emitted_total', topic));
  const observedBatches = metrics.get('salesflow_batch_processing_seconds')?.samples.filter((s) => s.name.endsWith('_count')).reduce((sum, s) => sum + s.value, 0) ?? 0;
  const batches = sampleValue(metrics, 'salesflow_batches_total', topic);
  assert.ok(batches - observedBatches >= 0 && batches - observedBatches <= 1, `${batches} batches, ${observedBatches} observed`);
  for (const partition of ['0', '1', '2']) assert.ok(sampleValue(metrics, 'salesflow_consumer_lag', { ...topic, partition }) >= 0);
  assert.equal(sampleValue(metrics, 'salesflow_broker_up'), 1);

  await new Promise((resolve) => setTimeout(resolve, 1_200));
  const later = await scrape();
  assert.ok(sampleValue(later, 'salesflow_records_consumed_total', topic) > sampleValue(metrics, 'salesflow_records_consumed_total', topic));
  assert.ok(sampleValue(later, 'salesflow_watermark_seconds', topic) > sampleValue(metrics, 'salesflow_watermark_seconds', topic));
});

test('in Chromium the page loads without console errors, the input-rate chart gains points and the customers table fills', async () => {
  const url = run?.url ?? '';
  const { browser, close } = await launchChromium();
  try {
    const page = await browser.newPage();
    const problems = watchForProblems(page, url);
    await page.goto(`${url}/`, { waitUntil: 'load' });
    const points = async (): Promise<number> => Number((await page.getAttribute('#chart-input', 'data-points')) ?? 0);
    await eventually('the input-rate chart to get its first points', async () => (await points()) > 0, 10_000);
    const first = await points();
    // One sample a second: two more points within a few seconds, or the chart is not live.
    await eventually('the input-rate chart to get new points', async () => (await points()) >= first + 2, 10_000);
    assert.ok((await points()) >= first + 2);
    assert.equal(await page.locator('#chart-input canvas').count(), 1, 'uPlot drew the chart');

    const customers = page.locator('#customers-body tr td:nth-child(2)');
    await customers.first().waitFor({ timeout: 10_000 });
    assert.ok((await customers.count()) > 0);
    assert.ok((await customers.first().textContent())?.trim(), 'a customer name in the first row');
    assert.ok((await page.locator('#batches-body tr').count()) > 0, 'recent batches are listed');
    assert.equal(await page.locator('#broker-error').isHidden(), true);
    assert.equal(await page.locator('#monitor-error').isHidden(), true);

    await page.screenshot({ path: join(projectRoot, 'test-artifacts/dashboard.png'), fullPage: true });
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test('in Chromium an unreachable broker shows as a banner, and customer names stay text', async (t) => {
  const metrics = createMetrics();
  metrics.brokerError = 'connect ECONNREFUSED 127.0.0.1:9092';
  const hostile = '<img src=x onerror=alert(1)>';
  const config = { name: 'offline', source: { topic: 'sales' }, window: { length: 2_000, slide: 1_000 }, aggregate: { threshold: 1 } };
  const monitor = await startMonitor({ config: { ...config, monitor: { host: '127.0.0.1', port: await freePort() } }, metrics, log: silentLogger });
  t.after(monitor.close);
  notifyWindowsWritten(metrics, { at: Date.now(), emitDelayMs: 3, windows: [{ start: 0, end: 2_000, rows: [{ key: hostile, total: 10, count: 1 }] }] });
  const { browser, close } = await launchChromium();
  try {
    const page = await browser.newPage();
    const problems = watchForProblems(page, monitor.url);
    await page.goto(`${monitor.url}/`, { waitUntil: 'load' });
    const banner = page.locator('#broker-error');
    await banner.waitFor({ state: 'visible', timeout: 5_000 });
    assert.equal(await banner.textContent(), 'Broker unreachable: connect ECONNREFUSED 127.0.0.1:9092');
    const name = page.locator('#customers-body tr td:nth-child(2)').first();
    await name.waitFor({ timeout: 5_000 });
    assert.equal(await name.textContent(), hostile);
    assert.equal(await page.locator('#customers-body img').count(), 0);
    await page.screenshot({ path: join(projectRoot, 'test-artifacts/dashboard-broker-down.png') });
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test('Ctrl-C stops the run cleanly with exit code 0', async () => {
  assert.ok(run);
  const lastSeen = (await status()).consumer.consumed;
  run.child.kill('SIGINT');
  const result = await run.result;
  assert.equal(result.code, 0, result.stderr);
  const stopped = /stopped cleanly .*consumed=(\d+)/.exec(result.stderr);
  assert.ok(stopped, result.stderr);
  assert.ok(Number(stopped[1]) >= lastSeen, 'the final count is at least what the monitor last showed');
});
