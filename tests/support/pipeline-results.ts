/**
 * What a pipeline run left behind, read back for the tests' oracles: the SQLite sink's rows, the
 * text sink's lines, and the sales (and dead letters) in the topics, read with kcat.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { compileSaleValidator } from '../../src/runtime/record-decoder.ts';
import { readTopicWithKcat } from './cli.ts';
import { type OracleRecord, type OracleRow } from './window-oracle.ts';

const saleSchema = JSON.parse(readFileSync(new URL('../../schemas/sale.schema.json', import.meta.url), 'utf8')) as object;

/** The rows the SQLite sink holds. */
export function sqliteRows(dir: string): OracleRow[] {
  const path = join(dir, 'out/results.db');
  if (!existsSync(path)) return [];
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare('SELECT window_start AS start, window_end AS "end", key, total, count FROM high_volume_customers ORDER BY window_end, key')
      .all() as OracleRow[];
  } finally {
    db.close();
  }
}

/** The text sink's file, as lines. */
export function textLines(dir: string): string[] {
  const path = join(dir, 'out/customers.txt');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((line) => line.length > 0);
}

/** Source positions (`partition@offset`) the dead-letter topic lists with reason `late`. */
export function deadLetteredLate(topic: string): Set<string> {
  return new Set(
    readTopicWithKcat(`${topic}.dlq`)
      .filter((letter) => /salesflow\.reason=late/.test(letter.headers))
      .map((letter) => {
        const partition = /salesflow\.source\.partition=(\d+)/.exec(letter.headers)?.[1];
        const offset = /salesflow\.source\.offset=(\d+)/.exec(letter.headers)?.[1];
        return `${partition}@${offset}`;
      }),
  );
}

/** Valid sales in the topic (minus `exclude`), and how many records were not valid sales. */
export function salesInTopic(topic: string, exclude: Set<string> = new Set()): { valid: OracleRecord[]; invalid: number; saleIds: string[] } {
  const validate = compileSaleValidator(saleSchema);
  const valid: OracleRecord[] = [];
  const saleIds: string[] = [];
  let invalid = 0;
  for (const { partition, offset, value } of readTopicWithKcat(topic)) {
    let sale: unknown;
    try {
      sale = JSON.parse(value);
    } catch {
      invalid++;
      continue;
    }
    if (!validate(sale)) {
      invalid++;
      continue;
    }
    const { saleId, customerName, quantity, timestamp } = sale as { saleId: string; customerName: string; quantity: number; timestamp: number };
    saleIds.push(saleId);
    if (exclude.has(`${partition}@${offset}`)) continue;
    valid.push({ key: customerName, amount: quantity, eventTime: timestamp });
  }
  return { valid, invalid, saleIds };
}
