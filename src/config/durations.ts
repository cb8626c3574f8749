/**
 * Durations in the YAML are strings such as `250ms`, `10s`, `5m`, `1h`, `1m30s`, or integer
 * milliseconds. Everything downstream of config sees integer milliseconds only.
 */

/** A duration as written in the YAML (the schema's `$defs/duration`). */
export type DurationInput = string | number;

const unitMs = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
const wholeDuration = /^(?:\d+(?:ms|s|m|h))+$/;
const durationPart = /(\d+)(ms|s|m|h)/g;

/** `'1m30s'` -> 90000, `250` -> 250; throws RangeError for anything else. */
export function parseDuration(value: DurationInput): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a duration: ${value}`);
    return value;
  }
  if (!wholeDuration.test(value)) throw new RangeError(`not a duration: ${JSON.stringify(value)}`);
  let total = 0;
  for (const [, amount, unit] of value.matchAll(durationPart)) {
    total += Number(amount) * unitMs[unit as keyof typeof unitMs];
  }
  if (!Number.isSafeInteger(total)) throw new RangeError(`duration too long: ${JSON.stringify(value)}`);
  return total;
}

/**
 * 60000 -> `60s`, 250 -> `250ms`. Whole seconds print as seconds (never minutes), so messages
 * compare like with like: `must not be longer than window.length (60s), got 90s`.
 */
export function formatDuration(ms: number): string {
  return ms % 1_000 === 0 ? `${ms / 1_000}s` : `${ms}ms`;
}
