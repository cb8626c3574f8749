/**
 * What every sink is: built from its config entry, handed closed windows, closed at shutdown.
 * The window shape is declared here structurally (the same shape as the window engine's
 * ClosedWindow) so sinks depend on nothing above them and the engine on nothing below it.
 */
import { type Logger } from '../logger.ts';

/** One key's result in one window. */
export interface WindowRow {
  key: string;
  /** Sum of the aggregated field over the window. */
  total: number;
  /** Number of records that contributed. */
  count: number;
}

/** A closed window and its rows (the keys at or above the threshold), epoch ms bounds. */
export interface ClosedWindowRows {
  start: number;
  end: number;
  rows: readonly WindowRow[];
}

/**
 * Fault injection for the reliability tests, handed to write() by the runtime so that sinks
 * import nothing above them. Empty in normal runs.
 */
export interface SinkWriteHooks {
  /** When set, the text sink splits its append in two and calls this between the halves. */
  midAppend?: () => void;
}

/**
 * A destination for results. A write that resolves means the rows are durably stored. Windows
 * arrive in order of end; a window may arrive again after a restart (with the same rows), and a
 * sink must then hold it once, not twice.
 */
export interface Sink {
  write(windows: readonly ClosedWindowRows[], hooks?: SinkWriteHooks): Promise<void> | void;
  /** Releases the file or connection; safe to call twice. */
  close(): Promise<void> | void;
}

/** What a sink factory gets besides its own config. */
export interface SinkContext {
  log: Logger;
  /** Clock for `emitted_at`-style stamps; Date.now by default, fixed in tests. */
  now?: () => number;
}

/** Builds one sink from its config entry. */
export type SinkFactory<Config> = (config: Config, context: SinkContext) => Sink | Promise<Sink>;

// Local copies of the sink config types until src/config exports them (same shapes).
/** `sinks[]` entry of type text. */
export interface TextSinkConfig {
  type: 'text';
  path: string;
  format?: string | undefined;
}

/** `sinks[]` entry of type sqlite. */
export interface SqliteSinkConfig {
  type: 'sqlite';
  path: string;
  table: string;
}

/** Any `sinks[]` entry. */
export type SinkConfig = TextSinkConfig | SqliteSinkConfig;
