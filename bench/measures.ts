/**
 * The bench's measurements, one function per row group of the table. Each runs the real CLI (see
 * cli-process.ts) and says precisely what it measures, in the `how` text that the table's notes
 * and results/bench.json carry.
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { createKafkaClient } from '../src/broker/client.ts';
import { type BrokerConnectionConfig } from '../src/broker/client.ts';
import { dataClients, type DataClientName } from '../src/broker/data-clients.ts';
import { connectTopicProducer, createKeyPartitioner, type OutgoingRecord } from '../src/broker/topic-producer.ts';
import { silentLogger } from '../src/logger.ts';
import { type CliLine, lastWords, lineOf, runCli, startCli } from './cli-process.ts';

const benchConnection: BrokerConnectionConfig = { clientId: 'salesflow-bench', ssl: false, sasl: null };

/** Milliseconds between two log lines of one or several processes. */
function secondsBetween(from: CliLine, to: CliLine): number {
  return Math.max(0.001, (to.time - from.time) / 1000);
}

/**
 * Producer: `produce` flat out (rate 0) into a fresh topic; the figure is the CLI's own
 * `producer finished` salesPerSecond: acknowledged sales divided by the time from the first send
 * to the last acknowledgement (start-up and connecting excluded).
 */
export async function measureProducer(file: string): Promise<number> {
  const run = await runCli([file, 'produce', '--quiet']);
  const rate = lineOf(run, 'producer finished').fields['salesPerSecond'];
  if (typeof rate !== 'number') throw new Error('producer finished without salesPerSecond');
  return rate;
}

/**
 * Consumer: `processes` × `consume --drain` in one new group over a pre-filled topic of `sales`
 * sales. Measured from the first `partitions assigned` log line of any process (the group is
 * joined, consumption starts) to the last `stopped cleanly` (every window closed, written to both
 * sinks, offsets committed): rebalances between the processes are inside the interval.
 */
export async function measureConsumer(file: string, group: string, sales: number, processes: number): Promise<number> {
  // Each process writes its own sink files, as consumers on different machines would.
  const started = Array.from({ length: processes }, (_, index) =>
    startCli([file, 'consume', '--drain', '--quiet', '--set', `source.group=${group}`, ...(processes > 1 ? ownSinks(file, index) : [])]),
  );
  const runs = await Promise.all(started.map((process) => process.done));
  for (const run of runs) {
    if (run.code !== 0) throw new Error(`consume --drain exited with code ${run.code}: ${lastWords(run)}`);
    // Rejected sales are dead-lettered, not aggregated: that would measure something else.
    const invalid = lineOf(run, 'stopped cleanly').fields['invalid'];
    if (invalid !== 0) throw new Error(`the consumer rejected ${String(invalid)} sales (does it accept packed messages?)`);
  }
  const assigned = runs.map((run) => lineOf(run, 'partitions assigned')).sort((a, b) => a.time - b.time)[0];
  const stopped = runs.map((run) => lineOf(run, 'stopped cleanly')).sort((a, b) => b.time - a.time)[0];
  if (!assigned || !stopped) throw new Error('no consumer logged its assignment and stop');
  return sales / secondsBetween(assigned, stopped);
}

/** `--set` overrides giving process `index` its own text and SQLite files next to the pipeline's. */
function ownSinks(file: string, index: number): string[] {
  const base = file.replace(/\.yaml$/, '');
  return ['--set', `sinks[0].path=${base}/process-${index}.txt`, '--set', `sinks[1].path=${base}/process-${index}.db`];
}

/** What one end-to-end run observed. */
export interface EndToEndRun {
  /** Per window with rows: first emitted_at - (window end + allowed lateness), ms. */
  emitDelaysMs: number[];
  /** Consumer lag (messages not yet read) once a second, after the warm-up. */
  lagSamples: number[];
}

/**
 * End to end at the producer's fixed rate for `seconds`, then Ctrl-C: either `consume` and
 * `produce` as two processes (the consumer first, so it is in its group when the first sale
 * arrives), or `run`, both in one process. The producer stamps each sale with the wall clock, so
 * `window end + allowed lateness` is the earliest wall-clock moment at which the watermark can
 * pass the end of a window; a window's emit delay is its rows' first `emitted_at` in SQLite minus
 * that moment: an upper bound of "rows written minus watermark passed", which also counts
 * producer batching (50 ms chunks), the broker and fetch waits. Windows that started before the
 * producer did, or that end in the last half second, are left out.
 */
export async function measureEndToEnd(
  file: string,
  dbFile: string,
  mode: 'two processes' | 'run',
  seconds: number,
  allowedLatenessMs: number,
): Promise<EndToEndRun> {
  const consumer = startCli(mode === 'run' ? [file, 'run'] : [file, 'consume']);
  if (mode === 'two processes') await consumer.waitFor('partitions assigned');
  const producer = mode === 'run' ? consumer : startCli([file, 'produce', '--quiet']);
  const started = await producer.waitFor('producer started');
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const stoppedAt = Date.now();
  producer.interrupt();
  if (producer !== consumer) {
    const produced = await producer.done;
    if (produced.code !== 0) throw new Error(`produce exited with code ${produced.code}: ${lastWords(produced)}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    consumer.interrupt();
  }
  const run = await consumer.done;
  if (run.code !== 0) throw new Error(`${mode === 'run' ? 'run' : 'consume'} exited with code ${run.code}: ${lastWords(run)}`);
  const db = new Database(dbFile, { readonly: true });
  let windows: Array<{ start: number; end: number; emitted: number }>;
  try {
    windows = db
      .prepare('SELECT window_start AS start, window_end AS "end", MIN(emitted_at) AS emitted FROM high_volume_customers GROUP BY window_start, window_end')
      .all() as typeof windows;
  } finally {
    db.close();
  }
  const emitDelaysMs = windows
    .filter((window) => window.start >= started.time && window.end + allowedLatenessMs < stoppedAt - 500)
    .map((window) => window.emitted - (window.end + allowedLatenessMs));
  if (emitDelaysMs.length === 0) throw new Error('no window with rows was written during the end-to-end run');
  const lagSamples = run.lines
    .filter((line) => line.message === 'status' && line.time >= started.time + 3_000 && line.time <= stoppedAt)
    .map((line) => line.fields['lag'])
    .filter((lag): lag is number => typeof lag === 'number');
  return { emitDelaysMs, lagSamples };
}

/**
 * Fills `topic` with `customers` sales, one per customer (`customer-0000000`...), one sale per
 * message, in a shuffled order, with event times spread over `spanMs` from `start`: with windows
 * longer than the span, every customer is active at once. Written by the bench itself rather than
 * by `produce`, whose Zipf-skewed pool would leave most of a million customers unseen.
 */
export async function fillWithCustomers(brokers: string[], topic: string, partitions: number, customers: number, start: number, spanMs: number): Promise<void> {
  const client = createKafkaClient({ clientId: 'salesflow-bench', ssl: false, sasl: null }, brokers, silentLogger);
  const producer = await connectTopicProducer(client, silentLogger);
  try {
    const partitionOf = createKeyPartitioner(partitions);
    const order = Uint32Array.from({ length: customers }, (_, i) => i);
    for (let i = customers - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [order[i], order[j]] = [order[j] ?? 0, order[i] ?? 0];
    }
    const chunk = 2_000;
    for (let from = 0; from < customers; from += chunk * 2) {
      const sends: Array<Promise<void>> = [];
      for (let at = from; at < Math.min(customers, from + chunk * 2); at += chunk) {
        const records: OutgoingRecord[] = [];
        for (let i = at; i < Math.min(customers, at + chunk); i++) {
          const customerName = `customer-${String(order[i]).padStart(7, '0')}`;
          const timestamp = start + Math.floor((i / customers) * spanMs);
          const sale = { saleId: randomUUID(), customerName, quantity: 1 + (i % 400), value: 9.99, timestamp };
          records.push({ key: customerName, value: JSON.stringify(sale), timestamp, partition: partitionOf(customerName) });
        }
        sends.push(producer.send(topic, records));
      }
      await Promise.all(sends);
    }
  } finally {
    await producer.close();
  }
}

/** Memory: peak RSS (bytes) of one `consume --drain` over a topic filled by fillWithCustomers. */
export async function measureConsumerPeakRss(file: string, group: string): Promise<number> {
  const run = await runCli([file, 'consume', '--drain', '--quiet', '--set', `source.group=${group}`]);
  if (run.peakRss === undefined) throw new Error('the consumer did not report its peak RSS');
  return run.peakRss;
}

/**
 * A client alone, producing: pre-serialised messages (no generation, no JSON work in the loop)
 * through the producer the CLI uses for that client (src/broker/data-clients.ts: idempotent,
 * acks -1), in the CLI's chunks with two sends in flight; `packing` sales per message. The
 * ceiling the client (and the broker) put on `produce`; returns sales/s.
 */
export async function measureClientProducer(clientName: DataClientName, brokers: string[], topic: string, partitions: number, sales: number, packing = 1): Promise<number> {
  const producer = await dataClients[clientName].connectProducer(benchConnection, brokers, silentLogger);
  try {
    const partitionOf = createKeyPartitioner(partitions);
    const customers = Array.from({ length: 1_000 }, (_, i) => `customer-${i}`);
    const timestamp = Date.now();
    const sale = (customerName: string, i: number): string => JSON.stringify({ saleId: randomUUID(), customerName, quantity: i % 400, value: 9.99, timestamp });
    // Packed as the sales producer packs: a JSON array of one partition's sales, and no key.
    const records: OutgoingRecord[] = customers.map((customerName, i) => ({
      key: packing > 1 ? null : customerName,
      value: packing > 1 ? `[${Array.from({ length: packing }, (_, j) => sale(customerName, i + j)).join(',')}]` : sale(customerName, i),
      timestamp,
      partition: partitionOf(customerName),
    }));
    // Sends as the CLI's producer makes them flat out: 2,000 one-sale messages, or 6,000 sales packed.
    const chunk = Array.from({ length: packing > 1 ? Math.ceil(6_000 / packing) : 2_000 }, (_, i) => records[i % records.length] as OutgoingRecord);
    const started = performance.now();
    const inFlight = new Set<Promise<void>>();
    let sent = 0;
    while (sent < sales) {
      const sending: Promise<void> = producer.send(topic, chunk).finally(() => inFlight.delete(sending));
      sent += chunk.length * packing;
      inFlight.add(sending);
      if (inFlight.size >= 2) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    return sent / ((performance.now() - started) / 1000);
  } finally {
    await producer.close();
  }
}

/**
 * A client alone, consuming: a group member (the CLI's for that client, src/broker/data-clients.ts)
 * whose handler only counts records, from the assignment until `sales` sales (`packing` per
 * record) have arrived. The ceiling the client puts on `consume`: fetching, decoding the record
 * batches, and the SourceRecord conversion, with no JSON parsed. Returns sales/s.
 */
export async function measureClientConsumer(clientName: DataClientName, brokers: string[], topic: string, group: string, sales: number, packing = 1): Promise<number> {
  let started = 0;
  let seen = 0;
  let finish: (seconds: number) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const finished = new Promise<number>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const consumer = await dataClients[clientName].startConsumer(
    benchConnection,
    brokers,
    { topic, groupId: group, fromBeginning: true, log: silentLogger },
    {
      onAssignment: () => {
        started ||= performance.now();
      },
      onBatch: (_partition, records) => {
        seen += records.length * packing;
        if (seen >= sales) finish((performance.now() - started) / 1000);
        return Promise.resolve();
      },
      onFatalError: (error) => fail(error),
    },
  );
  try {
    return sales / (await finished);
  } finally {
    await consumer.stop();
  }
}
