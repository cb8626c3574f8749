/**
 * The part of JSON Schema (draft 2020-12) the generator understands, plus our generation hints.
 * The schema arrives already parsed (config owns reading it), so every field is optional and
 * checked at generator creation: a hand-edited schema must fail there, not in the hot loop.
 */

/** JSON Schema's primitive type names. */
export type JsonSchemaType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'null';

/** One (sub)schema as parsed from JSON: the keywords the generator reads. */
export interface JsonSchemaObject {
  type?: JsonSchemaType | JsonSchemaType[];
  properties?: Record<string, JsonSchemaObject>;
  required?: string[];
  items?: JsonSchemaObject;
  minItems?: number;
  maxItems?: number;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  format?: string;
  pattern?: string;
  additionalProperties?: boolean | JsonSchemaObject;
  /** Faker method as "module.method", e.g. "person.fullName". */
  'x-faker'?: string;
  /** Draw the value from a named, Zipf-skewed pool; only "customers" exists. */
  'x-pool'?: string;
  /** The field receives the record's event time (epoch ms, or ISO text for strings). */
  'x-event-time'?: boolean;
  uniqueItems?: boolean;
}

/**
 * Reads any keyword, including ones the interface does not list. The interface has no index
 * signature on purpose: a config's `saleSchema: object` must be assignable to it.
 */
export function keywordOf(schema: JsonSchemaObject, keyword: string): unknown {
  return (schema as Record<string, unknown>)[keyword];
}

/** Thrown when a schema asks for something the generator cannot produce; names the property. */
export class SchemaGenerationError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`cannot generate ${path || 'the record'}: ${detail}`);
    this.name = 'SchemaGenerationError';
  }
}

/**
 * The single type a property generates. `["string", "null"]` means "a string that may be null";
 * we always generate the non-null member because downstream code cares about real values.
 */
export function effectiveType(schema: JsonSchemaObject, path: string): JsonSchemaType | undefined {
  const type = schema.type;
  if (type === undefined || typeof type === 'string') return type;
  if (!Array.isArray(type)) throw new SchemaGenerationError(path, `"type" must be a string or an array`);
  return type.find((name) => name !== 'null') ?? (type.length > 0 ? 'null' : undefined);
}
