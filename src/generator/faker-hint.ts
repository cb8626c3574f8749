/**
 * Turns an `x-faker: "module.method"` hint into a function, checked at creation: a typo in the
 * schema must be reported when the producer starts, with the property's path, not as a
 * TypeError deep in the produce loop.
 */
import { Faker, en } from '@faker-js/faker';
import { SchemaGenerationError, type JsonSchemaType } from './json-schema.ts';

/** A faker instance seeded for the generator; never the shared global, whose state others move. */
export function createSeededFaker(seed: number): Faker {
  const faker = new Faker({ locale: [en] });
  faker.seed(seed);
  return faker;
}

/**
 * Resolves `hint` against `faker` and returns a function producing values of `type`. Faker
 * results are adapted where the intent is obvious (a Date for a string becomes ISO text, for a
 * number epoch ms; a number for a string becomes its text); anything else is an error here.
 */
export function resolveFakerHint(
  faker: Faker,
  hint: unknown,
  type: JsonSchemaType | undefined,
  path: string,
): () => unknown {
  if (typeof hint !== 'string' || !/^[A-Za-z]+\.[A-Za-z]+$/.test(hint)) {
    throw new SchemaGenerationError(path, `"x-faker" must be "module.method" (e.g. "person.fullName"), got ${JSON.stringify(hint)}`);
  }
  const [moduleName, methodName] = hint.split('.') as [string, string];
  const modules = faker as unknown as Record<string, unknown>;
  const fakerModule = moduleName === 'fakerCore' ? undefined : modules[moduleName];
  if (typeof fakerModule !== 'object' || fakerModule === null) {
    throw new SchemaGenerationError(path, `"x-faker": faker has no module "${moduleName}" (see https://fakerjs.dev/api/)`);
  }
  const method = (fakerModule as Record<string, unknown>)[methodName];
  if (typeof method !== 'function') {
    throw new SchemaGenerationError(path, `"x-faker": faker.${moduleName} has no method "${methodName}" (see https://fakerjs.dev/api/${moduleName.toLowerCase()})`);
  }
  // Faker methods read `this.faker`, so they must stay bound to their module.
  const call = (method as (this: unknown) => unknown).bind(fakerModule);

  // Probe on a throwaway instance so checking the hint does not move the seeded stream.
  const probeModule = (createSeededFaker(0) as unknown as Record<string, Record<string, unknown>>)[moduleName];
  const probeMethod = probeModule?.[methodName] as ((this: unknown) => unknown) | undefined;
  let sample: unknown;
  try {
    sample = probeMethod?.call(probeModule);
  } catch (error) {
    throw new SchemaGenerationError(path, `"x-faker": faker.${hint}() failed without arguments: ${(error as Error).message}`);
  }
  const adapt = adapterFor(sample, type);
  if (adapt === undefined) {
    throw new SchemaGenerationError(path, `"x-faker": faker.${hint}() returns ${describe(sample)}, but the property is of type ${type ?? '(none)'}`);
  }
  return adapt === identity ? call : () => adapt(call());
}

const identity = (value: unknown): unknown => value;

function adapterFor(sample: unknown, type: JsonSchemaType | undefined): ((value: unknown) => unknown) | undefined {
  if (type === undefined) return sample instanceof Date ? (value) => (value as Date).toISOString() : identity;
  switch (type) {
    case 'string':
      if (typeof sample === 'string') return identity;
      if (sample instanceof Date) return (value) => (value as Date).toISOString();
      if (typeof sample === 'number' || typeof sample === 'bigint') return (value) => String(value);
      return undefined;
    case 'integer':
      if (sample instanceof Date) return (value) => (value as Date).getTime();
      if (typeof sample === 'bigint') return (value) => Number(value);
      return typeof sample === 'number' && Number.isInteger(sample) ? identity : undefined;
    case 'number':
      if (sample instanceof Date) return (value) => (value as Date).getTime();
      return typeof sample === 'number' ? identity : undefined;
    case 'boolean':
      return typeof sample === 'boolean' ? identity : undefined;
    case 'array':
      return Array.isArray(sample) ? identity : undefined;
    case 'object':
      return typeof sample === 'object' && sample !== null && !Array.isArray(sample) ? identity : undefined;
    case 'null':
      return sample === null ? identity : undefined;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Date) return 'a Date';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
