import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openLog, scratch } from './helpers.js';

test('append – a deferred entry shares the next durable append\'s transaction, and is itself durable when it resolves', async (t) => {
  const s = await scratch(t);
  const log = await openLog(t, s);
  const before = log.stats().transactions;
  const deferred = log.append({ type: 'test/v1', n: 1 }, { deferMs: 1_000 });
  const durable = log.append({ type: 'test/v1', n: 2 });
  const [a, b] = await Promise.all([deferred, durable]);
  assert.deepEqual([a.index, b.index], [0, 1]);
  assert.equal(log.stats().transactions - before, 1, 'one commit for both');
  assert.equal(log.treeSize(), 2);
});

test('append – a deferred entry alone is committed within its window', async (t) => {
  const s = await scratch(t);
  const log = await openLog(t, s);
  const r = await log.append({ type: 'test/v1', n: 1 }, { deferMs: 20 });
  assert.equal(r.index, 0);
  assert.equal(log.treeSize(), 1);
});

test('checkpoint – covers exactly the appends made before it, even when appends queued after it travel in the same turn', async (t) => {
  const s = await scratch(t);
  const log = await openLog(t, s);
  const before = [log.append({ type: 'test/v1', n: 1 }), log.append({ type: 'test/v1', n: 2 })];
  const cp = log.checkpoint();
  const after = [log.append({ type: 'test/v1', n: 3 }), log.append({ type: 'test/v1', n: 4 })];
  const note = await cp;
  await Promise.all([...before, ...after]);
  // The signed note's second line is the tree size.
  assert.equal(note.split('\n')[1], '2');
  assert.equal(log.treeSize(), 4);
  assert.deepEqual((await Promise.all(after)).map((r) => r.index), [2, 3]);
});
