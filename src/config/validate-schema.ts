/**
 * Validation against schemas/pipeline.schema.json with one Ajv instance (which also fills in
 * the schema's defaults), and translation of Ajv's errors into messages a user can act on:
 * `unknown key, did you mean "window"?` instead of `must NOT have additional properties`.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { type ConfigPath, pathFromJsonPointer } from './config-path.ts';
import { type JsonSchema, pipelineSchema, resolveSchemaRef, unknownKeyMessage } from './pipeline-schema.ts';
import { closestMatch, describeValue, quoteList } from './wording.ts';
import { type PendingIssue } from './yaml-locator.ts';

let validator: ValidateFunction | undefined;

// Compiled on first use, then shared: compiling is the slow part of Ajv.
function pipelineValidator(): ValidateFunction {
  if (validator === undefined) {
    const ajv = new Ajv2020({
      allErrors: true,
      useDefaults: true,
      discriminator: true,
      verbose: true,
      strict: true,
      // `required: ["type"]` next to a discriminator names a property defined in the branches.
      strictRequired: false,
      logger: false,
    });
    ajv.addVocabulary(['x-expected']);
    validator = ajv.compile(pipelineSchema);
  }
  return validator;
}

/** Validates `data` in place (defaults are inserted) and returns one issue per real problem. */
export function validateAgainstSchema(data: unknown): PendingIssue[] {
  const validate = pipelineValidator();
  if (validate(data)) return [];
  const errors = dropRedundantErrors(validate.errors ?? []);
  return errors.map((error) => translateError(error, data));
}

/**
 * Ajv reports every failed branch of an anyOf and the anyOf itself. When the value's type
 * picks one structured branch (a mapping for `ssl`), that branch's errors are the useful ones;
 * otherwise one "must be <x-expected>" message replaces them all.
 */
function dropRedundantErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const dropped = new Set<ErrorObject>();
  for (const composite of errors) {
    if (composite.keyword !== 'anyOf' && composite.keyword !== 'oneOf') continue;
    const branches = (composite.schema as JsonSchema[]).map(resolveSchemaRef);
    const kind = jsonType(composite.data);
    const matching = branches.flatMap((branch, index) => (typeAccepts(branch.type, kind) ? [index] : []));
    const chosen = matching.length === 1 && (kind === 'object' || kind === 'array') ? matching[0] : undefined;
    if (chosen !== undefined) dropped.add(composite);
    for (const error of errors) {
      if (!error.schemaPath.startsWith(`${composite.schemaPath}/`)) continue;
      if (chosen === undefined || !error.schemaPath.startsWith(`${composite.schemaPath}/${chosen}/`)) dropped.add(error);
    }
  }
  // A sink without `type` fails both `required` and the discriminator: say it once.
  for (const error of errors) {
    if (error.keyword !== 'discriminator') continue;
    for (const other of errors) {
      if (other.keyword === 'required' && other.instancePath === error.instancePath && other.params['missingProperty'] === error.params['tag']) {
        dropped.add(other);
      }
    }
  }
  return errors.filter((error) => !dropped.has(error));
}

function translateError(error: ErrorObject, data: unknown): PendingIssue {
  const path = pathFromJsonPointer(error.instancePath, data);
  const parent = (error.parentSchema ?? {}) as JsonSchema;
  const params = error.params as Record<string, unknown>;
  const got = describeValue(error.data);
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params['additionalProperty']);
      return { path: [...path, key], target: 'key', message: unknownKeyMessage(key, Object.keys(parent.properties ?? {})) };
    }
    case 'required':
      return missingKey(path, String(params['missingProperty']), parent);
    case 'type':
      return { path, message: `must be ${typeWords(params['type'])}, got ${got}` };
    case 'enum':
      return { path, message: `must be one of ${quoteList(error.schema as unknown[])}, got ${got}${didYouMean(error.data, error.schema as unknown[])}` };
    case 'const':
      return { path, message: `must be ${describeValue(params['allowedValue'])}, got ${got}` };
    case 'pattern':
      return { path, message: `must be ${parent['x-expected'] ?? `text matching ${String(params['pattern'])}`}, got ${got}` };
    case 'anyOf':
    case 'oneOf':
      return { path, message: `must be ${parent['x-expected'] ?? 'one of the allowed forms'}, got ${got}` };
    case 'minimum':
      return { path, message: `must be at least ${String(params['limit'])}, got ${got}` };
    case 'maximum':
      return { path, message: `must be at most ${String(params['limit'])}, got ${got}` };
    case 'minLength':
      return { path, message: params['limit'] === 1 ? 'must not be empty' : `must be at least ${String(params['limit'])} characters long` };
    case 'maxLength':
      return { path, message: `must be at most ${String(params['limit'])} characters long` };
    case 'minItems':
      return { path, message: `must list at least ${params['limit'] === 1 ? 'one' : String(params['limit'])} ${itemNoun(path)}` };
    case 'discriminator':
      return discriminatorIssue(path, params, error.data, parent);
    default:
      return { path, message: error.message ?? `fails ${error.keyword}` };
  }
}

function missingKey(path: ConfigPath, key: string, parent: JsonSchema): PendingIssue {
  const property = parent.properties?.[key];
  const example = property === undefined ? undefined : resolveSchemaRef(property).examples?.[0];
  const hint = example !== undefined && (typeof example !== 'object' || example === null) ? `, for example ${describeValue(example)}` : '';
  return { path: [...path, key], target: 'parent', message: `missing required key${hint}` };
}

// The tag names the kind (`unknown sink "postgres"`); allowed values come from the branches.
function discriminatorIssue(path: ConfigPath, params: Record<string, unknown>, data: unknown, parent: JsonSchema): PendingIssue {
  const tag = String(params['tag']);
  const allowed = (parent.oneOf ?? []).map((branch) => resolveSchemaRef(branch).properties?.[tag]?.const);
  const tagValue = (data as Record<string, unknown> | null)?.[tag];
  if (tagValue === undefined) {
    return { path: [...path, tag], target: 'parent', message: `missing required key, expected one of ${quoteList(allowed)}` };
  }
  if (typeof tagValue !== 'string') {
    return { path: [...path, tag], message: `must be one of ${quoteList(allowed)}, got ${describeValue(tagValue)}` };
  }
  const noun = itemNoun(path.slice(0, -1));
  return { path: [...path, tag], message: `unknown ${noun} ${describeValue(tagValue)}, expected one of ${quoteList(allowed)}${didYouMean(tagValue, allowed)}` };
}

function didYouMean(value: unknown, allowed: readonly unknown[]): string {
  if (typeof value !== 'string') return '';
  const candidates = allowed.filter((item): item is string => typeof item === 'string');
  const suggestion = closestMatch(value, candidates);
  return suggestion === undefined || suggestion === value ? '' : ` (did you mean "${suggestion}"?)`;
}

// `sinks` -> `sink`: what one entry of a list is called in messages.
function itemNoun(path: ConfigPath): string {
  const last = path.at(-1);
  return typeof last === 'string' && last.endsWith('s') ? last.slice(0, -1) : 'item';
}

const typeNames: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  null: 'null',
};

function typeWords(type: unknown): string {
  const types = Array.isArray(type) ? type.map(String) : String(type).split(',');
  return types.map((name) => typeNames[name] ?? name).join(' or ');
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeAccepts(type: string | string[] | undefined, kind: string): boolean {
  if (type === undefined) return true;
  const types = Array.isArray(type) ? type : [type];
  return types.includes(kind) || (kind === 'integer' && types.includes('number'));
}
