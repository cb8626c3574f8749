/**
 * A growing byte buffer that text is written into directly: the producer writes each sale's JSON
 * into one, instead of building a string per sale and encoding it later. Strings made by joining
 * pieces are trees in V8; turning one into bytes first copies it into a flat string, and when a
 * chunk of them was kept until sent, the garbage collector copied them too.
 *
 * Plain ASCII is copied in a JavaScript loop (no call into C++ per piece); text with anything
 * else goes through Buffer's UTF-8 encoder.
 */
import { type Random, writeRandomUuid } from './random.ts';

/** Bytes to copy from, with a view on them for reading 32 bits at a time. */
export interface ByteSource {
  readonly bytes: Uint8Array;
  readonly view: DataView;
}

/** A ByteSource of `bytes`. */
export function byteSource(bytes: Uint8Array): ByteSource {
  return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

export class ByteArena implements ByteSource {
  private buffer: Buffer;
  /** The same bytes, for writing 16 or 32 bits at a time. */
  private dataView: DataView;
  /** Bytes written so far. */
  used = 0;

  /** `capacity` is a first guess; the arena grows as needed. */
  constructor(capacity: number) {
    this.buffer = Buffer.allocUnsafeSlow(Math.max(64, capacity));
    this.dataView = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.length);
  }

  /** What was written is bytes [0, used) of these (valid until the arena next grows). */
  get bytes(): Uint8Array {
    return this.buffer;
  }

  get view(): DataView {
    return this.dataView;
  }

  /** Makes room for `bytes` more bytes. */
  reserve(bytes: number): void {
    if (this.buffer.length - this.used >= bytes) return;
    const larger = Buffer.allocUnsafeSlow(Math.max(this.buffer.length * 2, this.used + bytes));
    this.buffer.copy(larger, 0, 0, this.used);
    this.buffer = larger;
    this.dataView = new DataView(larger.buffer, larger.byteOffset, larger.length);
  }

  /** Forgets what was written: the arena is reused from its start. */
  reset(): void {
    this.used = 0;
  }

  /** A quoted UUID from `random`, the one randomUuid would make, without making its string. */
  randomUuid(random: Random): void {
    this.reserve(38);
    const start = this.used;
    this.buffer[start] = 0x22; // "
    writeRandomUuid(random, this.dataView, start + 1);
    this.buffer[start + 37] = 0x22;
    this.used = start + 38;
  }

  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.used++] = value;
  }

  /** Raw bytes, e.g. a pre-encoded constant. */
  rawBytes(value: Uint8Array): void {
    this.reserve(value.length);
    this.buffer.set(value, this.used);
    this.used += value.length;
  }

  /**
   * Bytes [start, end) of `source`, copied 4 at a time in a loop: for the few bytes of a property
   * name or a value's text this costs less than TypedArray.set, which needs a view to copy from.
   */
  copy(source: ByteSource, start: number, end: number): void {
    this.reserve(end - start);
    const { bytes, view } = source;
    const buffer = this.buffer;
    const target = this.dataView;
    let at = this.used;
    let i = start;
    for (; i + 4 <= end; i += 4, at += 4) target.setUint32(at, view.getUint32(i));
    for (; i < end; i++) buffer[at++] = bytes[i] as number;
    this.used = at;
  }

  /** `text` as UTF-8 (lone surrogates become U+FFFD, as Buffer writes them). */
  text(text: string): void {
    const length = text.length;
    // A UTF-16 unit takes at most 3 bytes in UTF-8.
    this.reserve(length * 3);
    const buffer = this.buffer;
    const start = this.used;
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) {
        this.used = start + buffer.write(text, start, 'utf8');
        return;
      }
      buffer[start + i] = code;
    }
    this.used = start + length;
  }

  /**
   * `text` as a JSON string literal, exactly as JSON.stringify writes it: ASCII without quote,
   * backslash or controls is copied between quotes; anything else is left to JSON.stringify.
   */
  jsonString(text: string): void {
    const length = text.length;
    this.reserve(length + 2);
    const buffer = this.buffer;
    const start = this.used;
    buffer[start] = 0x22;
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code < 0x20 || code >= 0x80 || code === 0x22 || code === 0x5c) {
        this.text(JSON.stringify(text));
        return;
      }
      buffer[start + 1 + i] = code;
    }
    buffer[start + 1 + length] = 0x22;
    this.used = start + length + 2;
  }

  /** The bytes written, on the arena's own ArrayBuffer (transferable to another thread). */
  written(): Buffer {
    return this.buffer.subarray(0, this.used);
  }
}
