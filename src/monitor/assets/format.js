/**
 * Number and time formatting shared by the dashboard's panels and charts. Browser module.
 */

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/**
 * A count with thousands separators, '-' when unknown.
 * @param {number | null | undefined} value
 * @returns {string}
 */
export function formatCount(value) {
  return value === null || value === undefined || !Number.isFinite(value) ? '-' : integer.format(value);
}

/**
 * A chart tick: 950, 1.2K, 3M.
 * @param {number | null} value
 * @returns {string}
 */
export function formatCompact(value) {
  return value === null ? '' : compact.format(value);
}

/**
 * Milliseconds as "850 ms", "2.4 s" or "3.1 min".
 * @param {number | null | undefined} ms
 * @returns {string}
 */
export function formatDuration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  // The consumer times batches in whole milliseconds: 0 means "under one".
  if (ms === 0) return '<1 ms';
  if (Math.abs(ms) < 1_000) return `${oneDecimal.format(ms)} ms`;
  if (Math.abs(ms) < 120_000) return `${oneDecimal.format(ms / 1_000)} s`;
  return `${oneDecimal.format(ms / 60_000)} min`;
}

/**
 * Epoch ms as the UTC time of day, HH:MM:SS (the pipeline's windows are aligned to UTC).
 * @param {number | null | undefined} epochMs
 * @returns {string}
 */
export function formatClock(epochMs) {
  return epochMs === null || epochMs === undefined ? '-' : new Date(epochMs).toISOString().slice(11, 19);
}

/**
 * A window as "12:00:00–12:01:00".
 * @param {number} start
 * @param {number} end
 * @returns {string}
 */
export function formatWindow(start, end) {
  return `${formatClock(start)}–${formatClock(end)}`;
}
