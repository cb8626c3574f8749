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
import { byteSource, type ByteArena, type ByteSource } from './byte-arena.ts';
import { effectiveType, type JsonSchemaObject } from './json-schema.ts';
import { type Random } from './random.ts';
import { type RecordGenerator } from './record-generator.ts';
import { type GeneratedField } from './value-generators.ts';
import { valueSourceOf, type ValueGenerator } from './value-sources.ts';

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
 * Makes records of a generator and writes their JSON in one pass, without building them: the
 * same draws as `generator.next(eventTime)` and the same bytes as compileRecordJson's writer would
 * write for the record, minus the record object, its strings and its numbers' texts. A property
 * whose generator says what it draws (value-sources.ts) is written from the draw: a UUID from its
 * four draws (making its string was ~17% of the producer's generator thread), a choice or a
 * pooled value from a table of JSON texts made once (one text per price, quantity or customer
 * name, instead of a memo lookup and a conversion per sale). Any other property is made, then
 * written as compileRecordJson would.
 */
export interface GeneratingJsonWriter {
  /**
   * True when the key property is pooled and required: then begin() returns the key before anything is
   * written, so a packed sale can go straight into its partition's message.
   */
  readonly keyAtBegin: boolean;
  /** Starts the next record (its customer draw); returns the key when keyAtBegin, else undefined. */
  begin(): unknown;
  /** Writes the record begun with begin(); returns the value of the key property (undefined when absent). */
  write(eventTime: number, arena: ByteArena): unknown;
}

/**
 * The one-pass writer of `generator`'s records, `keyField` being the property whose value it
 * returns. Undefined when the generator has no plan of its properties, or `keyField` is not one
 * of them.
 */
export function compileGeneratingRecordJson(schema: JsonSchemaObject, eventTimeField: string | undefined, generator: RecordGenerator, keyField: string): GeneratingJsonWriter | undefined {
  const { plan } = generator;
  if (plan === undefined) return undefined;
  const writers = new Map(propertyWriters(schema, eventTimeField).map((writer) => [writer.name, writer]));
  // `__proto__` is the one name where a built record (the assignment sets the prototype) and a
  // written one would differ.
  if (!plan.fields.some((field) => field.name === keyField) || plan.fields.some((field) => field.name === '__proto__' || !writers.has(field.name))) return undefined;
  const fields = plan.fields.map((field) => drawnField(field, writers.get(field.name) as PropertyWriter, field.name === keyField));
  const keyProperty = fields.find((field) => field.isKey) as DrawnField;
  // An optional key may yet be absent: only a required one is known at the start.
  const keyAtBegin = keyProperty.kind === pooledKind && !keyProperty.optional;
  const { optionalPresent } = plan;
  return {
    keyAtBegin,
    begin() {
      generator.beginRecord();
      return keyAtBegin ? (keyProperty.values as readonly unknown[])[(keyProperty.index as () => number)()] : undefined;
    },
    write(eventTime, arena) {
      let written = 0;
      let key: unknown;
      for (const field of fields) {
        if (field.optional && !optionalPresent()) continue;
        const kind = field.kind;
        if (kind === otherKind) {
          const value = field.generate(eventTime);
          if (field.isKey) key = value;
          if (writeProperty(field.writer, value, written, arena)) written++;
          continue;
        }
        // `{` before the first property, `,` before any other; then `"name":value` in one copy.
        arena.byte(written++ === 0 ? 0x7b : 0x2c);
        if (kind === uuidKind) {
          arena.copy(field.writer.quotedName, 0, field.writer.quotedName.bytes.length);
          arena.randomUuid(field.random as Random);
        } else if (kind === eventTimeKind) {
          (field.eventTimeText as EventTimeText).write(eventTime, arena);
          if (field.isKey) key = eventTime;
        } else {
          // A choice draws its index as value-sources.ts's choiceOf does; a pooled value's index is the record's customer.
          const index = kind === choiceKind ? Math.floor((field.random as Random)() * field.count) : (field.index as () => number)();
          (field.texts as ValueTexts).write(index, arena);
          if (field.isKey) key = (field.values as readonly unknown[])[index];
        }
      }
      if (written === 0) arena.byte(0x7b); // {
      arena.byte(0x7d); // }
      return key;
    },
  };
}

const otherKind = 0;
const uuidKind = 1;
const choiceKind = 2;
const pooledKind = 3;
const eventTimeKind = 4;

/** One property of the one-pass writer: how its value is drawn and written (one object shape for all kinds). */
interface DrawnField {
  kind: number;
  optional: boolean;
  isKey: boolean;
  writer: PropertyWriter;
  generate: ValueGenerator;
  random: Random | undefined;
  count: number;
  values: readonly unknown[] | undefined;
  index: (() => number) | undefined;
  texts: ValueTexts | undefined;
  eventTimeText: EventTimeText | undefined;
}

function drawnField(field: GeneratedField, writer: PropertyWriter, isKey: boolean): DrawnField {
  const drawn: DrawnField = { kind: otherKind, optional: field.optional, isKey, writer, generate: field.generate, random: undefined, count: 0, values: undefined, index: undefined, texts: undefined, eventTimeText: undefined };
  const source = valueSourceOf(field.generate);
  switch (source?.kind) {
    case 'uuid':
      // A UUID key is made as a string anyway, to be returned: the general way.
      return isKey ? drawn : { ...drawn, kind: uuidKind, random: source.random };
    case 'event-time':
      return { ...drawn, kind: eventTimeKind, eventTimeText: new EventTimeText(writer.quotedName) };
    case 'choice':
      return hasPlainTexts(source.values) ? { ...drawn, kind: choiceKind, random: source.random, count: source.values.length, values: source.values, texts: new ValueTexts(writer.quotedName, source.values) } : drawn;
    case 'pooled':
      return hasPlainTexts(source.values) ? { ...drawn, kind: pooledKind, index: source.index, values: source.values, texts: new ValueTexts(writer.quotedName, source.values) } : drawn;
    default:
      return drawn;
  }
}

/** True when every value's text is JSON.stringify's and writeProperty writes it (no value it would leave out). */
function hasPlainTexts(values: readonly unknown[]): boolean {
  return values.every((value) => value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean');
}

/**
 * A property's `"name":value` texts for a table of values, as UTF-8, each made the first time its
 * value is written (a pool of a million customers is mostly never drawn in a short run).
 */
class ValueTexts implements ByteSource {
  bytes = new Uint8Array(4096);
  view = new DataView(this.bytes.buffer);
  private used = 0;
  /** Where value i's text starts in `bytes`; -1 until it is made. */
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;

  constructor(
    private readonly quotedName: ByteSource,
    private readonly values: readonly unknown[],
  ) {
    this.starts = new Int32Array(values.length).fill(-1);
    this.ends = new Int32Array(values.length);
  }

  write(index: number, arena: ByteArena): void {
    let start = this.starts[index] as number;
    if (start < 0) start = this.make(index);
    arena.copy(this, start, this.ends[index] as number);
  }

  private make(index: number): number {
    const text = Buffer.concat([this.quotedName.bytes, Buffer.from(JSON.stringify(this.values[index]), 'utf8')]);
    if (this.used + text.length > this.bytes.length) {
      const larger = new Uint8Array(Math.max(this.bytes.length * 2, this.used + text.length));
      larger.set(this.bytes.subarray(0, this.used));
      this.bytes = larger;
      this.view = new DataView(larger.buffer);
    }
    this.bytes.set(text, this.used);
    const start = this.used;
    this.starts[index] = start;
    this.used += text.length;
    this.ends[index] = this.used;
    return start;
  }
}

/** The event time's `"name":value`: consecutive records mostly repeat it, so the last one is kept as bytes. */
class EventTimeText implements ByteSource {
  private lastValue = Number.NaN;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  private readonly nameLength: number;
  private length: number;

  constructor(quotedName: ByteSource) {
    // A number's text is ASCII and at most 25 characters ("-1.2345678901234567e-300").
    this.nameLength = quotedName.bytes.length;
    this.bytes = new Uint8Array(this.nameLength + 32);
    this.view = new DataView(this.bytes.buffer);
    this.bytes.set(quotedName.bytes);
    this.length = this.nameLength;
  }

  write(value: number, arena: ByteArena): void {
    if (value !== this.lastValue) {
      const text = plainNumberText(value);
      const at = this.nameLength;
      for (let i = 0; i < text.length; i++) this.bytes[at + i] = text.charCodeAt(i);
      this.length = at + text.length;
      this.lastValue = value;
    }
    arena.copy(this, 0, this.length);
  }
}

/** How one property is written: its name's bytes (first or after another) and its value writer. */
interface PropertyWriter {
  name: string;
  /** `"name":` alone. */
  quotedName: ByteSource;
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
    quotedName: byteSource(utf8.encode(`${JSON.stringify(name)}:`)),
    first: utf8.encode(`{${JSON.stringify(name)}:`),
    next: utf8.encode(`,${JSON.stringify(name)}:`),
    write: valueWriter(propertySchema, name === eventTimeField || propertySchema['x-event-time'] === true),
  }));
}

/** Writes one property (`written` properties before it); false when its value has no JSON form and it is left out. */
function writeProperty(field: PropertyWriter, value: unknown, written: number, arena: ByteArena): boolean {
  if (typeof value === 'string' || typeof value === 'number') {
    arena.rawBytes(written === 0 ? field.first : field.next);
    field.write(value, arena);
    return true;
  }
  // Anything else (booleans, null, arrays, objects) is rare here: JSON.stringify writes it,
  // and leaves out, as it would, a property whose value has no JSON form (undefined, a function).
  const text: string | undefined = value === undefined ? undefined : JSON.stringify(value);
  if (text === undefined) return false;
  arena.rawBytes(written === 0 ? field.first : field.next);
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
