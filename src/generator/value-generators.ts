/**
 * Compiles a JSON Schema into a tree of small closures, once, so generating a record is a walk
 * over prepared functions with no schema interpretation in the hot loop. Precedence for one
 * property: event time, then pool, then const/enum, then x-faker, then its type.
 */
import { type Faker } from '@faker-js/faker';
import { createSeededFaker, resolveFakerHint } from './faker-hint.ts';
import { SchemaGenerationError, effectiveType, keywordOf, type JsonSchemaObject } from './json-schema.ts';
import { integerGenerator, numberGenerator } from './numeric-range.ts';
import { randomInt, randomUuid, type Random } from './random.ts';
import { choiceOf, describedAs, type ValueGenerator } from './value-sources.ts';

/** One property of an object generator, in the order it is generated. */
export interface GeneratedField {
  name: string;
  optional: boolean;
  generate: ValueGenerator;
}

/**
 * What an object generator does, for writing its records without building them
 * (record-json.ts): its fields, and the draw that decides whether an optional one is present.
 */
export interface ObjectPlan {
  fields: readonly GeneratedField[];
  /** Draws whether an optional field is present, exactly as the generator does. */
  optionalPresent: () => boolean;
}

const objectPlans = new WeakMap<ValueGenerator, ObjectPlan>();

/** The plan of a generator compileValue made for an object; undefined for any other. */
export function objectPlanOf(generate: ValueGenerator): ObjectPlan | undefined {
  return objectPlans.get(generate);
}

/** What compilation shares across the whole schema. */
export interface CompileContext {
  faker: Faker;
  random: Random;
  /** Probability that an optional property is present in a record. */
  optionalPropertyRate: number;
  /** Builds the generator of a pooled property from its unpooled one. */
  pool(poolName: unknown, base: ValueGenerator, schema: JsonSchemaObject, path: string): ValueGenerator;
  /** Top-level property that receives the event time besides any `x-event-time` one. */
  eventTimeField?: string | undefined;
}

// Keywords whose constraints the type-based generators would silently violate.
const UNSUPPORTED = ['$ref', 'oneOf', 'anyOf', 'allOf', 'not', 'if', 'prefixItems', 'contains', 'patternProperties', 'propertyNames', 'dependentRequired', 'dependentSchemas', 'minProperties'];

/** Compiles `schema` (found at `path`, e.g. "customerName" or "items[]") into a generator. */
export function compileValue(schema: JsonSchemaObject, path: string, context: CompileContext, isEventTime = false): ValueGenerator {
  if (typeof schema !== 'object' || schema === null) throw new SchemaGenerationError(path, 'its schema must be an object');
  const type = effectiveType(schema, path);
  if (isEventTime || schema['x-event-time'] === true) return eventTimeGenerator(type, path);
  if (schema['x-pool'] !== undefined) {
    const { 'x-pool': poolName, ...unpooled } = schema;
    return context.pool(poolName, compileValue(unpooled, path, context), schema, path);
  }
  if (schema.const !== undefined) {
    const value = schema.const;
    return () => value;
  }
  if (schema.enum !== undefined) return enumGenerator(schema.enum, context.random, path);
  if (schema['x-faker'] !== undefined) {
    // The fast PRNG UUID is an equal replacement for faker's, and about 10x cheaper per record.
    if (schema['x-faker'] === 'string.uuid') {
      const { random } = context;
      return describedAs(() => randomUuid(random), { kind: 'uuid', random });
    }
    return withLength(schema, resolveFakerHint(context.faker, schema['x-faker'], type, path), context, path);
  }
  for (const keyword of UNSUPPORTED) {
    if (keywordOf(schema, keyword) !== undefined) {
      throw new SchemaGenerationError(path, `"${keyword}" is not supported by the generator; give the property an "x-faker" hint or an "enum"`);
    }
  }
  switch (type) {
    case 'object':
      return objectGenerator(schema, path, context);
    case 'array':
      return arrayGenerator(schema, path, context);
    case 'string':
      return withLength(schema, stringGenerator(schema, path, context), context, path);
    case 'integer':
      return integerGenerator(schema, context.random, path);
    case 'number':
      return numberGenerator(schema, context.random, path);
    case 'boolean':
      return () => context.random() < 0.5;
    case 'null':
      return () => null;
    default:
      throw new SchemaGenerationError(path, `it has no "type" (or "enum", "const", "x-faker")`);
  }
}

function eventTimeGenerator(type: string | undefined, path: string): ValueGenerator {
  if (type === 'integer' || type === 'number') return describedAs((eventTime: number) => eventTime, { kind: 'event-time' });
  if (type === 'string') return (eventTime) => new Date(eventTime).toISOString();
  throw new SchemaGenerationError(path, `the event time field must be an integer (epoch ms) or a string (ISO), not ${type ?? 'untyped'}`);
}

function enumGenerator(values: unknown, random: Random, path: string): ValueGenerator {
  if (!Array.isArray(values) || values.length === 0) throw new SchemaGenerationError(path, `"enum" must be a non-empty array`);
  return choiceOf(values, random);
}

function objectGenerator(schema: JsonSchemaObject, path: string, context: CompileContext): ValueGenerator {
  const properties = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  for (const name of required) {
    if (!(name in properties)) throw new SchemaGenerationError(join(path, name), `it is required but has no schema under "properties"`);
  }
  if (!path && context.eventTimeField !== undefined && !(context.eventTimeField in properties)) {
    throw new SchemaGenerationError(context.eventTimeField, `the event time field is not a property of the schema`);
  }
  const fields = Object.entries(properties).map(([name, propertySchema]): GeneratedField => {
    const generate = compileValue(propertySchema, join(path, name), context, !path && name === context.eventTimeField);
    return { name, optional: !required.has(name), generate };
  });
  const { random, optionalPropertyRate } = context;
  const optionalPresent = (): boolean => random() < optionalPropertyRate;
  const generateObject: ValueGenerator = (eventTime) => {
    const value: Record<string, unknown> = {};
    for (const field of fields) {
      if (field.optional && !optionalPresent()) continue;
      value[field.name] = field.generate(eventTime);
    }
    return value;
  };
  objectPlans.set(generateObject, { fields, optionalPresent });
  return generateObject;
}

function arrayGenerator(schema: JsonSchemaObject, path: string, context: CompileContext): ValueGenerator {
  if (schema.uniqueItems === true) throw new SchemaGenerationError(path, `"uniqueItems" is not supported by the generator`);
  const minItems = schema.minItems ?? 1;
  const maxItems = schema.maxItems ?? minItems + 2;
  if (minItems > maxItems) throw new SchemaGenerationError(path, `"minItems" is above "maxItems"`);
  if (maxItems === 0) return () => [];
  if (schema.items === undefined) throw new SchemaGenerationError(path, `an array needs "items" to be generated`);
  const item = compileValue(schema.items, `${path}[]`, context);
  const { random } = context;
  return (eventTime) => {
    const length = randomInt(random, minItems, maxItems);
    const items: unknown[] = new Array<unknown>(length);
    for (let i = 0; i < length; i++) items[i] = item(eventTime);
    return items;
  };
}

function stringGenerator(schema: JsonSchemaObject, path: string, context: CompileContext): ValueGenerator {
  const { faker, random } = context;
  if (schema.pattern !== undefined) return patternGenerator(schema.pattern, faker, path);
  switch (schema.format) {
    case undefined:
      return () => faker.lorem.word();
    case 'uuid':
      return describedAs(() => randomUuid(random), { kind: 'uuid', random });
    case 'date-time':
      return (eventTime) => new Date(eventTime).toISOString();
    case 'date':
      return (eventTime) => new Date(eventTime).toISOString().slice(0, 10);
    case 'email':
      return () => faker.internet.email();
    case 'uri':
    case 'url':
      return () => faker.internet.url();
    case 'hostname':
      return () => faker.internet.domainName();
    case 'ipv4':
      return () => faker.internet.ipv4();
    case 'ipv6':
      return () => faker.internet.ipv6();
    default:
      throw new SchemaGenerationError(path, `format "${schema.format}" is not supported by the generator; add an "x-faker" hint`);
  }
}

function patternGenerator(pattern: string, faker: Faker, path: string): ValueGenerator {
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, 'u');
  } catch (error) {
    throw new SchemaGenerationError(path, `"pattern" is not a valid regular expression: ${(error as Error).message}`);
  }
  // faker does not understand anchors; a string matching the unanchored core matches anyway.
  const core = pattern.replace(/^\^/, '').replace(/(?<!\\)\$$/, '');
  const generate = (): string => faker.helpers.fromRegExp(core);
  // faker understands a subset of regex syntax; prove it on a few samples before trusting it,
  // on a throwaway instance so the check does not move the seeded stream.
  const probeFaker = createSeededFaker(0);
  for (let i = 0; i < 20; i++) {
    const sample = probeFaker.helpers.fromRegExp(core);
    if (!regex.test(sample)) {
      throw new SchemaGenerationError(path, `faker cannot generate strings for "pattern" ${JSON.stringify(pattern)} (got ${JSON.stringify(sample)}); add an "x-faker" hint or an "enum"`);
    }
  }
  return generate;
}

/** Pads or cuts a string to minLength/maxLength; other values pass through. */
function withLength(schema: JsonSchemaObject, generate: ValueGenerator, context: CompileContext, path: string): ValueGenerator {
  const { minLength = 0, maxLength = Infinity } = schema;
  if (minLength > maxLength) throw new SchemaGenerationError(path, `"minLength" is above "maxLength"`);
  if (minLength === 0 && maxLength === Infinity) return generate;
  const { faker } = context;
  return (eventTime) => {
    const value = generate(eventTime);
    if (typeof value !== 'string') return value;
    let text = value;
    // Lengths count code points, as in JSON Schema. A string has between length/2 and length
    // code points, so the exact (slower) count is needed only near a bound.
    while (text.length < 2 * minLength && codePointCount(text) < minLength) text += ' ' + faker.lorem.word();
    if (text.length > maxLength && codePointCount(text) > maxLength) text = [...text].slice(0, maxLength).join('');
    return text;
  };
}

function codePointCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    // A high surrogate and its low partner form one code point; count the pair once.
    const unit = text.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdbff) count++;
  }
  return count;
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}
