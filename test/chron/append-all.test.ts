import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { decision, openLog, scratch } from './helpers.js';

test('appendAll – records commit in one transaction, in order, with consecutive indices and their own record ids', async (t) => {
  const s = await scratch(t);
  const log = await openLog(t, s);
  await log.append(decision(0));
  const before = log.stats();
  const r = await log.appendAll([{ type: 'test/v1', id: 'g/0' }, { type: 'test/v1', id: 'g/1' }, { type: 'test/v1', id: 'g/2' }]);
  assert.deepEqual(r.map((x) => x.index), [1, 2, 3]);
  assert.equal(log.stats().transactions - before.transactions, 1);
  assert.equal(log.indexOfId('g/2'), 3);
  assert.equal(JSON.parse(log.entry(2)?.data.toString('utf8') ?? '{}').id, 'g/1');
  assert.deepEqual(await log.appendAll([]), []);
});

test('appendAll – a group that straddles the 2,048-entry batch limit is not split across transactions', async (t) => {
  const s = await scratch(t);
  const sizes: number[] = [];
  const log = await openLog(t, s, { onCommit: (n) => sizes.push(n) });
  // 2,047 single entries, then a group of 3 (indices 2,047..2,049), then 10 more: the batch limit falls inside the group.
  const singles = Array.from({ length: 2047 }, (_, i) => log.append(decision(i)));
  const group = log.appendAll([{ type: 'test/v1', id: 'g/0' }, { type: 'test/v1', id: 'g/1' }, { type: 'test/v1', id: 'g/2' }]);
  const after = Array.from({ length: 10 }, (_, i) => log.append(decision(3000 + i)));
  await Promise.all([...singles, group, ...after]);
  assert.deepEqual((await group).map((x) => x.index), [2047, 2048, 2049]);
  assert.equal(sizes.reduce((a, b) => a + b, 0), 2060);
  // Transaction boundaries (cumulative sizes) never fall inside the group.
  let at = 0;
  for (const n of sizes) {
    at += n;
    assert.ok(at <= 2047 || at >= 2050, `a transaction ended after entry ${at - 1}, inside the group (sizes ${sizes.join(', ')})`);
  }
});

test('appendAll – a record that is not plain JSON rejects the whole group before anything is queued; too large a group is refused', async (t) => {
  const s = await scratch(t);
  const log = await openLog(t, s);
  await assert.rejects(log.appendAll([{ type: 'test/v1', id: 'ok' }, { type: 'test/v1', bad: Number.NaN }]), { code: 'ERR_CHRON_RECORD' });
  assert.equal(log.treeSize(), 0);
  assert.equal(log.indexOfId('ok'), undefined);
  await assert.rejects(log.appendAll(Array.from({ length: 2049 }, (_, i) => ({ type: 'test/v1', n: i }))), { code: 'ERR_CHRON_USAGE' });
  assert.equal(log.treeSize(), 0);
});

test('appendAll – when the transaction fails, no record of the group is stored, every promise rejects, and indices continue gapless', async (t) => {
  const s = await scratch(t);
  const log = await openLog(t, s);
  await log.append(decision(0));
  const db = new Database(s.db);
  t.after(() => db.close());
  db.exec("CREATE TRIGGER fault BEFORE INSERT ON entries WHEN NEW.record_id = 'g/1' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;");
  await assert.rejects(log.appendAll([{ type: 'test/v1', id: 'g/0' }, { type: 'test/v1', id: 'g/1' }, { type: 'test/v1', id: 'g/2' }]), { code: 'ERR_CHRON_WRITE' });
  assert.equal(log.indexOfId('g/0'), undefined);
  assert.equal(log.treeSize(), 1);
  db.exec('DROP TRIGGER fault');
  const r = await log.appendAll([{ type: 'test/v1', id: 'h/0' }, { type: 'test/v1', id: 'h/1' }]);
  assert.deepEqual(r.map((x) => x.index), [1, 2]);
});
