/**
 * Writes a generated record's JSON straight into a ByteArena: exactly the bytes of
 * JSON.stringify(record) in UTF-8, at a fraction of the cost of stringifying and then encoding.
 * The producer spent more time writing sales as JSON than making them. Most of JSON.stringify's
 * time went on numbers that are not small integers, which V8 converts to text from scratch (the
 * 13-digit epoch-ms event time alone was ~40% of a sale), and the string it returns had to be
 * encoded again. Here each top-level property gets a writer chosen from its schema:
 *
 *   event-time field  -> the text of the last value, reused while the value repeats (a chunk of
 *                        sales shares a few event times)
 *   number / integer  -> small integers directly; other values through a bounded memo (a
 *                        `multipleOf` 0.01 price has 10,001 possible texts)
 *   string            -> copied between quotes unless it holds a character JSON escapes
 *   anything else     -> JSON.stringify
 *
 * The contract is narrower than JSON.stringify's: the record must have been made by
 * createRecordGenerator from the same schema, so its properties are the schema's, in the schema's
 * order (the generator adds them in that order; optional ones may be absent). A property that is
 * not in the schema would be left out, which is why the writer is meant for generated records only.
 */
import { type ByteArena } from './byte-arena.ts';
import { effectiveType, type JsonSchemaObject } from './json-schema.ts';
import { type RecordGenerator } from './record-generator.ts';

/** Appends one generated record's JSON to `arena`. */
export type RecordJsonWriter = (record: Record<string, unknown>, arena: ByteArena) => void;

/** Most number texts one property remembers; past this, further values are converted each time. */
const memoLimit = 65_536;

/** Compiles the writer for records of `schema` (an object schema), `eventTimeField` as the generator's. */
export function compileRecordJson(schema: JsonSchemaObject, eventTimeField?: string): RecordJsonWriter {
  const fields = propertyWriters(schema, eventTimeField);
  return (record, arena) => {
    let written = 0;
    for (const field of fields) {
      if (writeProperty(field, record[field.name], written, arena)) written++;
    }
    if (written === 0) arena.byte(0x7b); // {
    arena.byte(0x7d); // }
  };
}

/**
 * Makes the next record of `generator` and writes its JSON in one pass, without building the
 * record: the same draws as `generator.next(eventTime)` and the same bytes as compileRecordJson's
 * writer would write for it, minus the record object and the UUID strings (writing a UUID
 * straight from its draws; making its string was ~17% of the producer's generator thread).
 * Returns the value of property `keyField` (undefined when absent). Undefined when the generator
 * has no plan of its properties, or `keyField` is not one of them.
 */
export type GeneratingJsonWriter = (eventTime: number, arena: ByteArena) => unknown;

export function compileGeneratingRecordJson(schema: JsonSchemaObject, eventTimeField: string | undefined, generator: RecordGenerator, keyField: string): GeneratingJsonWriter | undefined {
  const { plan } = generator;
  if (plan === undefined) return undefined;
  const writers = new Map(propertyWriters(schema, eventTimeField).map((writer) => [writer.name, writer]));
  // `__proto__` is the one name where a built record (the assignment sets the prototype) and a
  // written one would differ.
  if (!plan.fields.some((field) => field.name === keyField) || plan.fields.some((field) => field.name === '__proto__' || !writers.has(field.name))) return undefined;
  const fields = plan.fields.map((field) => ({ ...field, writer: writers.get(field.name) as PropertyWriter, isKey: field.name === keyField }));
  return (eventTime, arena) => {
    generator.beginRecord();
    let written = 0;
    let key: unknown;
    for (const field of fields) {
      if (field.optional && !plan.optionalPresent()) continue;
      if (field.uuidFrom !== undefined && !field.isKey) {
        arena.bytes(written++ === 0 ? field.writer.first : field.writer.next);
        arena.randomUuid(field.uuidFrom);
        continue;
      }
      const value = field.generate(eventTime);
      if (field.isKey) key = value;
      if (writeProperty(field.writer, value, written, arena)) written++;
    }
    if (written === 0) arena.byte(0x7b); // {
    arena.byte(0x7d); // }
    return key;
  };
}

/** How one property is written: its name's bytes (first or after another) and its value writer. */
interface PropertyWriter {
  name: string;
  /** `{"name":` when it is the first property written. */
  first: Uint8Array;
  /** `,"name":` after another. */
  next: Uint8Array;
  write: ValueWriter;
}

function propertyWriters(schema: JsonSchemaObject, eventTimeField: string | undefined): PropertyWriter[] {
  const utf8 = new TextEncoder();
  return Object.entries(schema.properties ?? {}).map(([name, propertySchema]) => ({
    name,
    first: utf8.encode(`{${JSON.stringify(name)}:`),
    next: utf8.encode(`,${JSON.stringify(name)}:`),
    write: valueWriter(propertySchema, name === eventTimeField || propertySchema['x-event-time'] === true),
  }));
}

/** Writes one property (`written` properties before it); false when its value has no JSON form and it is left out. */
function writeProperty(field: PropertyWriter, value: unknown, written: number, arena: ByteArena): boolean {
  if (typeof value === 'string' || typeof value === 'number') {
    arena.bytes(written === 0 ? field.first : field.next);
    field.write(value, arena);
    return true;
  }
  // Anything else (booleans, null, arrays, objects) is rare here: JSON.stringify writes it,
  // and leaves out, as it would, a property whose value has no JSON form (undefined, a function).
  const text: string | undefined = value === undefined ? undefined : JSON.stringify(value);
  if (text === undefined) return false;
  arena.bytes(written === 0 ? field.first : field.next);
  arena.text(text);
  return true;
}

/** Writes a string or number value. */
type ValueWriter = (value: string | number, arena: ByteArena) => void;

function valueWriter(schema: JsonSchemaObject, isEventTime: boolean): ValueWriter {
  const type = effectiveType(schema, '');
  const text = type !== 'integer' && type !== 'number' ? plainNumberText : isEventTime ? lastValueNumberText() : memoNumberText();
  // Strings are copied as they are when JSON needs no escape in them (ByteArena.jsonString).
  return (value, arena) => {
    if (typeof value === 'string') arena.jsonString(value);
    else arena.text(text(value));
  };
}

/** A number as JSON.stringify writes it. Small integers have a cached text in V8; everything else (and non-finite: null) is spelled out. */
function plainNumberText(value: number): string {
  if ((value | 0) === value) return `${value}`;
  return Number.isFinite(value) ? String(value) : 'null';
}

/** For the event time: consecutive records mostly repeat it, so remembering one value is enough. */
function lastValueNumberText(): (value: number) => string {
  let lastValue = Number.NaN;
  let lastText = '';
  return (value) => {
    if (value !== lastValue) {
      lastText = plainNumberText(value);
      lastValue = value;
    }
    return lastText;
  };
}

/** For other numbers: a memo of up to `memoLimit` texts; values seen once more than that are spelled out. */
function memoNumberText(): (value: number) => string {
  const texts = new Map<number, string>();
  return (value) => {
    if ((value | 0) === value) return `${value}`;
    let text = texts.get(value);
    if (text === undefined) {
      text = plainNumberText(value);
      if (texts.size < memoLimit) texts.set(value, text);
    }
    return text;
  };
}
