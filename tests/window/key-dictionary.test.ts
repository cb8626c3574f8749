/**
 * The key dictionary on its own: keys of any code units, forced hash collisions, deletion by
 * backward shift, table growth and re-encoding, arena reuse and compaction under churn, and a
 * property test against a Map.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { KeyDictionary, type KeyDictionaryOptions } from '../../src/window/key-dictionary.ts';
import { hashWords, packKey, unpackUnits, wordCount } from '../../src/window/key-hash.ts';

/** Keys that differ in the ways packing could blur: length vs zero padding, high bytes, surrogates. */
const oddKeys = [
  '', 'a', 'ab', 'ab\u0000', 'ab\u0000\u0000', 'abc', 'abcd', 'abcde', '\u0000', '\u0000\u0000',
  'é', 'ÿÿÿÿ', 'ž', 'A', '\u0141', '\u0100', '\u0100\u0000', 'ĀĀ', 'x\u0100y',
  '\ud83d\ude00', '\ud800', '\udc00', 'a\ud800b', '\uffff', 'customer-0000042', 'Kunde-Ø-0042', '顧客-0042',
];

/** Stores `keys` under ids 0, 1, ... */
function filled(keys: readonly string[], options: KeyDictionaryOptions = {}): KeyDictionary {
  const dictionary = new KeyDictionary(keys.length, options);
  keys.forEach((key, id) => {
    assert.equal(dictionary.lookup(key), -1, `${JSON.stringify(key)} is new`);
    dictionary.insert(key, id);
  });
  return dictionary;
}

describe('key packing', () => {
  test('packKey() and unpackUnits() round-trip any code units, and hashWords() depends on the length', () => {
    const words = new Int32Array(64);
    const hashes = new Set<number>();
    for (const key of oddKeys) {
      const size = packKey(key, words);
      assert.equal(size >>> 1, key.length);
      const wide = Array.from({ length: key.length }, (_, i) => key.charCodeAt(i)).some((unit) => unit > 0xff);
      assert.equal(size & 1, wide ? 1 : 0, JSON.stringify(key));
      const units: number[] = [];
      unpackUnits(words, 0, size, 0, key.length, units);
      assert.equal(String.fromCharCode(...units), key);
      hashes.add(hashWords(words, 0, size));
    }
    assert.equal(hashes.size, oddKeys.length, 'no two of the odd keys hash alike');
  });

  test('wordCount() packs four narrow or two wide units per word', () => {
    assert.deepEqual([0, 1, 4, 5].map((units) => wordCount(units << 1)), [0, 1, 1, 2]);
    assert.deepEqual([0, 1, 2, 3].map((units) => wordCount((units << 1) | 1)), [0, 1, 1, 2]);
  });
});

describe('KeyDictionary', () => {
  test('KeyDictionary finds every key, the empty one and non-Latin-1 ones included, and gives them back', () => {
    const dictionary = filled(oddKeys);
    assert.equal(dictionary.size, oddKeys.length);
    oddKeys.forEach((key, id) => {
      assert.equal(dictionary.lookup(key), id, JSON.stringify(key));
      assert.equal(dictionary.keyOf(id), key);
    });
    for (const absent of ['abcdef', 'ab\u0000\u0000\u0000', '\u0101', 'customer-0000043', '\ud801']) {
      assert.equal(dictionary.lookup(absent), -1, JSON.stringify(absent));
    }
  });

  test('KeyDictionary stores and rebuilds keys longer than one decoding chunk', () => {
    const narrow = 'n'.repeat(10_001);
    const wide = 'ž'.repeat(9_999) + '\ud800';
    const dictionary = filled([narrow, wide]);
    assert.equal(dictionary.keyOf(0), narrow);
    assert.equal(dictionary.keyOf(1), wide);
    assert.equal(dictionary.lookup(`${narrow.slice(1)}m`), -1);
  });

  test('KeyDictionary keeps every key findable when all of them collide, through deletions and reinsertions', () => {
    const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);
    const dictionary = filled(keys, { hashMask: 0 });
    for (let id = 0; id < keys.length; id += 3) dictionary.remove(id);
    keys.forEach((key, id) => assert.equal(dictionary.lookup(key), id % 3 === 0 ? -1 : id, key));
    for (let id = 0; id < keys.length; id += 3) dictionary.insert(`again-${id}`, id);
    keys.forEach((key, id) => assert.equal(dictionary.lookup(id % 3 === 0 ? `again-${id}` : key), id));
    assert.equal(dictionary.size, keys.length);
  });

  test('KeyDictionary deletion shifts clusters back across the end of the table', () => {
    // 16 distinct hashes in a table of 16 slots: long clusters that wrap around slot 0.
    const keys = Array.from({ length: 11 }, (_, i) => `w${i}`);
    for (let first = 0; first < keys.length; first++) {
      const dictionary = filled(keys, { hashMask: 0xf, initialSlots: 16 });
      assert.equal(dictionary.slotCount, 16);
      dictionary.remove(first);
      dictionary.remove((first + 5) % keys.length);
      keys.forEach((key, id) => {
        const gone = id === first || id === (first + 5) % keys.length;
        assert.equal(dictionary.lookup(key), gone ? -1 : id, `${key} after removing ${first}`);
      });
    }
  });

  test('KeyDictionary grows its table past the load limit and re-encodes slots when ids need more bits', () => {
    const dictionary = new KeyDictionary(4, { initialSlots: 2, minIdBits: 1 });
    const n = 20_000;
    for (let id = 0; id < n; id++) {
      if (id % 4 === 0) dictionary.reserveIds(id + 4);
      dictionary.insert(`key-${id}`, id);
    }
    assert.ok(dictionary.slotCount >= n / 0.7, `slots ${dictionary.slotCount}`);
    assert.ok(dictionary.slotCount < (2 * n) / 0.7, `slots ${dictionary.slotCount}`);
    for (let id = 0; id < n; id++) assert.equal(dictionary.lookup(`key-${id}`), id);
  });

  test('KeyDictionary.insert() stores the key it is given when other lookups came between its miss and it', () => {
    const dictionary = filled(['hit']);
    dictionary.reserveIds(3);
    assert.equal(dictionary.lookup('missed'), -1);
    assert.equal(dictionary.lookup('hit'), 0);
    dictionary.insert('missed', 1);
    assert.equal(dictionary.lookup('other-key'), -1);
    assert.equal(dictionary.lookup('nope'), -1);
    dictionary.insert('other-key', 2);
    assert.deepEqual([0, 1, 2].map((id) => dictionary.keyOf(id)), ['hit', 'missed', 'other-key']);
    assert.deepEqual(['hit', 'missed', 'other-key', 'nope'].map((key) => dictionary.lookup(key)), [0, 1, 2, -1]);
  });

  test('KeyDictionary rejects a bad table size and misuse of ids', () => {
    assert.throws(() => new KeyDictionary(8, { initialSlots: 12 }), /initialSlots must be a power of two/);
    const dictionary = filled(['a']);
    assert.throws(() => dictionary.insert('b', 0), /id 0 already holds a key/);
    dictionary.remove(0);
    assert.throws(() => dictionary.remove(0), /id 0 holds no key/);
  });

  test('KeyDictionary.clear() forgets every key and keeps working', () => {
    const dictionary = filled(oddKeys);
    dictionary.clear();
    assert.equal(dictionary.size, 0);
    for (const key of oddKeys) assert.equal(dictionary.lookup(key), -1);
    dictionary.insert('ž', 0);
    assert.equal(dictionary.lookup('ž'), 0);
    assert.equal(dictionary.liveWords, 1);
  });

  test('KeyDictionary reuses a forgotten key\'s arena space for the next key of its id that fits', () => {
    const live = 1_000;
    const dictionary = filled(Array.from({ length: live }, (_, i) => `customer-${String(i).padStart(7, '0')}`));
    const arena = dictionary.arenaCapacity;
    for (let n = live; n < 200_000; n++) {
      const id = n % live;
      dictionary.remove(id);
      dictionary.insert(`customer-${String(n).padStart(7, '0')}`, id);
    }
    assert.equal(dictionary.arenaCapacity, arena, 'keys of one length churn in place');
    assert.equal(dictionary.lookup('customer-0199999'), 199_999 % live);
    assert.equal(dictionary.lookup('customer-0000001'), -1);
  });

  test('KeyDictionary keeps its arena and table bounded while millions of keys of varying length come and go', () => {
    const live = 2_000;
    const dictionary = new KeyDictionary(live);
    const keyOfId: string[] = [];
    let seed = 7;
    const random = (): number => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) | 0;
      return (seed >>> 8) / 16_777_216;
    };
    const fresh = (n: number): string => `${n}:${'x'.repeat(Math.floor(random() * 40))}`;
    for (let id = 0; id < live; id++) dictionary.insert(keyOfId[id] = fresh(id), id);
    let maxArena = 0;
    const total = 2_000_000;
    for (let n = live; n < total; n++) {
      // Forget a random live key, then give its id a new key of another length.
      const id = Math.floor(random() * live);
      dictionary.remove(id);
      dictionary.insert(keyOfId[id] = fresh(n), id);
      maxArena = Math.max(maxArena, dictionary.arenaCapacity);
    }
    assert.equal(dictionary.size, live);
    assert.ok(dictionary.slotCount <= 4_096, `table of ${dictionary.slotCount} slots for ${live} keys`);
    // Live keys take ~6 words each; garbage never exceeds the live words for long.
    assert.ok(maxArena <= 4 * dictionary.liveWords + 4_096, `arena peaked at ${maxArena} words for ${dictionary.liveWords} live`);
    keyOfId.forEach((key, id) => {
      assert.equal(dictionary.lookup(key), id);
      assert.equal(dictionary.keyOf(id), key);
    });
    assert.equal(dictionary.lookup(fresh(5)), -1);
  });

  test('KeyDictionary compacts rarely when a few live keys churn among many ids left by a past peak', () => {
    const peak = 100_000;
    const dictionary = filled(Array.from({ length: peak }, (_, i) => `peak-${i}`));
    for (let id = 10; id < peak; id++) dictionary.remove(id);
    const before = dictionary.compactions;
    let garbage = 0;
    for (let n = 0; n < 200_000; n++) {
      const id = n % 10;
      garbage += Math.ceil(dictionary.keyOf(id).length / 4);
      dictionary.remove(id);
      dictionary.insert(`${n}-${'y'.repeat(n % 23)}`, id); // rarely fits the room it left
    }
    // Each compaction walks all 100,000 ids, so it must wait for a quarter of that in garbage.
    const compactions = dictionary.compactions - before;
    assert.ok(compactions <= garbage / (peak / 4) + 1, `${compactions} compactions for ${garbage} words of garbage`);
    assert.ok(dictionary.arenaCapacity <= 2 * (peak / 4) + 4_096, `arena ${dictionary.arenaCapacity} words`);
  });

  test('KeyDictionary shrinks its arena once most keys are gone', () => {
    const n = 50_000;
    const dictionary = filled(Array.from({ length: n }, (_, i) => `a-rather-long-key-number-${i}`));
    const full = dictionary.arenaCapacity;
    for (let id = 0; id < n - 10; id++) dictionary.remove(id);
    assert.ok(dictionary.arenaCapacity < full / 8, `arena ${dictionary.arenaCapacity} words, was ${full}`);
    for (let id = n - 10; id < n; id++) assert.equal(dictionary.keyOf(id), `a-rather-long-key-number-${id}`);
  });
});

/** One step against both the dictionary and the oracle. */
type Op =
  | { kind: 'insert'; key: string }
  | { kind: 'lookup'; key: string }
  | { kind: 'remove'; pick: number }
  | { kind: 'clear' };

const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
const keyArb = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'b', '\u0000', '\u0100', '\ud800', 'é'), maxLength: 6 }),
  fc.string({ unit: codeUnit, maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('insert' as const), key: keyArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('lookup' as const), key: keyArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);
const optionsArb: fc.Arbitrary<KeyDictionaryOptions> = fc.record({
  initialSlots: fc.constantFrom(2, 8, 1024),
  hashMask: fc.constantFrom(-1, 0, 1, 0xf, 0xff00_0003),
  minIdBits: fc.constantFrom(1, 3, 24),
});

test('KeyDictionary agrees with a Map over random inserts, lookups, removals and clears', () => {
  fc.assert(fc.property(optionsArb, fc.array(opArb, { maxLength: 300 }), (options, ops) => {
    let capacity = 2;
    const dictionary = new KeyDictionary(capacity, options);
    const oracle = new Map<string, number>();
    const freeIds: number[] = [];
    let nextId = 0;
    for (const op of ops) {
      if (op.kind === 'insert' && !oracle.has(op.key)) {
        assert.equal(dictionary.lookup(op.key), -1);
        const id = freeIds.pop() ?? nextId++;
        if (id >= capacity) dictionary.reserveIds(capacity *= 2);
        dictionary.insert(op.key, id);
        oracle.set(op.key, id);
      } else if (op.kind === 'insert' || op.kind === 'lookup') {
        assert.equal(dictionary.lookup(op.key), oracle.get(op.key) ?? -1);
      } else if (op.kind === 'remove' && oracle.size > 0) {
        const [key, id] = [...oracle.entries()][op.pick % oracle.size]!;
        dictionary.remove(id);
        oracle.delete(key);
        freeIds.push(id);
      } else if (op.kind === 'clear') {
        dictionary.clear();
        oracle.clear();
        freeIds.length = 0;
        nextId = 0;
      }
      assert.equal(dictionary.size, oracle.size);
    }
    for (const [key, id] of oracle) {
      assert.equal(dictionary.lookup(key), id);
      assert.equal(dictionary.keyOf(id), key);
    }
  }), { numRuns: 300 });
});
