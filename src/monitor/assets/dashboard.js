/**
 * The dashboard's entry module: polls /api/status every second, keeps the last 10 minutes of
 * samples, and redraws the cards, charts and tables. Polling (not server-sent events) keeps the
 * server stateless per client, and `?since=` keeps each poll small. Browser module.
 */
import { TimeChart } from './charts.js';
import { formatClock, formatCount, formatDuration } from './format.js';
import { headlineCards, renderCards, renderCustomers, renderRows } from './panels.js';

/** @typedef {import('../status-snapshot.ts').StatusSnapshot} StatusSnapshot */
/** @typedef {import('../dashboard-history.ts').SecondSample} SecondSample */
/** @typedef {import('../dashboard-history.ts').EmitSample} EmitSample */

const pollEveryMs = 1_000;
const keepMs = 10 * 60 * 1_000;

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
function byId(id, type) {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the page has no ${type.name} #${id}`);
  return found;
}

const charts = {
  input: new TimeChart(byId('chart-input', HTMLDivElement), { unit: 'records/s' }),
  batch: new TimeChart(byId('chart-batch', HTMLDivElement), { unit: 'ms' }),
  emit: new TimeChart(byId('chart-emit', HTMLDivElement), { unit: 'ms' }),
  lag: new TimeChart(byId('chart-lag', HTMLDivElement), { unit: 'records' }),
  watermark: new TimeChart(byId('chart-watermark', HTMLDivElement), { unit: 'seconds behind' }),
  state: new TimeChart(byId('chart-state', HTMLDivElement), { unit: 'windows', unit2: 'keys' }),
  customers: new TimeChart(byId('chart-customers', HTMLDivElement), { unit: 'windowed total', height: 240 }),
};

/** @type {SecondSample[]} */
let samples = [];
/** @type {EmitSample[]} */
let emits = [];
/** Server time of the last snapshot: the next poll asks only for what came after it. */
/** @type {number | undefined} */
let since;
/** When the pipeline started, to notice a restart behind the same address. */
/** @type {number | undefined} */
let startedAt;

async function poll() {
  try {
    const response = await fetch(since === undefined ? '/api/status' : `/api/status?since=${since}`, { cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    /** @type {unknown} */
    const body = await response.json();
    // Trusted shape: the server that served this page wrote it from the same StatusSnapshot type.
    const status = /** @type {StatusSnapshot} */ (body);
    // A restarted pipeline starts its clock again: drop what belonged to the previous run.
    if (since !== undefined && status.startedAt !== startedAt) {
      samples = [];
      emits = [];
    }
    startedAt = status.startedAt;
    since = status.now;
    samples = [...samples, ...status.samples].filter((sample) => sample.t > status.now - keepMs);
    emits = [...emits, ...status.emits].filter((emit) => emit.t > status.now - keepMs);
    render(status);
    showMonitorError(null);
  } catch (error) {
    showMonitorError(error instanceof Error ? error.message : String(error));
  } finally {
    setTimeout(() => void poll(), pollEveryMs);
  }
}
/** @param {StatusSnapshot} status */
function render(status) {
  const { pipeline, consumer } = status;
  byId('pipeline', HTMLElement).textContent = pipeline.name;
  byId('settings', HTMLElement).textContent =
    `topic ${pipeline.topic} · windows of ${formatDuration(pipeline.windowLengthMs)} every ${formatDuration(pipeline.windowSlideMs)} · threshold ${formatCount(pipeline.threshold)}`;
  byId('updated', HTMLElement).textContent = `${formatClock(status.now)} UTC · up ${formatDuration(status.uptimeMs)}`;
  const broker = byId('broker-error', HTMLElement);
  broker.hidden = status.brokerError === null;
  broker.textContent = status.brokerError === null ? '' : `Broker unreachable: ${status.brokerError}`;

  const latest = samples[samples.length - 1];
  renderCards(byId('cards', HTMLElement), headlineCards(status, { inputRate: latest?.inputRate ?? 0, outputRate: latest?.outputRate ?? 0 }));
  drawCharts(status);

  renderCustomers(byId('customers-body', HTMLTableSectionElement), byId('customers-caption', HTMLElement), status.latestWindow, pipeline.threshold);
  renderRows(
    byId('batches-body', HTMLTableSectionElement),
    status.recentBatches.map((batch) => [
      formatClock(batch.at),
      String(batch.partition),
      formatCount(batch.records),
      formatCount(batch.invalid),
      formatCount(batch.late),
      formatDuration(batch.processingMs),
    ]),
    'no batch yet',
  );
  renderRows(
    byId('partitions-body', HTMLTableSectionElement),
    consumer.partitions.map((p) => [String(p.partition), formatCount(p.position), formatCount(p.highWatermark), formatCount(p.lag)]),
    'no partition assigned yet',
  );
  renderRows(
    byId('reasons-body', HTMLTableSectionElement),
    Object.entries(consumer.invalidByReason)
      .sort((a, b) => b[1] - a[1])
      .map(([reason, count]) => [reason, formatCount(count)]),
    'no invalid record',
  );
}

/** @param {StatusSnapshot} status */
function drawCharts(status) {
  const times = samples.map((sample) => sample.t);
  /** @type {import('./charts.js').LineSpec[]} */
  const inputLines = [{ label: 'consumed/s' }];
  const inputData = [samples.map((sample) => sample.inputRate)];
  if (status.producer.produced > 0) {
    inputLines.push({ label: 'produced/s (acknowledged)', dashed: true });
    inputData.push(samples.map((sample) => sample.outputRate));
  }
  charts.input.update(inputLines, times, inputData);
  charts.batch.update([{ label: 'mean' }, { label: 'slowest' }], times, [
    samples.map((sample) => sample.batchMsMean),
    samples.map((sample) => sample.batchMsMax),
  ]);
  charts.emit.update([{ label: 'emit delay', points: true }], emits.map((emit) => emit.t), [emits.map((emit) => emit.delayMs)]);

  const partitions = [...new Set(samples.flatMap((sample) => Object.keys(sample.lagByPartition)))].sort((a, b) => Number(a) - Number(b));
  charts.lag.update(
    partitions.map((partition) => ({ label: `partition ${partition}` })),
    times,
    partitions.map((partition) => samples.map((sample) => sample.lagByPartition[partition] ?? null)),
  );
  charts.watermark.update([{ label: 'wall clock − watermark' }], times, [
    samples.map((sample) => (sample.watermarkDelayMs === null ? null : sample.watermarkDelayMs / 1000)),
  ]);
  charts.state.update([{ label: 'open windows' }, { label: 'keys held', scale: 'y2' }], times, [
    samples.map((sample) => sample.openWindows),
    samples.map((sample) => sample.keys),
  ]);
  const chart = status.customerChart;
  charts.customers.update(
    chart.customers.map((customer) => ({ label: customer.key, points: chart.windowEnds.length < 3 })),
    chart.windowEnds,
    chart.customers.map((customer) => customer.totals),
  );
}

/** @param {string | null} message */
function showMonitorError(message) {
  const banner = byId('monitor-error', HTMLElement);
  banner.hidden = message === null;
  banner.textContent = message === null ? '' : `The monitor does not answer (${message}); the pipeline may have stopped. Retrying every second.`;
}

void poll();
