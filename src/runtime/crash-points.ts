/**
 * Fault injection for the reliability tests: with `SALESFLOW_CRASH_AT=<point>:<n>` in the
 * environment, the process kills itself with SIGKILL (no cleanup, like `kill -9`) the n-th time it
 * reaches `<point>`. Unset, a crash point costs one comparison. Tests use it to hit moments an
 * external `kill -9` can only hit by luck, such as "after the sink write, before the commit".
 */

/** The places the runtime and the sinks can be killed at. */
export type CrashPoint =
  /** After a batch was added to the windows, before anything closed: mid-window. */
  | 'after-batch'
  /** After every sink holds the closed windows, before the offsets are committed. */
  | 'after-sink-write'
  /** Right after an offset commit. */
  | 'after-commit'
  /** Inside the text sink's append, after part of the lines is written. */
  | 'mid-text-append';

const armed = parseArmed(process.env['SALESFLOW_CRASH_AT']);
let reached = 0;

/** Kills the process here if the environment armed this point and its count is reached. */
export function crashPoint(point: CrashPoint): void {
  if (armed === undefined || armed.point !== point) return;
  reached++;
  if (reached >= armed.count) process.kill(process.pid, 'SIGKILL');
}

/** Whether a crash point is armed; the text sink splits its append only then. */
export function isCrashPointArmed(point: CrashPoint): boolean {
  return armed?.point === point;
}

function parseArmed(value: string | undefined): { point: string; count: number } | undefined {
  if (!value) return undefined;
  const [point = '', count = '1'] = value.split(':');
  return { point, count: Math.max(1, Number.parseInt(count, 10) || 1) };
}
