/**
 * ResponseBuffers: the platformatic consumer's reusable buffers for fetch responses that arrive
 * in several socket chunks (platformatic-fetch.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResponseBuffers } from '../../src/broker/platformatic-fetch.ts';

function chunksOf(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

function randomBytes(length: number, seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

test('join() copies the chunks, in order, into a view of exactly their length', () => {
  const buffers = new ResponseBuffers();
  for (const [length, chunk] of [[1, 1], [65_536, 65_536], [200_000, 65_536], [100_001, 7], [3, 2]] as const) {
    const bytes = randomBytes(length, length);
    const joined = buffers.join(chunksOf(bytes, chunk), length);
    assert.equal(joined.bytes.length, length);
    assert.ok(joined.bytes.equals(bytes), `${length} bytes in chunks of ${chunk}`);
    assert.equal(joined.bytes.buffer, joined.received.buffer, 'the view is of the pooled buffer');
    assert.ok(joined.received.length >= length);
  }
});

test('join() refuses chunks that do not add up to the length', () => {
  const buffers = new ResponseBuffers();
  assert.throws(() => buffers.join([Buffer.alloc(10), Buffer.alloc(10)], 30), RangeError);
});

test('a buffer given back takes a later response that fits; one still held is never handed out', () => {
  const buffers = new ResponseBuffers();
  const first = buffers.join(chunksOf(randomBytes(300_000, 1), 65_536), 300_000);
  const second = buffers.join(chunksOf(randomBytes(300_000, 2), 65_536), 300_000);
  assert.notEqual(first.received, second.received, 'two responses held at once have their own buffers');
  assert.equal(buffers.allocated, 2);
  buffers.release(first.received);
  const third = buffers.join(chunksOf(randomBytes(250_000, 3), 65_536), 250_000);
  assert.equal(third.received, first.received, 'the buffer given back is used again');
  assert.equal(buffers.allocated, 2);
  assert.ok(second.bytes.equals(randomBytes(300_000, 2)), 'the response still held is untouched');
  assert.ok(third.bytes.equals(randomBytes(250_000, 3)));
});

test('a response larger than every free buffer gets a new one; the smallest free buffer that fits is taken', () => {
  const buffers = new ResponseBuffers();
  const small = buffers.join([randomBytes(100_000, 1)], 100_000).received;
  const large = buffers.join([randomBytes(1_000_000, 2)], 1_000_000).received;
  buffers.release(small);
  buffers.release(large);
  assert.equal(buffers.join([randomBytes(90_000, 3)], 90_000).received, small);
  assert.equal(buffers.join([randomBytes(500_000, 4)], 500_000).received, large);
  const larger = buffers.join([randomBytes(2_000_000, 5)], 2_000_000);
  assert.notEqual(larger.received, large);
  assert.equal(buffers.allocated, 3);
});

test('a buffer given back twice is still handed out once', () => {
  const buffers = new ResponseBuffers();
  const received = buffers.join([randomBytes(100_000, 1)], 100_000).received;
  buffers.release(received);
  buffers.release(received);
  assert.equal(buffers.join([randomBytes(100_000, 2)], 100_000).received, received);
  assert.notEqual(buffers.join([randomBytes(100_000, 3)], 100_000).received, received);
  assert.equal(buffers.allocated, 2);
});

test('at most `keep` free buffers are kept, the largest', () => {
  const buffers = new ResponseBuffers(2);
  const held = [100_000, 400_000, 200_000].map((length, i) => buffers.join([randomBytes(length, i + 1)], length).received);
  for (const received of held) buffers.release(received);
  // Kept: the 400,000 and 200,000 ones; the smallest was dropped.
  assert.equal(buffers.join([randomBytes(150_000, 9)], 150_000).received, held[2]);
  assert.equal(buffers.join([randomBytes(150_000, 9)], 150_000).received, held[1]);
  const fresh = buffers.join([randomBytes(50_000, 9)], 50_000).received;
  assert.ok(!held.includes(fresh), 'the dropped buffer is not handed out');
  assert.equal(buffers.allocated, 4);
});
