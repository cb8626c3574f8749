/**
 * The terminal progress line of long-running commands: rates, lag, watermark, windows and bad
 * records, once a second. Rewritten in place on a TTY, plain lines otherwise (logs, CI), and one
 * JSON object per line with `--log json`, so a log shipper reading stderr gets no stray text.
 */
import { consumerLag, type PipelineMetrics } from './metrics.ts';

/** How and what the status line prints. */
export interface StatusLineOptions {
  metrics: PipelineMetrics;
  stream: NodeJS.WriteStream;
  showProducer: boolean;
  showConsumer: boolean;
  /** `json` prints one object per line, shaped like the JSON logs; default `text`. */
  format?: 'text' | 'json';
  intervalMs?: number;
  /** The clock; tests pass their own. */
  now?: () => number;
}

/** One status report, the same figures for both formats. */
export interface StatusFigures {
  inPerSecond?: number;
  consumed?: number;
  outPerSecond?: number;
  acknowledged?: number;
  lag?: number;
  watermark?: number | null;
  windowsEmitted?: number;
  rowsWritten?: number;
  invalid?: number;
  late?: number;
  deadLettered?: number;
  brokerError: string | null;
}

/** Starts printing; returns a function that prints a final line and stops. */
export function startStatusLine(options: StatusLineOptions): () => void {
  const { metrics, stream, showProducer, showConsumer } = options;
  const now = options.now ?? Date.now;
  const format = options.format ?? 'text';
  // JSON lines are for machines: never rewritten in place, even on a terminal.
  const inPlace = format === 'text' && stream.isTTY === true;
  let last = { at: now(), acknowledged: metrics.producer.acknowledged, consumed: metrics.consumer.consumed };

  const measure = (): StatusFigures => {
    const at = now();
    const seconds = Math.max(0.001, (at - last.at) / 1000);
    const { producer, consumer } = metrics;
    const figures: StatusFigures = { brokerError: metrics.brokerError };
    if (showConsumer) {
      Object.assign(figures, {
        inPerSecond: Math.round((consumer.consumed - last.consumed) / seconds),
        consumed: consumer.consumed,
        lag: consumerLag(consumer),
        watermark: consumer.watermark,
        windowsEmitted: consumer.windowsEmitted,
        rowsWritten: consumer.rowsWritten,
        invalid: consumer.invalid,
        late: consumer.late,
        deadLettered: consumer.deadLettered,
      });
    }
    if (showProducer) {
      Object.assign(figures, { outPerSecond: Math.round((producer.acknowledged - last.acknowledged) / seconds), acknowledged: producer.acknowledged });
    }
    last = { at, acknowledged: producer.acknowledged, consumed: consumer.consumed };
    return figures;
  };

  const print = (): void => {
    const figures = measure();
    if (format === 'json') {
      stream.write(statusJson(figures, new Date(now())) + '\n');
      return;
    }
    const line = statusText(figures, { color: inPlace });
    if (inPlace) stream.write(`\r\x1b[2K${fitToWidth(line, stream.columns)}`);
    else stream.write(line + '\n');
  };

  const timer = setInterval(print, options.intervalMs ?? 1_000);
  timer.unref();
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    print();
    if (inPlace) stream.write('\n');
  };
}

/** The text form: `in 2,000/s (48,000) | lag 0 | ...`; a broker error leads, so it is never cut off. */
export function statusText(figures: StatusFigures, options: { color: boolean }): string {
  const parts: string[] = [];
  if (figures.brokerError !== null) {
    const alarm = `BROKER UNREACHABLE: ${figures.brokerError}`;
    parts.push(options.color ? `\x1b[1;31m${alarm}\x1b[0m` : alarm);
  }
  if (figures.outPerSecond !== undefined) parts.push(`out ${count(figures.outPerSecond)}/s (${count(figures.acknowledged ?? 0)})`);
  if (figures.inPerSecond !== undefined) {
    parts.push(
      `in ${count(figures.inPerSecond)}/s (${count(figures.consumed ?? 0)})`,
      `lag ${count(figures.lag ?? 0)}`,
      `watermark ${figures.watermark === null || figures.watermark === undefined ? '-' : clock(figures.watermark)}`,
      `windows ${count(figures.windowsEmitted ?? 0)}`,
      `rows ${count(figures.rowsWritten ?? 0)}`,
      `invalid ${count(figures.invalid ?? 0)}`,
      `late ${count(figures.late ?? 0)}`,
      `dead-lettered ${count(figures.deadLettered ?? 0)}`,
    );
  }
  return parts.join(' | ');
}

/** The JSON form: the logger's shape (time, level, message) plus the figures; `warn` while the broker is down. */
export function statusJson(figures: StatusFigures, time: Date): string {
  const { brokerError, watermark, ...rest } = figures;
  return JSON.stringify({
    time: time.toISOString(),
    level: brokerError === null ? 'info' : 'warn',
    message: 'status',
    ...rest,
    ...(watermark === undefined ? {} : { watermark: watermark === null ? null : new Date(watermark).toISOString() }),
    brokerError,
  });
}

/**
 * Cuts a line to the terminal's width: a wrapped line cannot be rewritten in place with `\r`.
 * Escape codes take no columns, so they are not counted.
 */
function fitToWidth(line: string, columns: number | undefined): string {
  if (columns === undefined || columns <= 1) return line;
  let visible = 0;
  let result = '';
  for (const token of line.split(/(\x1b\[[0-9;]*m)/)) {
    if (token.startsWith('\x1b[')) {
      result += token;
      continue;
    }
    const room = columns - 1 - visible;
    if (room <= 0) break;
    result += token.slice(0, room);
    visible += Math.min(token.length, room);
  }
  return line.includes('\x1b[') && !result.endsWith('\x1b[0m') ? result + '\x1b[0m' : result;
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}

function clock(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 19);
}
