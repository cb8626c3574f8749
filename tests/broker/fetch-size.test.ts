/**
 * How big the platformatic consumer's fetches are: a number of records rather than of bytes,
 * within the floor (the kafkajs member's limits) and a ceiling.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fetchSizeFor, fetchSizing } from '../../src/broker/platformatic-fetch.ts';

const floor = { total: 512 * 1024, perPartition: 128 * 1024 };

test('fetchSizeFor() keeps the floor until the records are known, and for one-sale records', () => {
  assert.deepEqual(fetchSizeFor(0, floor), floor);
  assert.deepEqual(fetchSizeFor(180, floor), floor);
  assert.deepEqual(fetchSizeFor(230, floor), floor);
});

test('fetchSizeFor() aims at a number of larger records, up to the ceiling, the per-partition limit in proportion', () => {
  assert.deepEqual(fetchSizeFor(400, floor), { total: 400 * fetchSizing.records, perPartition: 100 * fetchSizing.records });
  assert.deepEqual(fetchSizeFor(3_300, floor), { total: 3_300 * fetchSizing.records, perPartition: 825 * fetchSizing.records });
  assert.deepEqual(fetchSizeFor(6_000, floor), { total: fetchSizing.ceiling, perPartition: fetchSizing.ceiling / 4 });
});
