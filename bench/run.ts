/**
 * `npm run bench`: throughput, latency and memory of the whole pipeline against a real broker,
 * printed as one table and written to results/bench.json with the machine's figures.
 *
 *   producer    sales/s of `produce` flat out, one sale per message and packed
 *   consumer    sales/s of `consume --drain` over a pre-filled topic, 1 and 2 processes
 *   end to end  emit delay p50/p99 and lag of `run` at a fixed rate
 *   window      updates/s of the window engine alone (bench/window.ts)
 *   memory      peak RSS of a consumer holding 100,000 and 1,000,000 active customers
 *   client      each client library alone (no generation, no parsing), 1 and 20 sales per message:
 *               the ceiling it (and the broker) put on the rows above
 *
 * Every figure is the median of BENCH_RUNS runs (3) with min and max, and every row carries the
 * 1-minute load average seen when its runs started: the machine may be shared.
 * BENCH_QUICK=1: smaller counts and one run, a smoke test of the bench itself (~1 min).
 * BENCH_ONLY=consumer,memory: only those row groups (producer, consumer, e2e, window, memory, client);
 * the consumer rows need the producer's topics, so they bring the producer rows with them.
 * The broker: KAFKA_BROKERS, else the local one (started and stopped here if none runs).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKafkaClient } from '../src/broker/client.ts';
import { dataClientNames, type DataClientName } from '../src/broker/data-clients.ts';
import { defaultClients } from '../src/config/resolve-config.ts';
import { resolveBrokers } from '../src/broker/resolve-brokers.ts';
import { deleteTopics, ensureTopics } from '../src/broker/topics.ts';
import { createLogger } from '../src/logger.ts';
import {
  fillWithCustomers,
  measureClientConsumer,
  measureClientProducer,
  measureConsumer,
  measureConsumerPeakRss,
  measureEndToEnd,
  measureProducer,
} from './measures.ts';
import { writePipeline, type BenchPipeline } from './pipelines.ts';
import { runWindowBench } from './window.ts';

/** One row of the table. */
interface Figure {
  group: string;
  name: string;
  unit: string;
  values: number[];
  median: number;
  min: number;
  max: number;
  target?: { atLeast?: number; atMost?: number };
  met?: boolean;
  /** 1-minute load average when each run started. */
  load: number[];
  how: string;
  /** Set when the measurement failed; the bench goes on with the next one. */
  error?: string;
}

const quick = process.env['BENCH_QUICK'] === '1';
const runs = Number(process.env['BENCH_RUNS'] ?? (quick ? 1 : 3));
const sizes = quick
  ? { producer: 200_000, packed: 400_000, e2eSeconds: 8, windowRecords: 1_000_000, customers: [20_000, 100_000] }
  : { producer: 2_000_000, packed: 2_000_000, e2eSeconds: 20, windowRecords: 5_000_000, customers: [100_000, 1_000_000] };
const only = new Set((process.env['BENCH_ONLY'] ?? 'producer,consumer,e2e,window,memory,client').split(','));
if (only.has('consumer')) only.add('producer');
const packing = 20;
const partitions = 4;
const e2eRate = 100_000;
/** Both clients, the defaults of pipeline.schema.json first (src/broker/data-clients.ts). */
const otherThan = (name: DataClientName): DataClientName[] => dataClientNames.filter((other) => other !== name);
const producerClients: DataClientName[] = [defaultClients.producer, ...otherThan(defaultClients.producer)];
const consumerRuns: Array<[DataClientName, number]> = [
  [defaultClients.consumer, 1],
  [defaultClients.consumer, 2],
  ...otherThan(defaultClients.consumer).map((name): [DataClientName, number] => [name, 1]),
];

const projectDir = fileURLToPath(new URL('..', import.meta.url));
const log = createLogger({ fields: { component: 'bench' } });
const figures: Figure[] = [];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

function record(figure: Omit<Figure, 'median' | 'min' | 'max' | 'met'>): void {
  const { values, target } = figure;
  const m = median(values);
  const met = target === undefined ? undefined : (target.atLeast === undefined || m >= target.atLeast) && (target.atMost === undefined || m <= target.atMost);
  figures.push({ ...figure, median: m, min: Math.min(...values), max: Math.max(...values), ...(met === undefined ? {} : { met }) });
  log.info(`${figure.group}: ${figure.name}`, { median: Math.round(m), unit: figure.unit, values: values.map(Math.round).join(' ') });
}

/** Runs one row group; a failure becomes a row saying so, and the bench goes on. */
async function attempt(group: string, name: string, measure: () => Promise<void>): Promise<void> {
  try {
    await measure();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.error(`${group}: ${name} failed`, { error: message });
    figures.push({ group, name, unit: '', values: [], median: Number.NaN, min: Number.NaN, max: Number.NaN, load: [], how: '', error: message });
  }
}

/** Runs `measure` `runs` times, noting the load before each. */
async function repeat(measure: (run: number) => Promise<number> | number): Promise<{ values: number[]; load: number[] }> {
  const values: number[] = [];
  const load: number[] = [];
  for (let run = 0; run < runs; run++) {
    load.push(loadavg()[0] ?? 0);
    values.push(await measure(run));
  }
  return { values, load };
}

async function main(): Promise<void> {
  const broker = await resolveBrokers({ configured: [], log });
  const client = createKafkaClient({ clientId: 'salesflow-bench', ssl: false, sasl: null }, broker.brokers, log.child({ component: 'kafka' }));
  const id = `bench-${Date.now().toString(36)}`;
  const workDir = join(projectDir, 'results', 'bench-work', id);
  mkdirSync(workDir, { recursive: true });
  const env = { KAFKA_BROKERS: broker.brokers.join(',') };
  process.env['KAFKA_BROKERS'] = env.KAFKA_BROKERS;
  const topics: string[] = [];
  const pipeline = (settings: Omit<BenchPipeline, 'partitions' | 'window' | 'threshold'> & Partial<BenchPipeline>): string => {
    topics.push(settings.topic, `${settings.topic}.dlq`);
    return writePipeline(workDir, { partitions, window: { length: '2s', slide: '1s', allowedLateness: '0s' }, threshold: 100_000, ...settings });
  };
  log.info('bench starting', { mode: quick ? 'quick' : 'full', runs, brokers: env.KAFKA_BROKERS, origin: broker.origin });
  const started = Date.now();
  try {
    // 1. Producer, one sale per message and packed, on the default producer client and on the
    //    other one; run 0's topics of the default client feed the consumer rows.
    for (const clientName of only.has('producer') ? producerClients : []) {
      const isDefault = clientName === defaultClients.producer;
      for (const [messages, count, target] of [[1, sizes.producer, 200_000], [packing, sizes.packed, 1_000_000]] as const) {
        const name = `${count.toLocaleString('en-US')} sales, ${messages} sale${messages > 1 ? 's' : ''}/message, ${clientName}${isDefault ? ' (default)' : ''}`;
        await attempt('producer', name, async () => {
          const result = await repeat((run) => {
            const label = `producer-${clientName}-${messages}-${run}`;
            const topic = isDefault ? `${id}-${messages}-${run}` : `${id}-${clientName}-${messages}-${run}`;
            return measureProducer(pipeline({ name: label, topic, client: { producer: clientName }, producer: { count, packing: messages } }));
          });
          record({ group: 'producer', name, unit: 'sales/s', ...result, ...(isDefault ? { target: { atLeast: target } } : {}), how: 'produce flat out; acknowledged sales / (last ack - first send), as the CLI reports it' });
        });
      }
    }

    // 2. Consumer over the pre-filled topics: the default consumer client on 1 and 2 processes,
    //    the other client on 1.
    const consumerFile = (topic: string, name: string, clientName: DataClientName): string => pipeline({ name, topic, client: { consumer: clientName } });
    for (const [label, topic, sales, target] of !only.has('consumer') ? [] : [
      ['1 sale/message', `${id}-1-0`, sizes.producer, 300_000],
      [`${packing} sales/message`, `${id}-${packing}-0`, sizes.packed, 1_000_000],
    ] as const) {
      for (const [clientName, processes] of consumerRuns) {
        const isDefault = clientName === defaultClients.consumer;
        const name = `drain ${sales.toLocaleString('en-US')}, ${label}, ${processes} process${processes > 1 ? 'es' : ''}, ${clientName}${isDefault ? ' (default)' : ''}`;
        await attempt('consumer', name, async () => {
          const file = consumerFile(topic, `consumer-${clientName}-${processes}-${topic}`, clientName);
          const result = await repeat((run) => measureConsumer(file, `${id}-group-${clientName}-${processes}-${run}-${topic}`, sales, processes));
          record({
            group: 'consumer',
            name,
            unit: 'sales/s',
            ...result,
            ...(processes === 1 && isDefault ? { target: { atLeast: target } } : {}),
            how: 'consume --drain (parse, validate, 2s/1s windows, text + SQLite sinks, commit); sales / (first "partitions assigned" -> last "stopped cleanly")',
          });
        });
      }
    }

    // 3. End to end at a fixed rate: two processes, one sale per message; and `run`, packed.
    for (const [mode, messages] of only.has('e2e') ? ([['two processes', 1], ['run', packing]] as const) : []) {
      const setup = `${mode === 'run' ? '`run` (one process)' : '`consume` + `produce`'}, ${messages} sale${messages > 1 ? 's' : ''}/message`;
      await attempt('end to end', setup, async () => {
        const delays: number[] = [];
        const lags: number[] = [];
        const lagMaxima: number[] = [];
        const e2e = await repeat(async (run) => {
          const name = `e2e-${messages}-${run}`;
          const file = pipeline({ name, topic: `${id}-e2e-${messages}-${run}`, producer: { rate: e2eRate, packing: messages } });
          const result = await measureEndToEnd(file, join(workDir, name, 'results.db'), mode, sizes.e2eSeconds, 0);
          delays.push(...result.emitDelaysMs);
          lags.push(...result.lagSamples);
          lagMaxima.push(Math.max(0, ...result.lagSamples));
          return percentile(result.emitDelaysMs, 99);
        });
        const how = `${setup} at ${e2eRate.toLocaleString('en-US')} sales/s for ${sizes.e2eSeconds} s, 2s/1s windows, allowedLateness 0; per window: first emitted_at in SQLite - (window end + allowedLateness)`;
        record({ group: 'end to end', name: `${setup}: emit delay p99 per run`, unit: 'ms', ...e2e, target: { atMost: 250 }, how });
        record({ group: 'end to end', name: `${setup}: emit delay p50, all ${delays.length} windows`, unit: 'ms', values: [percentile(delays, 50)], load: e2e.load, how });
        record({
          group: 'end to end',
          name: `${setup}: max lag per run (bounded: < 1 s of sales)`,
          unit: 'messages',
          values: lagMaxima,
          load: e2e.load,
          target: { atMost: e2eRate / messages },
          how: `consumer lag from its status line once a second after a 3 s warm-up (${lags.length} samples, median ${median(lags)})`,
        });
      });
    }

    // 4. The window engine alone.
    const windowRuns: Array<Array<{ keys: number; updatesPerSecond: number; bytesPerKey: number }>> = [];
    const windowLoad: number[] = [];
    for (let run = 0; run < (only.has('window') ? runs : 0); run++) {
      windowLoad.push(loadavg()[0] ?? 0);
      windowRuns.push(runWindowBench({ keyCounts: [1_000, 1_000_000], records: sizes.windowRecords }));
    }
    for (const keys of windowRuns.length > 0 ? [1_000, 1_000_000] : []) {
      const of = windowRuns.map((result) => result.find((figure) => figure.keys === keys));
      record({
        group: 'window engine',
        name: `${keys.toLocaleString('en-US')} keys, ${sizes.windowRecords.toLocaleString('en-US')} updates`,
        unit: 'updates/s',
        values: of.map((figure) => figure?.updatesPerSecond ?? 0),
        load: windowLoad,
        ...(keys === 1_000 ? { target: { atLeast: 5_000_000 } } : {}),
        how: `runWindowBench (bench/window.ts), in this process; ${Math.round(median(of.map((figure) => figure?.bytesPerKey ?? 0)))} bytes per active key (JS heap + ArrayBuffers, after gc)`,
      });
    }

    // 5. Memory of a consumer holding every customer in open windows: the default consumer
    //    client at both sizes, the other one at the largest (same topic).
    for (const customers of only.has('memory') ? sizes.customers : []) {
      const topic = `${id}-memory-${customers}`;
      const largest = customers === sizes.customers[sizes.customers.length - 1];
      const clientNames = largest ? [defaultClients.consumer, ...otherThan(defaultClients.consumer)] : [defaultClients.consumer];
      let filled = false;
      for (const clientName of clientNames) {
        const isDefault = clientName === defaultClients.consumer;
        const name = `peak RSS, ${customers.toLocaleString('en-US')} active customers, ${clientName}${isDefault ? ' (default)' : ''}`;
        await attempt('memory', name, async () => {
          const file = pipeline({ name: `memory-${customers}-${clientName}`, topic, client: { consumer: clientName }, window: { length: '10m', slide: '1m', allowedLateness: '0s' } });
          if (!filled) {
            await ensureTopics(client, [{ topic, partitions }]);
            await fillWithCustomers(broker.brokers, topic, partitions, customers, Date.now() - 60_000, 20_000);
            filled = true;
          }
          const rss = await repeat(async (run) => (await measureConsumerPeakRss(file, `${id}-memory-${customers}-${clientName}-${run}`)) / 1024 / 1024);
          record({
            group: 'memory',
            name,
            unit: 'MB',
            ...rss,
            ...(customers === 1_000_000 && isDefault ? { target: { atMost: 300 } } : {}),
            how: 'consume --drain over one sale per customer (event times within 20 s, 10m/1m windows: all open); the process\'s own peak RSS (VmHWM) at exit',
          });
        });
      }
    }

    // 6. Each client alone, one sale per message and packed: what the producer and consumer rows can reach at best.
    for (const clientName of only.has('client') ? dataClientNames : []) {
      for (const messages of [1, packing]) {
        const topic = `${id}-client-${clientName}-${messages}`;
        const shape = messages > 1 ? `${messages}-sale messages` : '1-sale messages';
        topics.push(topic);
        await ensureTopics(client, [{ topic, partitions }]);
        await attempt('client', `${clientName} producer alone, ${shape}`, async () => {
          const result = await repeat(() => measureClientProducer(clientName, broker.brokers, topic, partitions, sizes.producer, messages));
          record({ group: 'client', name: `${clientName} producer alone, ${sizes.producer.toLocaleString('en-US')} sales in ${shape}`, unit: 'sales/s', ...result, how: 'pre-serialised messages through the CLI\'s producer for this client (idempotent, acks -1), the CLI\'s chunks (2,000 messages, or 6,000 sales packed), 2 in flight' });
        });
        await attempt('client', `${clientName} consumer alone, ${shape}`, async () => {
          const result = await repeat((run) => measureClientConsumer(clientName, broker.brokers, topic, `${id}-client-${clientName}-${messages}-${run}`, sizes.producer * runs, messages));
          record({ group: 'client', name: `${clientName} consumer alone, ${(sizes.producer * runs).toLocaleString('en-US')} sales in ${shape}`, unit: 'sales/s', ...result, how: 'the CLI\'s group member for this client with a handler that only counts (no JSON parsed); assignment -> last record' });
        });
      }
    }
  } finally {
    await deleteTopics(client, [...new Set(topics)]).catch((error: unknown) => log.warn('could not delete the bench topics', { error: (error as Error).message }));
    rmSync(workDir, { recursive: true, force: true });
    if (broker.startedHere) await broker.stop();
  }
  const report = {
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    runs,
    minutes: Number(((Date.now() - started) / 60_000).toFixed(1)),
    machine: { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', memoryGB: Number((totalmem() / 2 ** 30).toFixed(1)), node: process.version, kafkajs: packageVersion('kafkajs'), platformatic: packageVersion('@platformatic/kafka') },
    broker: { brokers: broker.brokers, origin: broker.origin },
    figures,
  };
  mkdirSync(join(projectDir, 'results'), { recursive: true });
  writeFileSync(join(projectDir, 'results', 'bench.json'), JSON.stringify(report, null, 2) + '\n');
  console.log(formatTable(report.machine, figures));
  console.log(`\nwritten to results/bench.json (${report.minutes} min)`);
}

/** An installed package's version (read from its folder: some packages do not export package.json). */
function packageVersion(name: string): string {
  try {
    const manifest = JSON.parse(readFileSync(join(projectDir, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string };
    return manifest.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function formatTable(machine: { cores: number; cpu: string; node: string; kafkajs: string; platformatic: string }, rows: Figure[]): string {
  const n = (value: number): string => Math.round(value).toLocaleString('en-US');
  const header = ['', 'figure', 'median', 'min', 'max', 'unit', 'target', 'met', 'load'];
  const lines = rows.map((row) => row.error !== undefined ? [row.group, row.name, `FAILED: ${row.error}`] : [
    row.group,
    row.name,
    n(row.median),
    n(row.min),
    n(row.max),
    row.unit,
    row.target === undefined ? '' : row.target.atLeast !== undefined ? `>= ${n(row.target.atLeast)}` : `<= ${n(row.target.atMost ?? 0)}`,
    row.met === undefined ? '' : row.met ? 'yes' : 'NO',
    row.load.map((load) => load.toFixed(1)).join(' '),
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...lines.filter((line) => line.length > 3).map((line) => (line[i] ?? '').length)));
  const format = (cells: string[]): string => cells.map((cell, i) => (i <= 1 || i === 5 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  return [
    `salesflow bench: ${machine.cores} cores (${machine.cpu}), node ${machine.node}, kafkajs ${machine.kafkajs}, @platformatic/kafka ${machine.platformatic}; median of ${runs} run(s)${quick ? ', QUICK mode' : ''}`,
    format(header),
    ...lines.map(format),
  ].join('\n');
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
