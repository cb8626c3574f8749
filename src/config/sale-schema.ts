/**
 * The sale schema (schemas/sale.schema.json by default): the JSON Schema of one record, with
 * generation hints as annotation keywords. Config loads and compiles it once so a broken schema
 * is a config error, and hands the parsed object on as `source.saleSchema`.
 */
import { readFile } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { isRecord } from './config-path.ts';

/** The JSON types a sale field may declare. */
export type SaleFieldType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null';

/** One property of the sale schema, with the generator's hints. */
export interface SaleFieldSchema {
  type?: SaleFieldType | SaleFieldType[];
  format?: string;
  /** A faker method as `module.method`, e.g. `person.fullName`. */
  'x-faker'?: string;
  /** `customers`: draw from a Zipf-skewed pool of `producer.customers` values. */
  'x-pool'?: 'customers';
  /** true: the field receives the record's event time (epoch ms). */
  'x-event-time'?: boolean;
  [keyword: string]: unknown;
}

/** The sale schema as config hands it on: an object schema with its properties. */
export interface SaleSchema {
  type: 'object';
  properties: Record<string, SaleFieldSchema>;
  required?: string[];
  [keyword: string]: unknown;
}

/** Largest sale schema file read, like the pipeline file: a schema is never megabytes. */
export const maxSaleSchemaBytes = 1024 * 1024;

/**
 * An Ajv for sale schemas: 2020-12, strict, formats (uuid, date-time), the x- hints registered
 * (with their values checked), and a multipleOf precision so 0.29 passes `multipleOf: 0.01`.
 * Each call returns a new instance: a schema's `$id` may only be added once per instance.
 */
export function createSaleSchemaAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true, multipleOfPrecision: 6, logger: false });
  addFormats.default(ajv);
  ajv.addKeyword({ keyword: 'x-faker', schemaType: 'string', metaSchema: { type: 'string', pattern: '^[A-Za-z]+\\.[A-Za-z]+$' } });
  ajv.addKeyword({ keyword: 'x-pool', schemaType: 'string', metaSchema: { enum: ['customers'] } });
  ajv.addKeyword({ keyword: 'x-event-time', schemaType: 'boolean', metaSchema: { type: 'boolean' } });
  return ajv;
}

/** Reads, parses and compiles the sale schema; a problem is returned as a message, not thrown. */
export async function loadSaleSchema(absolutePath: string): Promise<{ schema: SaleSchema } | { problem: string }> {
  let text: string;
  try {
    const bytes = await readFile(absolutePath);
    if (bytes.length > maxSaleSchemaBytes) return { problem: `sale schema is too large (${bytes.length} bytes, at most ${maxSaleSchemaBytes})` };
    text = bytes.toString('utf8');
  } catch (error) {
    return { problem: `cannot read the sale schema ${absolutePath}: ${describeFsError(error)}` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { problem: `the sale schema is not valid JSON: ${(error as Error).message}` };
  }
  try {
    createSaleSchemaAjv().compile(parsed as object);
  } catch (error) {
    return { problem: `the sale schema does not compile: ${(error as Error).message}` };
  }
  if (!isSaleSchema(parsed)) {
    return { problem: 'the sale schema must describe an object: "type": "object" and "properties" with one schema object per field' };
  }
  return { schema: parsed };
}

function isSaleSchema(value: unknown): value is SaleSchema {
  return isRecord(value) && value['type'] === 'object' && isRecord(value['properties']) && Object.values(value['properties']).every(isRecord);
}

/** `no such file` rather than `ENOENT: no such file or directory, open '/x'`. */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return (error as Error).message;
}
