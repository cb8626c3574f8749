/**
 * `query`: reads the SQLite sink's results. By default the latest window's high-volume
 * customers as an aligned table; `--key` one customer's windows, `--since` every window that
 * ended recently, `--top` the N biggest of each window; `--json` / `--csv` for machines.
 * Tables show times in local ISO; JSON and CSV keep epoch ms, like the database.
 */
import { existsSync } from 'node:fs';
import { escapeLineBreaks, formatLocalIso, formatTotal } from '../sinks/formatting.ts';
import { openResultsReader, type ResultFilter, type ResultRow, type ResultsReader } from '../sinks/sqlite.ts';

/** What to show; `since` is a duration in ms (the CLI parses "10m"). */
export interface QueryOptions {
  dbPath: string;
  table: string;
  /** At most N rows per window, the largest totals. */
  top?: number;
  /** Only this customer (key), across windows. */
  key?: string;
  /** Only windows that ended in the last `since` ms. */
  since?: number;
  format: 'table' | 'json' | 'csv';
  /** Clock for `since`; Date.now() by default. */
  now?: number;
}

/**
 * Prints the results and returns the exit code: 0 (also when there is nothing yet), 1 when the
 * database cannot be read, 2 for a bad option. `out` gets stdout lines, `err` (default: `out`)
 * the error lines; neither gets a trailing newline. JSON and CSV stay parseable when empty
 * (`[]`, a header), the table says "no results yet".
 */
export function runQueryCommand(options: QueryOptions, out: (line: string) => void, err: (line: string) => void = out): number {
  if (options.top !== undefined && (!Number.isInteger(options.top) || options.top < 1)) {
    err(`query failed: --top must be a positive integer, got ${options.top}`);
    return 2;
  }
  if (options.since !== undefined && !(options.since > 0)) {
    err(`query failed: --since must be a positive duration, got ${options.since} ms`);
    return 2;
  }
  if (!existsSync(options.dbPath)) {
    err(`query failed: no results database at ${options.dbPath}: run the pipeline (or "consume") first to create it`);
    return 1;
  }
  let reader: ResultsReader | undefined;
  try {
    reader = openResultsReader(options.dbPath, options.table);
    const latest = reader.latestWindow();
    if (latest === undefined) {
      printEmpty(options.format, 'no results yet', out);
      return 0;
    }
    const filter: ResultFilter = options.top === undefined ? {} : { top: options.top };
    if (options.key !== undefined) filter.key = options.key;
    if (options.since !== undefined) filter.endingSince = (options.now ?? Date.now()) - options.since;
    // Without --key or --since the question is "who is big right now": the latest window.
    if (options.key === undefined && options.since === undefined) filter.window = latest;
    const rows = reader.rows(filter);
    if (rows.length === 0) {
      printEmpty(options.format, describeEmpty(options), out);
      return 0;
    }
    printRows(rows, options.format, out);
    return 0;
  } catch (error) {
    err(`query failed: cannot read ${options.dbPath}: ${(error as Error).message}`);
    return 1;
  } finally {
    reader?.close();
  }
}

function describeEmpty(options: QueryOptions): string {
  const parts: string[] = [];
  if (options.key !== undefined) parts.push(`for key ${JSON.stringify(options.key)}`);
  if (options.since !== undefined) parts.push(`in windows that ended in the last ${formatDuration(options.since)}`);
  return `no results ${parts.join(' ')}`.trimEnd();
}

function printEmpty(format: QueryOptions['format'], message: string, out: (line: string) => void): void {
  if (format === 'json') out('[]');
  else if (format === 'csv') out(CSV_HEADER);
  else out(message);
}

function printRows(rows: readonly ResultRow[], format: QueryOptions['format'], out: (line: string) => void): void {
  if (format === 'json') {
    out(JSON.stringify(rows.map(({ windowStart, windowEnd, key, total, count }) => ({ windowStart, windowEnd, key, total, count })), null, 2));
    return;
  }
  if (format === 'csv') {
    out(CSV_HEADER);
    for (const row of rows) out([row.windowStart, row.windowEnd, csvField(row.key), row.total, row.count].join(','));
    return;
  }
  for (const line of alignedTable(rows)) out(line);
}

const CSV_HEADER = 'window_start,window_end,key,total,count';

/** RFC 4180: quote a field holding a comma, quote or line break, doubling inner quotes. */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

interface Column {
  title: string;
  alignRight: boolean;
  cell(row: ResultRow): string;
}

const COLUMNS: readonly Column[] = [
  { title: 'window start', alignRight: false, cell: (row) => formatLocalIso(row.windowStart) },
  { title: 'window end', alignRight: false, cell: (row) => formatLocalIso(row.windowEnd) },
  { title: 'key', alignRight: false, cell: (row) => escapeLineBreaks(row.key) },
  { title: 'total', alignRight: true, cell: (row) => formatTotal(row.total) },
  { title: 'count', alignRight: true, cell: (row) => String(row.count) },
];

/** Header plus one line per row, columns two spaces apart, numbers right-aligned. */
function alignedTable(rows: readonly ResultRow[]): string[] {
  const cells = rows.map((row) => COLUMNS.map((column) => column.cell(row)));
  // reduce, not Math.max(...spread): a long --since listing would exceed the argument limit.
  const widths = COLUMNS.map((column, index) => cells.reduce((width, line) => Math.max(width, (line[index] as string).length), column.title.length));
  const render = (values: readonly string[]): string =>
    values
      .map((value, index) => {
        const width = widths[index] as number;
        return COLUMNS[index]?.alignRight ? value.padStart(width) : value.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [render(COLUMNS.map((column) => column.title)), ...cells.map(render)];
}

function formatDuration(ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
