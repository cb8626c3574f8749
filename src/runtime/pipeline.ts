/**
 * Wiring for the long-running commands (`run`, `produce`, `consume`): find or start the broker,
 * create the topics, start the parts the command needs, print progress, and stop cleanly.
 *
 * Shutdown order on Ctrl-C (a second Ctrl-C forces exit 130):
 *   producer stops generating and waits for its acknowledgements
 *   -> consumer finishes the batch in hand, closes what the watermark allows, writes, commits
 *   -> sinks close -> a broker this command started is stopped.
 */
import { createKafkaClient } from '../broker/client.ts';
import { verifyBrokerConnection } from '../broker/connection-check.ts';
import { dataClients } from '../broker/data-clients.ts';
import { type TopicProducer } from '../broker/topic-producer.ts';
import { resolveBrokers } from '../broker/resolve-brokers.ts';
import { ensureTopics } from '../broker/topics.ts';
import { type PipelineConfig } from '../config/load-config.ts';
import { type Logger } from '../logger.ts';
import { createSinks } from '../sinks/registry.ts';
import { startBrokerWatch } from './broker-watch.ts';
import { createMetrics, type PipelineMetrics } from './metrics.ts';
import { createSinkSet } from './sink-writer.ts';
import { startStatusLine } from './status-line.ts';
import { startReaderThreadEarly, startStreamConsumer } from './stream-consumer.ts';
import { deadLetterTopicMaxBytes } from './dead-letter.ts';
import { tuneGarbageCollectorForConsuming } from './gc-tuning.ts';

export type PipelineMode = 'run' | 'produce' | 'consume';

export interface PipelineCommandOptions {
  mode: PipelineMode;
  drain: boolean;
  quiet: boolean;
  log: Logger;
  /** `json` makes the status line print JSON objects, like the logs. */
  logFormat?: 'text' | 'json';
  /** Hooks for the monitor: called once the metrics exist, returns a closer. */
  onMetrics?: (metrics: PipelineMetrics) => Promise<() => Promise<void>>;
}

/** Runs a long-running command to its end; returns the exit code. */
export async function runPipelineCommand(config: PipelineConfig, options: PipelineCommandOptions): Promise<number> {
  const { mode, log } = options;
  const withProducer = mode === 'run' || mode === 'produce';
  const withConsumer = mode === 'run' || mode === 'consume';
  if (withConsumer) tuneGarbageCollectorForConsuming();
  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanUp = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log.warn('cleanup step failed', { error: (error as Error).message });
      }
    }
  };

  let interrupted = 0;
  let requestStop: () => void = () => undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted++;
    if (interrupted > 1) {
      log.warn(`second ${signal}: exiting now without a clean stop`);
      process.exit(130);
    }
    log.info(`${signal}: stopping cleanly (press Ctrl-C again to force)`);
    requestStop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  cleanups.push(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });

  try {
    // The consumer's reader thread (packed records) starts now, while the broker is checked and
    // the group joined; the consumer closes it, or the clean-up if the command fails before.
    const readerThread = withConsumer ? startReaderThreadEarly(config) : undefined;
    if (readerThread) cleanups.push(() => readerThread.then((thread) => thread?.close()));
    const broker = await resolveBrokers({ configured: config.broker.brokers, log });
    if (broker.startedHere) cleanups.push(() => broker.stop());
    log.info('broker', {
      brokers: broker.brokers.join(','),
      origin: broker.origin,
      client: `producer ${config.broker.client.producer}, consumer ${config.broker.client.consumer}`,
    });
    // Bad settings (wrong password, TLS to a plaintext port, unknown host) end here, in seconds.
    await verifyBrokerConnection(config.broker, broker.brokers, { log });
    const client = createKafkaClient(config.broker, broker.brokers, log.child({ component: 'kafka' }));
    const [, deadLetterTopic] = await ensureTopics(client, [
      { topic: config.source.topic, partitions: config.source.partitions },
      // Dead letters carry whole rejected records plus headers, so their topic must take records
      // somewhat larger than the largest record the consumer accepts.
      {
        topic: config.source.deadLetterTopic,
        partitions: config.source.partitions,
        configs: { 'max.message.bytes': String(deadLetterTopicMaxBytes(config.source.maxRecordBytes)) },
      },
    ]);

    const metrics = createMetrics();
    cleanups.push(startBrokerWatch({ connection: config.broker, brokers: broker.brokers, metrics, log: log.child({ component: 'broker' }) }));
    if (options.onMetrics) {
      const closeMonitor = await options.onMetrics(metrics);
      cleanups.push(closeMonitor);
    }
    if (!options.quiet) {
      const stopStatus = startStatusLine({
        metrics,
        stream: process.stderr,
        showProducer: withProducer,
        showConsumer: withConsumer,
        format: options.logFormat ?? 'text',
      });
      cleanups.push(stopStatus);
    }

    const clients = config.broker.client;
    // The sales producer runs on the producer role's client and the consumer's dead-letter
    // writer on the consumer role's, so a `consume` process loads one client library only
    // (@platformatic/kafka alone costs ~50 MB of RSS). When both roles use the same client,
    // `run` shares one producer between them.
    const connectProducer = async (clientName: typeof clients.producer): Promise<TopicProducer> => {
      const connected = await dataClients[clientName].connectProducer(config.broker, broker.brokers, log.child({ component: 'producer' }));
      cleanups.push(() => connected.close());
      return connected;
    };
    const producer = withProducer ? await connectProducer(clients.producer) : undefined;

    let consumer: Awaited<ReturnType<typeof startStreamConsumer>> | undefined;
    if (withConsumer) {
      const sinks = createSinkSet(await createSinks(config.sinks, { log }), log.child({ component: 'sinks' }));
      cleanups.push(() => sinks.close());
      consumer = await startStreamConsumer({
        config,
        startConsumer: (consumerOptions, handler) =>
          dataClients[clients.consumer].startConsumer(config.broker, broker.brokers, consumerOptions, handler),
        deadLetters: producer !== undefined && clients.consumer === clients.producer ? producer : await connectProducer(clients.consumer),
        sinks,
        metrics,
        log: log.child({ component: 'consumer' }),
        drain: options.drain,
        deadLetterPartitions: deadLetterTopic?.partitions ?? config.source.partitions,
        readerThread,
      });
    }
    // Imported only where it runs: the generator brings faker (~40 MB of RSS) into the process.
    const sales = producer
      ? (await import('./sale-producer.ts')).startSaleProducer({ config, producer, metrics, log: log.child({ component: 'producer' }) })
      : undefined;

    const stopped = new Promise<void>((resolve) => {
      requestStop = resolve;
    });
    if (mode === 'produce' && sales) {
      await Promise.race([sales.done, stopped]);
      sales.stop();
      await sales.done;
    } else if (consumer) {
      // `run` goes on until Ctrl-C; `consume` until Ctrl-C or, with --drain, the end of the topic.
      await Promise.race([consumer.done, stopped]);
      sales?.stop();
      await sales?.done;
      await consumer.stop();
    }
    log.info('stopped cleanly', {
      produced: metrics.producer.acknowledged,
      consumed: metrics.consumer.consumed,
      windows: metrics.consumer.windowsEmitted,
      rows: metrics.consumer.rowsWritten,
      invalid: metrics.consumer.invalid,
      late: metrics.consumer.late,
      ...(metrics.consumer.readOnThread > 0 ? { readOnThread: metrics.consumer.readOnThread } : {}),
    });
    return 0;
  } catch (error) {
    log.error(`${mode} failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await cleanUp();
  }
}
