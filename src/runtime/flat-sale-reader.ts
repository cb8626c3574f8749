/**
 * The consumer's fast path: reads the sales of a record straight from its bytes when the record
 * is plainly valid, without decoding the text, building objects, or walking them again to
 * validate. Anything out of the ordinary is left to the reference decoder (record-decoder.ts),
 * which gives every rejection its reason: this reader never rejects, it only says "not sure".
 *
 *   bytes ─► { "name": value, ... }  or  [ {...}, {...} ]
 *              │ each value: ASCII string without escapes, plain decimal number, true/false/null
 *              │ each property known, once; every required property present
 *              ▼
 *            the property's own compiled validator (the same Ajv, the same keywords)
 *              ▼
 *            key, amount, event time appended to the batch's columns
 *
 * It agrees with JSON.parse + the schema's validator by construction: a value is produced only in
 * forms whose JSON.parse result is certain (an ASCII string without escapes is its bytes; a
 * decimal of at most 15 digits without exponent is m / 10^k, both exact doubles, so the division
 * is the correctly rounded value JSON.parse gives), and each value is checked by the validator
 * compiled from its property's schema. Whole-object keywords other than `type: object`,
 * `properties`, `required` and `additionalProperties: false` are not handled: such a schema gets
 * no fast path at all. A packed record is read whole or not at all, so that its sales are counted
 * once whichever path reads them.
 */
/** A batch's sales as columns; `elements` is the index in a packed record, -1 for a single sale. */
export interface SaleColumns {
  keys: string[];
  amounts: number[];
  eventTimes: number[];
  elements: number[];
}

/**
 * Appends the record's sales to `into` and returns true, or returns false and leaves `into` as it
 * was: the record needs the reference decoder.
 */
export type FlatSaleReader = (bytes: Buffer, kafkaTimestamp: number, into: SaleColumns) => boolean;

/** Whether one property's value is valid by the property's schema. */
export type PropertyCheck = (value: unknown) => boolean;

export interface FlatSaleReaderOptions {
  /** The parsed sale JSON Schema. */
  saleSchema: object;
  groupBy: string;
  sum: string;
  /** Field with the event time; undefined -> the Kafka record time. */
  eventTime: string | undefined;
  /** Compiles one property's schema with the sale schema's Ajv (same keywords, formats and options). */
  compileProperty: (schema: unknown) => PropertyCheck;
  /** What the reference decoder does with the event-time field's value. */
  toEpochMs: (value: unknown) => number | undefined;
}

/** Keywords of a property's schema that change nothing about which values are valid. */
const annotations = new Set(['$comment', 'title', 'description', 'examples', 'default', 'deprecated', 'readOnly', 'writeOnly']);
/** Whether `keyword` of a property's schema is an annotation (the x- hints included). */
export function isAnnotation(keyword: string): boolean {
  return annotations.has(keyword) || keyword.startsWith('x-');
}
/** The root may also name its dialect and its id. */
const rootOnly = new Set(['$schema', '$id']);
const structural = new Set(['type', 'properties', 'required', 'additionalProperties']);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const NOT_SURE = -1;
/** A decimal of at most this many digits is an exact integer over an exact power of ten. */
const maxDigits = 15;
const powersOfTen = Array.from({ length: maxDigits + 1 }, (_, k) => 10 ** k);
const textCacheSlots = 4096;
const maxCachedTextLength = 64;

/** JSON whitespace: space, tab, line feed, carriage return. */
const isWhitespace = new Uint8Array(256);
for (const code of [0x20, 0x09, 0x0a, 0x0d]) isWhitespace[code] = 1;
/** Bytes that stand for themselves inside a JSON string: printable ASCII (and DEL) except `"` and `\`. */
const isPlainStringByte = new Uint8Array(256);
for (let code = 0x20; code < 0x80; code++) isPlainStringByte[code] = code === QUOTE || code === BACKSLASH ? 0 : 1;

/**
 * Compiles the fast path for a sale schema, or returns undefined when the schema is outside what
 * it handles (see the module comment); the reference decoder then reads every record.
 */
export function compileFlatSaleReader(options: FlatSaleReaderOptions): FlatSaleReader | undefined {
  const schema = options.saleSchema as Record<string, unknown>;
  for (const keyword of Object.keys(schema)) {
    if (!isAnnotation(keyword) && !rootOnly.has(keyword) && !structural.has(keyword)) return undefined;
  }
  const properties = schema['properties'];
  const required = schema['required'] ?? [];
  if (schema['type'] !== 'object' || schema['additionalProperties'] !== false) return undefined;
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties) || !Array.isArray(required)) return undefined;

  const names = Object.keys(properties);
  // Property names are compared byte for byte with the record's raw keys: only names whose JSON
  // form is their bytes (printable ASCII, no quote or backslash) can be.
  // `__proto__` is left out: it is the one name where a parsed object and a plain read could differ.
  if (names.some((name) => name === '__proto__' || ![...name].every((char) => char.charCodeAt(0) < 0x80 && isPlainStringByte[char.charCodeAt(0)] === 1))) return undefined;
  if (!required.every((name): name is string => typeof name === 'string' && names.includes(name))) return undefined;
  let validators: PropertyCheck[];
  try {
    validators = names.map((name) => options.compileProperty((properties as Record<string, unknown>)[name]));
  } catch {
    // A property schema that does not stand alone ($ref to the root, say): no fast path.
    return undefined;
  }

  const nameBytes = names.map((name) => Buffer.from(name, 'latin1'));
  const requiredIndexes = required.map((name) => names.indexOf(name));
  const groupByIndex = names.indexOf(options.groupBy);
  const sumIndex = names.indexOf(options.sum);
  const eventTimeIndex = options.eventTime === undefined ? -1 : names.indexOf(options.eventTime);
  if (groupByIndex < 0 || sumIndex < 0 || (options.eventTime !== undefined && eventTimeIndex < 0)) return undefined;
  const { toEpochMs } = options;
  // Properties that only say "a string in uuid format" (the sale id): a value of that exact
  // 36-character form is checked on its bytes, without making a string nobody reads. Any other
  // form (the urn: prefix, escapes) goes through the property's validator as usual.
  const isPlainUuid = Uint8Array.from(names, (name, p) =>
    p !== groupByIndex && p !== sumIndex && p !== eventTimeIndex && isPlainUuidSchema((properties as Record<string, unknown>)[name]) ? 1 : 0,
  );
  const values = new Array<unknown>(names.length);
  /** Per property, the object it was last seen in: a stamp instead of clearing a set per object. */
  const seenIn = new Float64Array(names.length);
  let objectStamp = 0;
  // The value being read, set by readValue (a second return value without an allocation).
  let readValueResult: unknown;

  // Record bytes are read 4 at a time through a DataView on the buffer they are a view of (a
  // fetch response holds many records): made again only when a record comes from another buffer.
  let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(8));
  let viewOf: ArrayBufferLike = view.buffer;
  /** Where the current record's byte 0 is in `view`. */
  let base = 0;

  // Each name with its closing quote as 32-bit words at fixed offsets (the last one overlapping
  // the one before when the length is not a multiple of 4), for comparing a name in a few reads.
  const quotedNameWords = names.map((name) => wordsOf(Buffer.from(`${name}"`, 'latin1')));
  // The same with the colon: `name":`, the usual form (no whitespace), after which the value starts.
  const tightNameWords = names.map((name) => wordsOf(Buffer.from(`${name}":`, 'latin1')));

  /** Whether the bytes of `words` (4 or more) are the record's bytes from `start`. */
  const wordsAt = (start: number, { offsets, values: expected }: QuotedWords): boolean => {
    const at = base + start;
    for (let k = 0; k < offsets.length; k++) if (view.getInt32(at + (offsets[k] as number)) !== expected[k]) return false;
    return true;
  };

  /** Whether property `p`'s name, then its closing quote, starts at `start` (before `end`). */
  const nameAt = (bytes: Buffer, start: number, end: number, p: number): boolean => {
    const words = quotedNameWords[p] as QuotedWords;
    if (start + words.length > end) return false;
    if (words.length >= 4) return wordsAt(start, words);
    const name = nameBytes[p] as Buffer;
    for (let i = 0; i < name.length; i++) if (bytes[start + i] !== name[i]) return false;
    return bytes[start + name.length] === QUOTE;
  };

  /** Whether `name":` of property `p` (its name, closing quote and colon) starts at `start`. */
  const tightNameAt = (start: number, end: number, p: number): boolean => {
    const words = tightNameWords[p] as QuotedWords;
    return words.length >= 4 && start + words.length <= end && wordsAt(start, words);
  };

  /** Index of the property whose name is bytes [start, end), or -1. */
  const propertyAt = (bytes: Buffer, start: number, end: number): number => {
    const length = end - start;
    for (let p = 0; p < nameBytes.length; p++) {
      const name = nameBytes[p] as Buffer;
      if (name.length !== length) continue;
      let i = 0;
      while (i < length && bytes[start + i] === name[i]) i++;
      if (i === length) return p;
    }
    return -1;
  };

  // The texts read lately, by hash of their bytes: a customer's name comes back again and again,
  // and handing the engine the same string each time saves making it and hashing it in the
  // engine's key map. A miss costs one comparison; the slots only ever hold short texts.
  // Each slot keeps its text's bytes too, compared 4 at a time.
  const textCache = new Array<string>(textCacheSlots).fill('');
  const cachedLengths = new Int32Array(textCacheSlots).fill(-1);
  const cachedBytes = new Uint8Array(textCacheSlots * maxCachedTextLength);
  const cachedView = new DataView(cachedBytes.buffer);
  /** The text of plain-ASCII bytes [start, end) whose hash is `hash`. */
  const textOf = (bytes: Buffer, start: number, end: number, hash: number): string => {
    const length = end - start;
    if (length > maxCachedTextLength) return bytes.toString('latin1', start, end);
    const slot = hash & (textCacheSlots - 1);
    const slotStart = slot * maxCachedTextLength;
    if (cachedLengths[slot] === length) {
      let i = 0;
      for (; i + 4 <= length; i += 4) if (cachedView.getInt32(slotStart + i) !== view.getInt32(base + start + i)) break;
      while (i < length && cachedBytes[slotStart + i] === bytes[start + i]) i++;
      if (i === length) return textCache[slot] as string;
    }
    const text = bytes.toString('latin1', start, end);
    textCache[slot] = text;
    cachedLengths[slot] = length;
    cachedBytes.set(bytes.subarray(start, end), slotStart);
    return text;
  };

  /** Reads a string, number or literal at `at` into readValueResult; returns the position after it. */
  const readValue = (bytes: Buffer, at: number, end: number): number => {
    const first = bytes[at];
    if (first === QUOTE) {
      const start = at + 1;
      let i = start;
      let hash = 0;
      while (i < end) {
        const code = bytes[i] as number;
        if (isPlainStringByte[code] !== 1) break;
        hash = (Math.imul(hash, 31) + code) | 0;
        i++;
      }
      if (i >= end || bytes[i] !== QUOTE) return NOT_SURE;
      readValueResult = textOf(bytes, start, i, hash);
      return i + 1;
    }
    if (first === MINUS || (first !== undefined && first >= ZERO && first <= NINE)) return readNumber(bytes, at, end);
    if (first === 0x74 && bytes[at + 1] === 0x72 && bytes[at + 2] === 0x75 && bytes[at + 3] === 0x65) {
      readValueResult = true;
      return at + 4;
    }
    if (first === 0x66 && bytes[at + 1] === 0x61 && bytes[at + 2] === 0x6c && bytes[at + 3] === 0x73 && bytes[at + 4] === 0x65) {
      readValueResult = false;
      return at + 5;
    }
    if (first === 0x6e && bytes[at + 1] === 0x75 && bytes[at + 2] === 0x6c && bytes[at + 3] === 0x6c) {
      readValueResult = null;
      return at + 4;
    }
    return NOT_SURE;
  };

  /** `-?(0|[1-9][0-9]*)(\.[0-9]+)?` of at most 15 digits; an exponent or more digits is not sure. */
  const readNumber = (bytes: Buffer, at: number, end: number): number => {
    const negative = bytes[at] === MINUS;
    let i = negative ? at + 1 : at;
    const firstDigit = i;
    let mantissa = 0;
    let digits = 0;
    while (i < end) {
      const code = bytes[i] as number;
      if (code < ZERO || code > NINE) break;
      mantissa = mantissa * 10 + (code - ZERO);
      digits++;
      i++;
    }
    if (digits === 0 || (digits > 1 && bytes[firstDigit] === ZERO)) return NOT_SURE;
    let fractionDigits = 0;
    if (bytes[i] === DOT) {
      i++;
      while (i < end) {
        const code = bytes[i] as number;
        if (code < ZERO || code > NINE) break;
        mantissa = mantissa * 10 + (code - ZERO);
        fractionDigits++;
        i++;
      }
      if (fractionDigits === 0) return NOT_SURE;
    }
    if (digits + fractionDigits > maxDigits) return NOT_SURE;
    const next = bytes[i];
    if (next === 0x65 || next === 0x45) return NOT_SURE;
    const magnitude = fractionDigits === 0 ? mantissa : mantissa / (powersOfTen[fractionDigits] as number);
    readValueResult = negative ? -magnitude : magnitude;
    return i;
  };

  const skipWhitespace = (bytes: Buffer, at: number, end: number): number => {
    while (at < end && isWhitespace[bytes[at] as number] === 1) at++;
    return at;
  };

  /** Reads one sale object at `at` and appends it; returns the position after it, or NOT_SURE. */
  const readSale = (bytes: Buffer, at: number, end: number, kafkaTimestamp: number, element: number, into: SaleColumns): number => {
    if (bytes[at] !== OPEN_BRACE) return NOT_SURE;
    const stamp = ++objectStamp;
    let expected = 0;
    at = skipWhitespace(bytes, at + 1, end);
    if (bytes[at] !== CLOSE_BRACE) {
      for (;;) {
        if (bytes[at] !== QUOTE) return NOT_SURE;
        const nameStart = at + 1;
        let property: number;
        // Records usually list the properties in the schema's order, without whitespace: try
        // `next":` first, in a few word comparisons.
        if (expected < nameBytes.length && tightNameAt(nameStart, end, expected)) {
          property = expected;
          at = nameStart + (tightNameWords[property] as QuotedWords).length;
        } else {
          property = expected < nameBytes.length && nameAt(bytes, nameStart, end, expected) ? expected : -1;
          let i = property < 0 ? nameStart : nameStart + (nameBytes[property] as Buffer).length;
          if (property < 0) {
            while (i < end && isPlainStringByte[bytes[i] as number] === 1) i++;
            if (bytes[i] !== QUOTE) return NOT_SURE;
            property = propertyAt(bytes, nameStart, i);
          }
          if (property < 0) return NOT_SURE;
          at = skipWhitespace(bytes, i + 1, end);
          if (bytes[at] !== COLON) return NOT_SURE;
          at = skipWhitespace(bytes, at + 1, end);
        }
        expected = property + 1;
        // An unknown property (additionalProperties: false) or a repeated one: the reference
        // decoder says what is wrong, or which of the repeats counts.
        if (seenIn[property] === stamp) return NOT_SURE;
        seenIn[property] = stamp;
        const afterUuid = isPlainUuid[property] === 1 ? uuidEndAt(bytes, view, base, at, end) : NOT_SURE;
        if (afterUuid !== NOT_SURE) {
          // A plain uuid property whose value is a plain uuid: valid, and never needed as text.
          at = afterUuid;
        } else {
          at = readValue(bytes, at, end);
          if (at === NOT_SURE) return NOT_SURE;
          const value = readValueResult;
          if (!(validators[property] as PropertyCheck)(value)) return NOT_SURE;
          values[property] = value;
        }
        let separator = bytes[at];
        if (separator !== COMMA && separator !== CLOSE_BRACE) {
          at = skipWhitespace(bytes, at, end);
          separator = bytes[at];
        }
        if (separator === CLOSE_BRACE) break;
        if (separator !== COMMA) return NOT_SURE;
        at++;
        if (bytes[at] !== QUOTE) at = skipWhitespace(bytes, at, end);
      }
    }
    for (const index of requiredIndexes) if (seenIn[index] !== stamp) return NOT_SURE;
    // A sale without its key, amount or event time: the reference decoder decides what it means.
    if (seenIn[groupByIndex] !== stamp || seenIn[sumIndex] !== stamp) return NOT_SURE;
    let eventTime = kafkaTimestamp;
    if (eventTimeIndex >= 0) {
      const time = seenIn[eventTimeIndex] === stamp ? toEpochMs(values[eventTimeIndex]) : undefined;
      if (time === undefined) return NOT_SURE;
      eventTime = time;
    }
    into.keys.push(String(values[groupByIndex]));
    into.amounts.push(Number(values[sumIndex]));
    into.eventTimes.push(eventTime);
    into.elements.push(element);
    return at + 1;
  };

  const readRecord = (bytes: Buffer, kafkaTimestamp: number, into: SaleColumns): boolean => {
    const end = bytes.length;
    let at = skipWhitespace(bytes, 0, end);
    if (bytes[at] === OPEN_BRACKET) {
      at = skipWhitespace(bytes, at + 1, end);
      // An empty array is a rejection; the reference decoder words it.
      if (bytes[at] === CLOSE_BRACKET) return false;
      for (let element = 0; ; element++) {
        at = readSale(bytes, at, end, kafkaTimestamp, element, into);
        if (at === NOT_SURE) return false;
        at = skipWhitespace(bytes, at, end);
        const separator = bytes[at];
        if (separator === CLOSE_BRACKET) break;
        if (separator !== COMMA) return false;
        at = skipWhitespace(bytes, at + 1, end);
      }
      at++;
    } else {
      at = readSale(bytes, at, end, kafkaTimestamp, -1, into);
      if (at === NOT_SURE) return false;
    }
    return skipWhitespace(bytes, at, end) === end;
  };

  return (bytes, kafkaTimestamp, into) => {
    if (bytes.buffer !== viewOf) {
      viewOf = bytes.buffer;
      view = new DataView(viewOf);
    }
    base = bytes.byteOffset;
    const before = into.keys.length;
    if (readRecord(bytes, kafkaTimestamp, into)) return true;
    // Not sure after all: undo what this record appended, so the reference decoder starts clean.
    into.keys.length = before;
    into.amounts.length = before;
    into.eventTimes.length = before;
    into.elements.length = before;
    return false;
  };
}

/** `{ type: 'string', format: 'uuid' }` and annotations only: nothing else decides validity. */
function isPlainUuidSchema(schema: unknown): boolean {
  if (typeof schema !== 'object' || schema === null) return false;
  const keywords = schema as Record<string, unknown>;
  if (keywords['type'] !== 'string' || keywords['format'] !== 'uuid') return false;
  return Object.keys(keywords).every((keyword) => keyword === 'type' || keyword === 'format' || isAnnotation(keyword));
}

/** A name and its closing quote as big-endian 32-bit words and their offsets; `length` in bytes. */
interface QuotedWords {
  length: number;
  offsets: Int32Array;
  values: Int32Array;
}

function wordsOf(bytes: Buffer): QuotedWords {
  const offsets: number[] = [];
  for (let at = 0; at + 4 <= bytes.length; at += 4) offsets.push(at);
  if (bytes.length >= 4 && bytes.length % 4 !== 0) offsets.push(bytes.length - 4);
  return { length: bytes.length, offsets: Int32Array.from(offsets), values: Int32Array.from(offsets, (at) => bytes.readInt32BE(at)) };
}

/**
 * Whether the 4 bytes of `word` (big-endian, as read) are all hex digits (0-9, a-f, A-F), tested
 * on the 4 at once: for 7-bit bytes x, x + (0x80 - lo) has its top bit set exactly when x >= lo,
 * and x + (0x7f - hi) exactly when x > hi; no byte carries into the next.
 */
function isHexWord(word: number): boolean {
  if ((word & 0x80808080) !== 0) return false;
  const digit = (word + 0x50505050) & ~(word + 0x46464646);
  // Setting bit 5 turns A-F into a-f, and brings no other byte into a-f.
  const lower = word | 0x20202020;
  const letter = (lower + 0x1f1f1f1f) & ~(lower + 0x19191919);
  return ((digit | letter) & 0x80808080) === (0x80808080 | 0);
}

/**
 * The position after a quoted 8-4-4-4-12 hex uuid starting at `at` (the opening quote), or
 * NOT_SURE: exactly the 36-character strings the `uuid` format accepts, as bytes. Its 32 digits
 * are 8 words of `view` (the record's byte 0 at `base`).
 */
function uuidEndAt(bytes: Buffer, view: DataView, base: number, at: number, end: number): number {
  const text = at + 1;
  if (text + 37 > end || bytes[at] !== QUOTE || bytes[text + 36] !== QUOTE) return NOT_SURE;
  if (bytes[text + 8] !== MINUS || bytes[text + 13] !== MINUS || bytes[text + 18] !== MINUS || bytes[text + 23] !== MINUS) return NOT_SURE;
  const from = base + text;
  const hex =
    isHexWord(view.getInt32(from)) &&
    isHexWord(view.getInt32(from + 4)) &&
    isHexWord(view.getInt32(from + 9)) &&
    isHexWord(view.getInt32(from + 14)) &&
    isHexWord(view.getInt32(from + 19)) &&
    isHexWord(view.getInt32(from + 24)) &&
    isHexWord(view.getInt32(from + 28)) &&
    isHexWord(view.getInt32(from + 32));
  return hex ? text + 37 : NOT_SURE;
}
