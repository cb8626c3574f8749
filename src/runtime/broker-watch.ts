/**
 * Watches the broker while a command runs, so that an outage is visible instead of looking like
 * a quiet stream: a DescribeCluster (with the pipeline's TLS and SASL) about once a second.
 *
 *   answers ──► fails ──► fails ──► … ──► answers
 *               │         └ 'broker unreachable' logged once; metrics.brokerError set
 *               │           (status line and dashboard show it, updated with the outage's length)
 *               └ one failure alone is not reported (a GC pause, a slow answer on a busy machine)
 *                                          'broker back' logged once, with how long it was away;
 *                                          metrics.brokerError cleared
 *
 * The watch only reports. Producer and consumer ride out the outage on their own (see
 * src/broker/client.ts and src/broker/topic-producer.ts).
 */
import { type BrokerProblem } from '../broker/broker-errors.ts';
import { type BrokerConnectionConfig, checkBroker } from '../broker/client.ts';
import { type Logger } from '../logger.ts';
import { type PipelineMetrics } from './metrics.ts';

/** What startBrokerWatch() needs. */
export interface BrokerWatchOptions {
  /** The `broker` section of the config (TLS, SASL, client id). */
  connection: BrokerConnectionConfig;
  brokers: readonly string[];
  metrics: Pick<PipelineMetrics, 'brokerError'>;
  log: Logger;
  /** Time between the starts of two checks. Default 1 s. */
  intervalMs?: number;
  /** Timeout of one check. Default 2 s. */
  timeoutMs?: number;
  /** Consecutive failed checks before the broker is reported unreachable. Default 2. */
  failuresToReport?: number;
  /** The check; tests pass their own. Default: checkBroker() with the settings above. */
  check?: () => Promise<BrokerProblem | undefined>;
  now?: () => number;
}

/** Starts watching; the returned function stops the watch (and waits for a check in flight). */
export function startBrokerWatch(options: BrokerWatchOptions): () => Promise<void> {
  const { metrics, log, brokers } = options;
  const intervalMs = options.intervalMs ?? 1_000;
  const timeoutMs = options.timeoutMs ?? 2_000;
  const failuresToReport = options.failuresToReport ?? 2;
  const now = options.now ?? Date.now;
  const check = options.check ?? (() => checkBroker(options.connection, brokers, timeoutMs));
  const where = brokers.join(',');

  let failures = 0;
  let firstFailureAt = 0;
  let reported = false;
  let stopped = false;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;

  const record = (problem: BrokerProblem | undefined): void => {
    const at = now();
    if (problem === undefined) {
      if (reported) {
        log.info('broker back', { brokers: where, downSeconds: round((at - firstFailureAt) / 1000) });
        metrics.brokerError = null;
      }
      failures = 0;
      reported = false;
      return;
    }
    if (failures === 0) firstFailureAt = at;
    failures++;
    if (failures < failuresToReport) return;
    if (!reported) {
      reported = true;
      log.warn('broker unreachable', { brokers: where, error: problem.cause });
    }
    metrics.brokerError = `${where}: ${oneLine(problem.cause)} (for ${Math.round((at - firstFailureAt) / 1000)} s)`;
  };

  const loop = async (): Promise<void> => {
    while (!stopped) {
      const startedAt = now();
      const problem = await check().catch((error: unknown): BrokerProblem => ({ kind: 'other', cause: String(error), message: String(error) }));
      if (stopped) return;
      record(problem);
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, Math.max(0, intervalMs - (now() - startedAt)));
        // The watch never keeps a finished command alive.
        timer.unref();
      });
    }
  };
  const running = loop();

  return async () => {
    stopped = true;
    clearTimeout(timer);
    wake?.();
    await running;
  };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
