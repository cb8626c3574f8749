/**
 * The engine's columnar bookkeeping on its own: the key dictionary with its reused ids, column
 * growth, and panes releasing their keys (the engine-level behaviour is in scale.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { grownCapacity } from '../../src/window/capacity.ts';
import { KeyTable, NEWEST_PANE, NEWEST_SLOT, NO_PANE_ID, PREVIOUS_PANE } from '../../src/window/key-table.ts';
import { cellFor, PaneTable, releasePanes } from '../../src/window/panes.ts';

describe('KeyTable', () => {
  test('KeyTable gives keys dense ids from 0 and finds them again', () => {
    const keys = new KeyTable();
    assert.deepEqual(['a', 'b', '', 'c'].map((key) => keys.idOf(key)), [0, 1, 2, 3]);
    assert.equal(keys.idOf('b'), 1);
    assert.equal(keys.keyOf(2), '', 'the empty string is a key like any other');
    assert.equal(keys.size, 4);
  });

  test('KeyTable reuses the id of a forgotten key, and the new key starts with no cells and not roaming', () => {
    const keys = new KeyTable();
    for (const key of ['a', 'b', 'c']) keys.idOf(key);
    keys.refs[4 * 1 + NEWEST_PANE] = 5;
    keys.cellCount[1] = 1;
    keys.roams[1] = 1;
    keys.forget(1);
    assert.equal(keys.size, 2);
    assert.equal(keys.find('b'), -1);
    assert.equal(keys.idOf('d'), 1);
    assert.equal(keys.keyOf(1), 'd');
    assert.deepEqual([...keys.refs.subarray(4, 8)], [NO_PANE_ID, 0, NO_PANE_ID, 0]);
    assert.equal(keys.cellCount[1], 0);
    assert.equal(keys.roams[1], 0);
    assert.equal(keys.idOf('e'), 3, 'with the free list empty, ids continue after the highest');
  });

  test('KeyTable grows its columns past their first capacity and keeps what they held', () => {
    const keys = new KeyTable();
    const first = keys.capacity;
    const n = 3 * first + 5;
    for (let i = 0; i < n; i++) {
      const id = keys.idOf(`k${i}`);
      keys.refs[4 * id + NEWEST_SLOT] = i;
      keys.cellCount[id] = i % 7;
    }
    assert.ok(keys.capacity >= n);
    for (let i = 0; i < n; i++) {
      const id = keys.find(`k${i}`);
      assert.equal(keys.keyOf(id), `k${i}`);
      assert.equal(keys.refs[4 * id + NEWEST_SLOT], i);
      assert.equal(keys.cellCount[id], i % 7);
    }
  });

  test('KeyTable.forgetAll() empties the dictionary and ids start again from 0', () => {
    const keys = new KeyTable();
    for (const key of ['a', 'b', 'c']) keys.idOf(key);
    keys.forget(1);
    keys.forgetAll();
    assert.equal(keys.size, 0);
    assert.equal(keys.idOf('c'), 0);
    assert.equal(keys.idOf('x'), 1);
  });

  test('grownCapacity() doubles small columns and adds a quarter to big ones', () => {
    assert.equal(grownCapacity(0), 8);
    assert.equal(grownCapacity(1024), 2048);
    assert.equal(grownCapacity(65_536), 81_920);
  });
});

describe('panes', () => {
  test('a pane grows past its first capacity and finds every key of a lookup', () => {
    const keys = new KeyTable();
    const panes = new PaneTable();
    const pane = panes.open(0, 10, 0, 1, 10, 2);
    const n = 5_000;
    for (let i = 0; i < n; i++) {
      const id = keys.idOf(`k${i}`);
      const slot = cellFor(keys, panes, id, pane);
      assert.equal(slot, i);
      pane.cells[2 * slot]! += i;
      pane.cells[2 * slot + 1]! += 1;
    }
    assert.equal(pane.size, n);
    for (let i = 0; i < n; i += 97) assert.equal(pane.find(keys.find(`k${i}`)), i);
    assert.equal(pane.cells[2 * (n - 1)], n - 1);
  });

  test('releasing panes forgets the keys left without cells and clears references to the panes', () => {
    const keys = new KeyTable();
    const panes = new PaneTable();
    const older = panes.open(0, 1, 0, 1, 1, 8);
    const newer = panes.open(0, 2, 1, 2, 2, 8);
    const a = keys.idOf('a');
    const b = keys.idOf('b');
    cellFor(keys, panes, a, older);
    cellFor(keys, panes, a, newer);
    cellFor(keys, panes, b, older);
    assert.deepEqual([keys.cellCount[a], keys.cellCount[b]], [2, 1]);
    releasePanes([older], keys, panes);
    assert.equal(keys.find('b'), -1);
    assert.equal(keys.size, 1);
    assert.equal(keys.refs[4 * a + PREVIOUS_PANE], NO_PANE_ID);
    assert.equal(keys.refs[4 * a + NEWEST_PANE], newer.id);
    const reused = panes.open(0, 3, 2, 3, 3, 8);
    assert.equal(reused.id, older.id, 'a released pane id is handed out again');
    assert.equal(cellFor(keys, panes, a, reused), 0, 'the key needs a new cell in the pane reusing the id');
    releasePanes([newer, reused], keys, panes);
    assert.equal(keys.size, 0);
  });
});
