import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { decision, openLog, scratch } from './helpers.js';

/** Entries in a copy of the database file alone: what a kill -9 now would leave, the WAL being gone. */
function entriesOnDisk(db: string, dir: string): number {
  const copy = join(dir, 'crash-copy.db');
  copyFileSync(db, copy);
  const d = new Database(copy, { readonly: true });
  try {
    return d.prepare('SELECT count(*) FROM entries').pluck().get() as number;
  } finally {
    d.close();
  }
}

test('append – database file deleted while open → that append rejects ERR_CHRON_WRITE naming the file; every later append rejects; close resolves', async (t) => {
  const s = await scratch(t);
  const log = await openLog(t, s);
  for (let i = 0; i < 3; i++) await log.append(decision(i));
  for (const f of [s.db, `${s.db}-wal`, `${s.db}-shm`]) rmSync(f, { force: true });
  await assert.rejects(log.append(decision(3)), (err: { code?: string; message?: string }) => {
    assert.equal(err.code, 'ERR_CHRON_WRITE');
    assert.match(err.message ?? '', /the database file .*chron\.db was deleted or replaced while the writer had it open/);
    return true;
  });
  await assert.rejects(log.append(decision(4)), { code: 'ERR_CHRON_WRITE', message: /closed to appends/ });
  await assert.rejects(log.checkpoint(), { code: 'ERR_CHRON_WRITE' });
  assert.equal(log.treeSize(), 3, 'nothing committed to the unlinked file is counted');
  await log.close();
});

test('append – database file replaced by another file (rename over it) → ERR_CHRON_WRITE; nothing appended to the old file is reported', async (t) => {
  const s = await scratch(t);
  const log = await openLog(t, s);
  await log.append(decision(0));
  await log.checkpoint();
  const other = join(s.dir, 'restored.db');
  copyFileSync(s.db, other);
  renameSync(other, s.db);
  await assert.rejects(log.append(decision(1)), { code: 'ERR_CHRON_WRITE', message: /was deleted or replaced/ });
  await assert.rejects(log.append(decision(2)), { code: 'ERR_CHRON_WRITE' });
  assert.equal(log.treeSize(), 1);
});

test('append – WAL deleted while open → the commit that finds it is copied into the database file first; then the log is closed; no acknowledged entry lost', async (t) => {
  const s = await scratch(t);
  const log = await openLog(t, s);
  for (let i = 0; i < 5; i++) await log.append(decision(i));
  rmSync(`${s.db}-wal`);
  // Written to the unlinked WAL, then rescued into the database file (fsynced) before it is reported.
  assert.equal((await log.append(decision(5))).index, 5);
  await assert.rejects(log.append(decision(6)), { code: 'ERR_CHRON_WRITE', message: /the WAL file .*chron\.db-wal was deleted or replaced.*closed to appends/ });
  assert.equal(log.treeSize(), 6);
  assert.equal(entriesOnDisk(s.db, s.dir), 6, 'every acknowledged entry is in the database file itself');
  await log.close();
});

test('checkpoint – database file deleted while idle → the scheduled or explicit checkpoint fails and closes the log', async (t) => {
  const s = await scratch(t);
  const log = await openLog(t, s);
  await log.append(decision(0));
  for (const f of [s.db, `${s.db}-wal`, `${s.db}-shm`]) rmSync(f, { force: true });
  await assert.rejects(log.checkpoint(), { code: 'ERR_CHRON_WRITE', message: /was deleted or replaced/ });
  await assert.rejects(log.append(decision(1)), { code: 'ERR_CHRON_WRITE' });
});
