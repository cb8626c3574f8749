/**
 * Value formatting shared by the text sink and the query command, so a line in the text file
 * and a row of `query` show a window and a total the same way.
 */

const pad2 = (value: number): string => String(value).padStart(2, '0');

/**
 * Epoch ms as ISO 8601 in the local time zone with its offset, e.g.
 * 2026-11-25T18:30:00.000+01:00 (Date#toISOString only speaks UTC). Follows TZ, including
 * changes to process.env.TZ at run time, which Node applies to Date.
 */
export function formatLocalIso(epochMs: number): string {
  const date = new Date(epochMs);
  const offsetMinutes = -date.getTimezoneOffset();
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const offset = Math.abs(offsetMinutes);
  return (
    `${String(date.getFullYear()).padStart(4, '0')}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}` +
    `T${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}` +
    `.${String(date.getMilliseconds()).padStart(3, '0')}${sign}${pad2(Math.floor(offset / 60))}:${pad2(offset % 60)}`
  );
}

/**
 * A total as people expect to read it: sums of decimals carry float noise
 * (0.1 + 0.2 = 0.30000000000000004), which 15 significant digits remove.
 */
export function formatTotal(total: number): string {
  return Number.isInteger(total) ? String(total) : String(Number(total.toPrecision(15)));
}

const LINE_BREAK_OR_BACKSLASH = /[\\\r\n]/;

/**
 * Keeps one result on one line: \n and \r become the two characters `\n` and `\r`, and a
 * backslash is doubled so the escaping stays reversible ("a\nb" and "a\\nb" stay distinct).
 */
export function escapeLineBreaks(text: string): string {
  if (!LINE_BREAK_OR_BACKSLASH.test(text)) return text;
  return text.replace(/[\\\r\n]/g, (character) => (character === '\\' ? '\\\\' : character === '\n' ? '\\n' : '\\r'));
}
