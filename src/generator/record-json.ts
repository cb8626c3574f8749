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

/** Appends one generated record's JSON to `arena`. */
export type RecordJsonWriter = (record: Record<string, unknown>, arena: ByteArena) => void;

/** Most number texts one property remembers; past this, further values are converted each time. */
const memoLimit = 65_536;

/** Compiles the writer for records of `schema` (an object schema), `eventTimeField` as the generator's. */
export function compileRecordJson(schema: JsonSchemaObject, eventTimeField?: string): RecordJsonWriter {
  const utf8 = new TextEncoder();
  const fields = Object.entries(schema.properties ?? {}).map(([name, propertySchema]) => ({
    name,
    // `{"name":` when it is the first property written, `,"name":` after another.
    first: utf8.encode(`{${JSON.stringify(name)}:`),
    next: utf8.encode(`,${JSON.stringify(name)}:`),
    write: valueWriter(propertySchema, name === eventTimeField || propertySchema['x-event-time'] === true),
  }));
  return (record, arena) => {
    let written = 0;
    for (const field of fields) {
      const value = record[field.name];
      if (typeof value === 'string' || typeof value === 'number') {
        arena.bytes(written++ === 0 ? field.first : field.next);
        field.write(value, arena);
        continue;
      }
      // Anything else (booleans, null, arrays, objects) is rare here: JSON.stringify writes it,
      // and leaves out, as it would, a property whose value has no JSON form (undefined, a function).
      const text: string | undefined = value === undefined ? undefined : JSON.stringify(value);
      if (text === undefined) continue;
      arena.bytes(written++ === 0 ? field.first : field.next);
      arena.text(text);
    }
    if (written === 0) arena.byte(0x7b); // {
    arena.byte(0x7d); // }
  };
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
