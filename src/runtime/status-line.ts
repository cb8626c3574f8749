/**
 * The terminal progress line of long-running commands: rates, lag, watermark, windows and bad
 * records, once a second. Rewritten in place on a TTY, plain lines otherwise (logs, CI).
 */
import { consumerLag, type PipelineMetrics } from './metrics.ts';

export interface StatusLineOptions {
  metrics: PipelineMetrics;
  stream: NodeJS.WriteStream;
  showProducer: boolean;
  showConsumer: boolean;
  intervalMs?: number;
}

/** Starts printing; returns a function that prints a final line and stops. */
export function startStatusLine(options: StatusLineOptions): () => void {
  const { metrics, stream, showProducer, showConsumer } = options;
  const interactive = stream.isTTY === true;
  let last = { at: Date.now(), produced: 0, consumed: 0 };

  const render = (): string => {
    const at = Date.now();
    const seconds = Math.max(0.001, (at - last.at) / 1000);
    const { producer, consumer } = metrics;
    const parts: string[] = [];
    if (showProducer) parts.push(`out ${rate(producer.acknowledged - last.produced, seconds)}/s (${count(producer.acknowledged)})`);
    if (showConsumer) {
      parts.push(
        `in ${rate(consumer.consumed - last.consumed, seconds)}/s (${count(consumer.consumed)})`,
        `lag ${count(consumerLag(consumer))}`,
        `watermark ${consumer.watermark === null ? '-' : new Date(consumer.watermark).toISOString().slice(11, 19)}`,
        `windows ${count(consumer.windowsEmitted)}`,
        `rows ${count(consumer.rowsWritten)}`,
        `invalid ${count(consumer.invalid)}`,
        `late ${count(consumer.late)}`,
      );
    }
    if (metrics.brokerError) parts.push(`BROKER UNREACHABLE: ${metrics.brokerError}`);
    last = { at, produced: producer.acknowledged, consumed: consumer.consumed };
    return parts.join(' | ');
  };

  const print = (): void => {
    const line = render();
    if (interactive) stream.write(`\r\x1b[2K${line}`);
    else stream.write(line + '\n');
  };
  const timer = setInterval(print, options.intervalMs ?? 1_000);
  timer.unref();
  return () => {
    clearInterval(timer);
    print();
    if (interactive) stream.write('\n');
  };
}

function rate(delta: number, seconds: number): string {
  return count(Math.round(delta / seconds));
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}
