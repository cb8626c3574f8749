/**
 * The consumer loop: records in, windows out, offsets committed only behind the sinks.
 *
 *   fetch batch ─► decode ─► window engine ─► closed windows ─► every sink ─► commit
 *                    │            │
 *                    └ invalid ───┴ late ──► dead-letter topic (awaited before any commit)
 *
 * Decoding: plainly valid records are read by the fast path (flat-sale-reader.ts), on the reader
 * thread (sale-reader-thread.ts) when the client fetches ahead and hands batches over early
 * (prepare) and the records are large (packed), else here; every other record by the reference
 * decoder here, which says why a record is rejected.
 *
 * Progress is committed per partition as (offset, metadata): the offset is the engine's
 * `safeOffset` — the oldest record still needed by a window that is not written yet — and the
 * metadata carries `emittedThrough`, the end of the last window already written. After a restart
 * or a rebalance the new owner re-reads from that offset, rebuilds the open windows exactly, and
 * skips the windows already written, so a crash loses nothing and writes nothing partial.
 */
import { type ConsumerOptions } from '../broker/data-clients.ts';
import { type GroupConsumer, type GroupConsumerHandler, type PartitionAssignment, type SourceRecord } from '../broker/group-consumer.ts';
import { type OutgoingRecord, type TopicProducer } from '../broker/topic-producer.ts';
import { type Logger } from '../logger.ts';
import { createWindowEngine } from '../window/engine.ts';
import { type ClosedWindow, type WindowEngine } from '../window/types.ts';
import { notifyBatch, notifyWindowsWritten, type PipelineMetrics } from './metrics.ts';
import { crashPoint } from './crash-points.ts';
import { deadLetterOf } from './dead-letter.ts';
import { type SaleColumns } from './flat-sale-reader.ts';
import { createPlainSalesReader, createSalesDecoder, packedElementJson, type PackedElement, type RecordDecoderOptions } from './record-decoder.ts';
import { startSaleReaderThread, type SaleReaderThread, type ThreadReadSales } from './sale-reader-thread.ts';
import { type SinkSet } from './sink-writer.ts';

/** The parts of the pipeline config the consumer reads. */
export interface StreamConsumerConfig {
  source: {
    topic: string;
    group: string;
    startFrom: 'earliest' | 'latest';
    deadLetterTopic: string;
    eventTime?: string | undefined;
    maxRecordBytes: number;
    saleSchema: object;
  };
  window: { length: number; slide: number; allowedLateness: number; idleTimeout: number; time: 'event' | 'processing' };
  aggregate: { groupBy: string; sum: string; threshold: number };
  /** The pipeline's own producer: when it packs sales, the topic most likely holds packed records. */
  producer?: { packing?: number | undefined };
}

export interface StreamConsumerOptions {
  config: StreamConsumerConfig;
  /** Joins the group on the chosen client (src/broker/data-clients.ts), connection already bound. */
  startConsumer: (options: ConsumerOptions, handler: GroupConsumerHandler) => Promise<GroupConsumer>;
  deadLetters: TopicProducer;
  sinks: SinkSet;
  metrics: PipelineMetrics;
  log: Logger;
  /** Read to the end of the topic as it is at start, close every window, commit, stop. */
  drain: boolean;
  /** Partitions of the dead-letter topic: a dead letter keeps its source partition modulo this. */
  deadLetterPartitions: number;
  /** Wall clock; tests may pass their own. */
  now?: () => number;
  /** The reader thread, when startReaderThreadEarly() started one (it takes ~0.3 s to be ready). */
  readerThread?: Promise<SaleReaderThread | undefined> | undefined;
}

/** A running consumer. `done` settles when it stops: resolved on a clean stop, rejected on a fatal error. */
export interface RunningConsumer {
  done: Promise<void>;
  /** Finishes the batch in hand, writes what can close, commits, leaves the group. */
  stop(): Promise<void>;
}

const progressVersion = 1;
const tickMs = 250;
const idleCommitMs = 2_000;
/** Average record size from which the reader thread is worth starting: ~7 sales of the sale schema. */
const largeRecordBytes = 1_024;
/**
 * `SALESFLOW_READER_THREAD=always` starts the reader thread with the consumer whatever the record
 * size, `never` never starts it (for tests and comparisons); unset, the record size decides.
 */
const readerThreadChoice = ((choice) => (choice === 'always' || choice === 'never' ? choice : undefined))(process.env['SALESFLOW_READER_THREAD']);

/** Starts consuming; see the module comment for the guarantees. */
export async function startStreamConsumer(options: StreamConsumerOptions): Promise<RunningConsumer> {
  const { config, metrics, log, sinks, deadLetters } = options;
  const now = options.now ?? Date.now;
  const figures = metrics.consumer;
  const decoderOptions = decoderOptionsOf(config);
  // Plainly valid records are read straight into the batch's columns; the others, and every
  // rejection, go through the decoder, which says why.
  const readPlainSales = createPlainSalesReader(decoderOptions);
  const decode = createSalesDecoder(decoderOptions);
  // The reader thread starts in the background once the client hands batches over ahead
  // (prepare) and the records are large (packed sales, several per record): with one sale per
  // record it gained nothing, and a second V8 isolate costs ~35 MB. Until it is ready (and if it
  // fails) records are read here. Batches handed over early are read there meanwhile, by their
  // records array.
  let readerThread: SaleReaderThread | undefined;
  let readerStarted: Promise<void> | undefined;
  const readAhead = new WeakMap<SourceRecord[], Promise<ThreadReadSales | undefined>>();
  const startReaderThread = (early?: Promise<SaleReaderThread | undefined>): void => {
    readerStarted ??= (early ?? startSaleReaderThread(decoderOptions)).then(
      (thread) => {
        if (thread === undefined) return;
        readerThread = thread;
        if (stopping || stopped || !readPlainSales.fastPath) void closeReaderThread();
        else log.debug('reader thread ready');
      },
      (error: unknown) => log.warn('no reader thread: records are read on the main thread', { error: (error as Error).message }),
    );
  };
  // Started before the consumer (startReaderThreadEarly) when forced, or when the pipeline's
  // producer packs sales, so that it is ready for the first batches; closed again at the first
  // batch if the client turns out not to hand batches over early (kafkajs).
  if (options.readerThread !== undefined) startReaderThread(options.readerThread);
  let batchesPrepared = false;
  const prepare = (_partition: number, records: SourceRecord[]): void => {
    batchesPrepared = true;
    if (readerStarted === undefined && readerThreadChoice === undefined && readPlainSales.fastPath && averageValueBytes(records) >= largeRecordBytes) startReaderThread();
    const thread = readerThread;
    if (thread === undefined || stopping || stopped) return;
    const read = thread.read(records).catch((error: unknown) => {
      // The thread is gone (or broke on a batch): from now on everything is read here.
      if (readerThread === thread) {
        readerThread = undefined;
        log.warn('the reader thread failed: records are read on the main thread', { error: (error as Error).message });
        void thread.close();
      }
      return undefined;
    });
    readAhead.set(records, read);
  };
  const closeReaderThread = async (): Promise<void> => {
    await readerStarted?.catch(() => undefined);
    const thread = readerThread;
    readerThread = undefined;
    await thread?.close();
  };
  const processingTime = config.window.time === 'processing';
  // The engine's clock (for idle partitions) stands still while the broker is unreachable and
  // then resumes where it stopped: an outage is not traffic stopping, and the records sent just
  // before it must not turn up late because every partition looked idle meanwhile.
  let outageMs = 0;
  let outageStartedAt: number | undefined;
  const engineNow = (): number => {
    const wall = now();
    if (metrics.brokerError !== null) {
      outageStartedAt ??= wall;
      return outageStartedAt - outageMs;
    }
    if (outageStartedAt !== undefined) {
      outageMs += wall - outageStartedAt;
      outageStartedAt = undefined;
    }
    return wall - outageMs;
  };
  const deadLetterContext = {
    sourceTopic: config.source.topic,
    deadLetterPartitions: options.deadLetterPartitions,
    maxRecordBytes: config.source.maxRecordBytes,
  };
  const deadLetter = (record: SourceRecord, reason: string, detail: string, element?: PackedElement): OutgoingRecord =>
    deadLetterOf(deadLetterContext, record, reason, detail, element);
  let engine: WindowEngine = newEngine(config);
  /** Per partition: `emittedThrough` restored from the last commit (windows already written). */
  const resumedThrough = new Map<number, number>();
  const committed = new Map<number, string>();
  let lastCommitAt = 0;
  let stopping = false;
  let stopped = false;
  let drainTargets: Map<number, number> | undefined;
  let queue: Promise<void> = Promise.resolve();
  /**
   * The heartbeat of the batch in hand, or of the last one: the sink writer calls it during long
   * writes, also of windows the timer closes between batches.
   */
  let latestHeartbeat: () => Promise<void> = () => Promise.resolve();
  // Declared before the handlers that use it; assigned once the group is joined.
  let consumer: GroupConsumer | undefined;

  let settle!: { resolve: () => void; reject: (error: Error) => void };
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  const fail = (error: Error): void => {
    if (stopped) return;
    stopped = true;
    log.error('consumer stopped', { error: error.message });
    clearInterval(timer);
    // Leave the group before reporting, so that a restart is not held up by this member's
    // session (it would otherwise wait out the session timeout).
    void (consumer?.stop() ?? Promise.resolve())
      .catch(() => undefined)
      .then(closeReaderThread)
      .catch(() => undefined)
      .finally(() => settle.reject(error));
  };
  /** Serialises batches, ticks and shutdown: the engine and the sinks see one step at a time. */
  const serially = (step: () => Promise<void>): Promise<void> => {
    const next = queue.then(step);
    queue = next.catch((error: unknown) => fail(error instanceof Error ? error : new Error(String(error))));
    return next;
  };

  const onAssignment = async (assignments: PartitionAssignment[]): Promise<void> => {
    // Eager rebalancing: everything was revoked and fetching restarts at the committed offsets.
    engine = newEngine(config);
    resumedThrough.clear();
    committed.clear();
    figures.partitions.clear();
    const ends = await consumer?.partitionOffsets();
    for (const { partition, committedOffset, committedMetadata } of assignments) {
      const emittedThrough = parseProgress(committedMetadata);
      if (emittedThrough !== undefined) resumedThrough.set(partition, emittedThrough);
      engine.assign(partition, emittedThrough === undefined ? undefined : { emittedThrough });
      const end = ends?.get(partition);
      const start = committedOffset ?? (config.source.startFrom === 'earliest' ? end?.low : end?.high) ?? 0;
      figures.partitions.set(partition, { position: start, highWatermark: end?.high ?? start });
    }
    if (options.drain && drainTargets === undefined && ends) {
      drainTargets = new Map(assignments.map(({ partition }) => [partition, ends.get(partition)?.high ?? 0]));
    }
    log.info('partitions assigned', {
      partitions: assignments.map((a) => `${a.partition}@${a.committedOffset ?? config.source.startFrom}`).join(' ') || 'none',
    });
  };

  const onBatch = async (partition: number, records: SourceRecord[], highWatermark: number, heartbeat: () => Promise<void>) => {
    // A failed heartbeat means the group is rebalancing (or the broker is away): that is the
    // client's business, not a pipeline failure. It is handed back to the client after the step,
    // which then rejoins; the new generation rebuilds the windows from the committed offsets.
    let heartbeatError: Error | undefined;
    const keepAlive = async (): Promise<void> => {
      try {
        await heartbeat();
      } catch (error) {
        heartbeatError ??= error instanceof Error ? error : new Error(String(error));
      }
    };
    await processBatch(partition, records, highWatermark, keepAlive);
    if (heartbeatError !== undefined) throw heartbeatError;
  };

  const processBatch = (partition: number, records: SourceRecord[], highWatermark: number, heartbeat: () => Promise<void>) =>
    serially(async () => {
      if (stopping || stopped) return;
      latestHeartbeat = heartbeat;
      const startedAt = now();
      const batchClock = performance.now();
      const rejected: OutgoingRecord[] = [];
      const lateBefore = figures.late;
      const invalidBefore = figures.invalid;
      // Decode everything first, then hand the valid sales to the engine as one columnar batch. A
      // record holds one sale or a packed array of them: per sale, its record and its index in the
      // array (-1: the record is the sale), to dead-letter a late sale alone.
      const sales: SaleColumns = { keys: [], amounts: [], eventTimes: [], elements: [] };
      const { keys, amounts, eventTimes } = sales;
      const offsets: number[] = [];
      const saleRecords: SourceRecord[] = [];
      let invalidSales = 0;
      // Forced on (tests), the thread is waited for once, so that the batches after it go there.
      if (readerThreadChoice === 'always') await readerStarted;
      if (!batchesPrepared && readerStarted !== undefined && readerThread !== undefined) void closeReaderThread();
      const ahead = readAhead.get(records);
      readAhead.delete(records);
      const readOnThread = ahead === undefined ? undefined : await ahead;
      /** Next sale of readOnThread's columns. */
      let threadSale = 0;
      for (let index = 0; index < records.length; index++) {
        const record = records[index] as SourceRecord;
        const first = keys.length;
        const keyBytes = record.key?.length ?? 0;
        // Read on the thread (a count of sales, or -1: for the reference decoder), or here.
        const countOnThread = readOnThread === undefined ? undefined : (readOnThread.salesPerRecord[index] as number);
        let read: boolean;
        if (readOnThread !== undefined && countOnThread !== undefined) {
          for (let sale = 0; sale < countOnThread; sale++, threadSale++) {
            keys.push(readOnThread.keys[threadSale] as string);
            amounts.push(readOnThread.amounts[threadSale] as number);
            eventTimes.push(readOnThread.eventTimes[threadSale] as number);
            sales.elements.push(readOnThread.elements[threadSale] as number);
          }
          read = countOnThread >= 0;
          if (read) figures.readOnThread += countOnThread;
        } else {
          read = readPlainSales(record.value, record.timestamp, keyBytes, sales);
        }
        if (!read) {
          for (const decoded of decode(record.value, record.timestamp, keyBytes)) {
            if (!decoded.ok) {
              invalidSales++;
              figures.invalidByReason.set(decoded.reason, (figures.invalidByReason.get(decoded.reason) ?? 0) + 1);
              rejected.push(deadLetter(record, decoded.reason, decoded.detail, decoded.element));
              continue;
            }
            keys.push(decoded.sale.key);
            amounts.push(decoded.sale.amount);
            eventTimes.push(decoded.sale.eventTime);
            sales.elements.push(decoded.element ?? -1);
          }
        }
        for (let sale = first; sale < keys.length; sale++) {
          offsets.push(record.offset);
          saleRecords.push(record);
        }
      }
      if (processingTime) eventTimes.fill(startedAt);
      const outcome = engine.addBatch({ partition, keys, amounts, eventTimes, offsets, now: engineNow() });
      for (const { index, lateBy } of outcome.late) {
        const record = saleRecords[index];
        const at = sales.elements[index] ?? -1;
        if (!record) continue;
        const json = at < 0 ? undefined : packedElementJson(record.value, at);
        rejected.push(deadLetter(record, 'late', `${lateBy} ms behind the closed windows`, json === undefined ? undefined : { index: at, json }));
      }
      // Counted in sales: a packed record counts as many as it holds.
      figures.consumed += saleRecords.length + invalidSales;
      figures.valid += saleRecords.length;
      figures.invalid += invalidSales;
      figures.aggregated += outcome.counted;
      figures.replayed += outcome.replayed.length;
      figures.late += outcome.late.length;
      crashPoint('after-batch');
      if (rejected.length > 0) {
        await deadLetters.send(config.source.deadLetterTopic, rejected);
        figures.deadLettered += rejected.length;
      }
      const last = records[records.length - 1];
      const position = figures.partitions.get(partition);
      if (last && position) {
        position.position = last.offset + 1;
        position.highWatermark = highWatermark;
      }
      figures.batches++;
      await closeAndCommit(startedAt, false);
      figures.lastBatchMs = performance.now() - batchClock;
      notifyBatch(metrics, {
        at: startedAt,
        partition,
        records: saleRecords.length + invalidSales,
        invalid: figures.invalid - invalidBefore,
        late: figures.late - lateBefore,
        processingMs: figures.lastBatchMs,
      });
      // A drain ends as soon as its last batch is in, not at the next tick (up to 250 ms later).
      // Not awaited: stop() queues its final step behind this one.
      if (options.drain && drainFinished()) void stop().catch(fail);
      await heartbeat();
    });

  /** Closes what the watermark allows, writes it, and commits what the sinks now hold. */
  const closeAndCommit = async (at: number, endOfStream: boolean): Promise<void> => {
    const closed = endOfStream ? engine.closeAll() : engine.advance(engineNow());
    if (closed.length > 0) {
      await writeWindows(closed, at);
      crashPoint('after-sink-write');
    }
    updateGauges();
    if (closed.length > 0 || endOfStream || now() - lastCommitAt >= idleCommitMs) await commitProgress();
  };

  const writeWindows = async (closed: ClosedWindow[], closedAt: number): Promise<void> => {
    await sinks.write(closed, { heartbeat: () => latestHeartbeat() });
    figures.windowsEmitted += closed.length;
    figures.rowsWritten += closed.reduce((rows, window) => rows + window.rows.length, 0);
    const writtenAt = now();
    figures.lastEmitDelayMs = writtenAt - closedAt;
    notifyWindowsWritten(metrics, { at: writtenAt, windows: closed, emitDelayMs: figures.lastEmitDelayMs });
  };

  const commitProgress = async (): Promise<void> => {
    if (!consumer) return;
    lastCommitAt = now();
    const closedThrough = engine.closedThrough();
    const offsets = [];
    for (const partition of consumer.assignedPartitions()) {
      const offset = engine.safeOffset(partition);
      if (offset === undefined) continue;
      const emittedThrough = Math.max(resumedThrough.get(partition) ?? -Infinity, closedThrough);
      const metadata = JSON.stringify(Number.isFinite(emittedThrough) ? { v: progressVersion, emittedThrough } : { v: progressVersion });
      const fingerprint = `${offset}|${metadata}`;
      if (committed.get(partition) === fingerprint) continue;
      offsets.push({ partition, offset, metadata, fingerprint });
    }
    if (offsets.length === 0) return;
    try {
      await consumer.commit(offsets);
      for (const { partition, fingerprint } of offsets) committed.set(partition, fingerprint);
      figures.commits++;
      crashPoint('after-commit');
    } catch (error) {
      // A commit refused during a rebalance is harmless: the next owner re-reads from the last
      // good commit and rebuilds the same windows.
      log.warn('commit refused; the next owner will replay from the previous commit', { error: (error as Error).message });
    }
  };

  const updateGauges = (): void => {
    const stats = engine.stats();
    const watermark = engine.watermark();
    figures.watermark = Number.isFinite(watermark) ? watermark : null;
    figures.openWindows = stats.openWindows;
    figures.keys = stats.keys;
  };

  const drainFinished = (): boolean => {
    if (!drainTargets) return false;
    for (const [partition, target] of drainTargets) {
      if ((figures.partitions.get(partition)?.position ?? 0) < target) return false;
    }
    return true;
  };

  const stop = async (): Promise<void> => {
    if (stopped) return done;
    stopping = true;
    clearInterval(timer);
    await serially(() => closeAndCommit(now(), options.drain));
    stopped = true;
    await consumer?.stop();
    await closeReaderThread();
    settle.resolve();
    return done;
  };

  const timer = setInterval(() => {
    if (stopping || stopped) return;
    if (options.drain && drainFinished()) {
      void stop().catch(fail);
      return;
    }
    void serially(() => closeAndCommit(now(), false)).catch(() => undefined);
  }, tickMs);

  try {
    consumer = await options.startConsumer(
      {
        topic: config.source.topic,
        groupId: config.source.group,
        fromBeginning: config.source.startFrom === 'earliest',
        log: log.child({ component: 'kafka' }),
        // processBatch keeps no record past its batch: sales leave as numbers and key strings,
        // dead letters as copies (dead-letter.ts).
        reuseFetchBuffers: true,
      },
      { onAssignment, onBatch, onFatalError: fail, prepare },
    );
  } catch (error) {
    stopped = true;
    clearInterval(timer);
    await closeReaderThread().catch(() => undefined);
    throw error;
  }
  return { done, stop };
}

/**
 * Starts the reader thread ahead of the consumer when it is forced on or the pipeline's producer
 * packs sales, so that its ~0.3 s start overlaps the command's own start-up (broker check,
 * topics, group join). Pass the result as `readerThread`; undefined when not started.
 */
export function startReaderThreadEarly(config: StreamConsumerConfig): Promise<SaleReaderThread | undefined> | undefined {
  const packed = (config.producer?.packing ?? 1) > 1;
  if (!(readerThreadChoice === 'always' || (readerThreadChoice === undefined && packed))) return undefined;
  return startSaleReaderThread(decoderOptionsOf(config)).catch(() => undefined);
}

function decoderOptionsOf(config: StreamConsumerConfig): RecordDecoderOptions {
  return {
    saleSchema: config.source.saleSchema,
    groupBy: config.aggregate.groupBy,
    sum: config.aggregate.sum,
    eventTime: config.source.eventTime,
    maxRecordBytes: config.source.maxRecordBytes,
  };
}

/** The average value size of the first records of a batch (enough to tell packed from single). */
function averageValueBytes(records: readonly SourceRecord[]): number {
  const sample = Math.min(records.length, 32);
  let bytes = 0;
  for (let i = 0; i < sample; i++) bytes += records[i]?.value?.length ?? 0;
  return sample === 0 ? 0 : bytes / sample;
}

function newEngine(config: StreamConsumerConfig): WindowEngine {
  return createWindowEngine({
    length: config.window.length,
    slide: config.window.slide,
    allowedLateness: config.window.allowedLateness,
    idleTimeout: config.window.idleTimeout,
    threshold: config.aggregate.threshold,
  });
}

/** Reads `emittedThrough` from a commit's metadata; anything unreadable means "nothing written". */
function parseProgress(metadata: string | null): number | undefined {
  if (!metadata) return undefined;
  try {
    const progress = JSON.parse(metadata) as { v?: unknown; emittedThrough?: unknown };
    return progress.v === progressVersion && typeof progress.emittedThrough === 'number' ? progress.emittedThrough : undefined;
  } catch {
    return undefined;
  }
}
