/**
 * Test helper: the sale schema (read from disk, as config would) and an Ajv 2020 validator set
 * up as the consumer's must be: generation hints registered as annotations, formats on, and
 * multipleOfPrecision so 0.29 passes multipleOf 0.01.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { type JsonSchemaObject } from '../../src/generator/json-schema.ts';

/** A fresh parsed copy of schemas/sale.schema.json (callers may mutate it). */
export function loadSaleSchema(): JsonSchemaObject {
  const url = new URL('../../schemas/sale.schema.json', import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as JsonSchemaObject;
}

/** Compiles `schema` with the consumer's Ajv settings. */
export function compileValidator(schema: JsonSchemaObject): ValidateFunction {
  const ajv = new Ajv2020({ allErrors: true, multipleOfPrecision: 6 });
  addFormats.default(ajv);
  for (const keyword of ['x-faker', 'x-pool', 'x-event-time']) ajv.addKeyword({ keyword, schemaType: ['string', 'boolean'] });
  return ajv.compile(schema);
}
