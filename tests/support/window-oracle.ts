/**
 * The brute-force oracle for end-to-end tests: recomputes every sliding window straight from the
 * records (no panes, no watermarks) and lists the (window, key) rows over the threshold.
 */

export interface OracleRecord {
  key: string;
  amount: number;
  eventTime: number;
}

export interface OracleRow {
  start: number;
  end: number;
  key: string;
  total: number;
  count: number;
}

/** Every row of every window any record falls in, sorted by (end, key). */
export function windowOracle(
  records: OracleRecord[],
  settings: { length: number; slide: number; threshold: number },
): OracleRow[] {
  const { length, slide, threshold } = settings;
  const sums = new Map<string, OracleRow>();
  for (const record of records) {
    // Windows are [start, start + length) with start a multiple of slide: every such start in
    // (t - length, t] holds t.
    const lastStart = Math.floor(record.eventTime / slide) * slide;
    for (let start = lastStart; start > record.eventTime - length; start -= slide) {
      const id = `${start}|${record.key}`;
      const row = sums.get(id) ?? { start, end: start + length, key: record.key, total: 0, count: 0 };
      row.total += record.amount;
      row.count += 1;
      sums.set(id, row);
    }
  }
  return [...sums.values()]
    .filter((row) => row.total >= threshold)
    .sort((a, b) => a.end - b.end || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Differences between expected and actual rows, as readable lines (empty when equal). */
export function diffRows(expected: OracleRow[], actual: OracleRow[]): string[] {
  const id = (row: OracleRow): string => `${row.start}-${row.end} ${row.key}`;
  const actualById = new Map(actual.map((row) => [id(row), row]));
  const expectedIds = new Set(expected.map(id));
  const problems: string[] = [];
  for (const row of expected) {
    const found = actualById.get(id(row));
    if (!found) problems.push(`missing ${id(row)} total=${row.total} count=${row.count}`);
    else if (Math.abs(found.total - row.total) > 1e-6 || found.count !== row.count) {
      problems.push(`wrong ${id(row)}: expected total=${row.total} count=${row.count}, got total=${found.total} count=${found.count}`);
    }
  }
  for (const row of actual) if (!expectedIds.has(id(row))) problems.push(`extra ${id(row)} total=${row.total}`);
  if (actual.length !== actualById.size) problems.push(`duplicates: ${actual.length - actualById.size} rows share an id`);
  return problems;
}
