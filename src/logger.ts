/**
 * The one logger. Structured (a message plus fields), levelled, and written to stderr so that
 * stdout stays free for a command's actual output (a query's table, `check`'s config).
 * Library code receives a Logger; it never writes to the console itself.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'text' | 'json';
export type LogFields = Record<string, unknown>;

/** What every layer is handed to report what it does. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line, e.g. `{ component: 'consumer' }`. */
  child(fields: LogFields): Logger;
}

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Where lines go; stderr by default. Tests pass an array's push. */
  write?: (line: string) => void;
  fields?: LogFields;
}

/** Creates a logger; `SALESFLOW_LOG_LEVEL` sets the default level. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? parseLevel(process.env['SALESFLOW_LOG_LEVEL']) ?? 'info';
  const format = options.format ?? 'text';
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const baseFields = options.fields ?? {};

  const emit = (at: LogLevel, message: string, fields: LogFields | undefined): void => {
    if (levelRank[at] < levelRank[level]) return;
    const all = { ...baseFields, ...fields };
    if (format === 'json') {
      write(JSON.stringify({ time: new Date().toISOString(), level: at, message, ...all }));
      return;
    }
    const extras = Object.entries(all)
      .map(([name, value]) => `${name}=${formatValue(value)}`)
      .join(' ');
    const prefix = at === 'info' ? '' : `${at}: `;
    write(`${prefix}${message}${extras ? ' ' + extras : ''}`);
  };

  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    child: (fields) => createLogger({ level, format, write, fields: { ...baseFields, ...fields } }),
  };
}

/** A logger that drops everything; for tests and `--quiet` library calls. */
export const silentLogger: Logger = createLogger({ write: () => {} });

function parseLevel(value: string | undefined): LogLevel | undefined {
  return value === 'debug' || value === 'info' || value === 'warn' || value === 'error' ? value : undefined;
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  if (value instanceof Error) return JSON.stringify(value.message);
  return JSON.stringify(value) ?? String(value);
}
