/**
 * What a compiled value generator draws, for the writers that write a record without building it
 * (record-json.ts). A generator registered here promises that its value is exactly the one the
 * description gives, from the same draws: the writer can then write a value's JSON from a table
 * of texts made once, instead of making the value and converting it to text every time.
 *
 *   uuid        randomUuid(random): written from its four draws, no string
 *   choice      values[floor(random() * values.length)]: an enum, a bounded integer, a decimal
 *               with multipleOf (the generator is built from the table itself, see choiceOf)
 *   pooled      values[index()]: a customer pool, the index drawn once per record
 *   event-time  the record's event time, a number
 *
 * Generators that are not registered are written the general way (make the value, then its JSON).
 */
import { type Random } from './random.ts';

/** Produces one value; receives the record's event time (epoch ms) for time-derived fields. */
export type ValueGenerator = (eventTime: number) => unknown;

export type ValueSource =
  | { kind: 'uuid'; random: Random }
  | { kind: 'choice'; random: Random; values: readonly unknown[] }
  | { kind: 'pooled'; values: readonly unknown[]; index: () => number }
  | { kind: 'event-time' };

const sources = new WeakMap<ValueGenerator, ValueSource>();

/** Registers what `generate` draws; returns `generate`. */
export function describedAs<T extends ValueGenerator>(generate: T, source: ValueSource): T {
  sources.set(generate, source);
  return generate;
}

/** What `generate` draws, when it was registered. */
export function valueSourceOf(generate: ValueGenerator): ValueSource | undefined {
  return sources.get(generate);
}

/**
 * A uniform choice among `values`: one draw, `values[floor(random() * length)]`, which is also
 * what randomInt(random, 0, length - 1) draws. Bounded numbers with few possible values are made
 * this way, so the writer can keep one text per value.
 */
export function choiceOf(values: readonly unknown[], random: Random): ValueGenerator {
  const count = values.length;
  return describedAs(() => values[Math.floor(random() * count)], { kind: 'choice', random, values });
}
