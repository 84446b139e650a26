import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { generateSigningKey, openChron, openChronReadonly, parseVerifierKeys, openCheckpoint, verifyInclusion, verifyConsistency, verifyTlogProof, leafHash } from '../../chron/index.js';
import { StoreReader } from '../../chron/store-reader.js';
import { ORIGIN, decision, openLog, scratch } from './helpers.js';

test('append – 300 concurrent appends → gapless indices, all committed, fewer transactions than appends', async (t) => {
  const s = await scratch(t);
  const log = await openLog(t, s);
  const results = await Promise.all(Array.from({ length: 300 }, (_, i) => log.append(decision(i))));
  assert.deepEqual(results.map((r) => r.index).sort((a, b) => a - b), Array.from({ length: 300 }, (_, i) => i));
  // Durable and visible to an independent connection the moment the promises resolved.
  const other = new StoreReader(s.db);
  t.after(() => other.close());
  assert.equal(other.size(), 300);
  for (const r of results) assert.equal(other.entry(r.index)?.leafHash.toString('hex'), r.leafHash);
  const st = log.stats();
  assert.equal(st.appends, 300);
  assert.ok(st.transactions < st.appends, `transactions ${st.transactions}`);
  assert.equal(log.treeSize(), 300);
});

test('append – stored bytes are the RFC 8785 form and the leaf hash covers exactly them', async (t) => {
  const s = await scratch(t);
  const log = await openLog(t, s);
  const r = await log.append({ z: 1, a: { y: [3, 'x'], b: null }, id: 'e1' });
  const e = log.entry(r.index);
  assert.equal(e?.data.toString('utf8'), '{"a":{"b":null,"y":[3,"x"]},"id":"e1","z":1}');
  assert.equal(leafHash(e?.data ?? Buffer.alloc(0)).toString('hex'), r.leafHash);
  assert.equal(log.indexOfId('e1'), 0);
});

test('append – record with undefined value → ERR_CHRON_RECORD and nothing stored', async (t) => {
  const s = await scratch(t);
  const log = await openLog(t, s);
  await assert.rejects(log.append({ a: undefined }), { code: 'ERR_CHRON_RECORD' });
  assert.equal(log.treeSize(), 0);
});

test('openChron readonly – append and checkpoint → ERR_CHRON_WRITE', async (t) => {
  const s = await scratch(t);
  const w = await openLog(t, s);
  await w.append(decision(0));
  await w.close();
  const ro = await openChron({ path: s.db, origin: ORIGIN, signingKeyFile: s.key, readonly: true });
  t.after(() => ro.close());
  await assert.rejects(ro.append(decision(1)), { code: 'ERR_CHRON_WRITE' });
  await assert.rejects(ro.checkpoint(), { code: 'ERR_CHRON_WRITE' });
  assert.equal(ro.treeSize(), 1);
});

test('openChron – database of another origin → ERR_CHRON_ORIGIN; key named otherwise than the origin → ERR_CHRON_KEY', async (t) => {
  const s = await scratch(t);
  await (await openLog(t, s)).close();
  const otherKey = join(s.dir, 'other.jwk');
  await generateSigningKey(otherKey, 'claiim.test/other');
  await assert.rejects(openChron({ path: s.db, origin: 'claiim.test/other', signingKeyFile: otherKey, checkpointIntervalMs: 0 }), { code: 'ERR_CHRON_ORIGIN' });
  await assert.rejects(openChron({ path: s.db, origin: ORIGIN, signingKeyFile: otherKey, checkpointIntervalMs: 0 }), { code: 'ERR_CHRON_KEY' });
});

test('openChron – unwritable database file → ERR_CHRON_WRITE on open or append', async (t) => {
  const s = await scratch(t);
  const w = await openLog(t, s);
  await w.append(decision(0));
  await w.close();
  chmodSync(s.db, 0o444);
  if (process.getuid?.() === 0) return t.skip('root ignores file modes');
  try {
    const log = await openChron({ path: s.db, origin: ORIGIN, signingKeyFile: s.key, checkpointIntervalMs: 0 });
    t.after(() => log.close().catch(() => undefined));
    await assert.rejects(log.append(decision(1)), { code: 'ERR_CHRON_WRITE' });
  } catch (err) {
    assert.equal((err as { code?: string }).code, 'ERR_CHRON_WRITE');
  }
});

test('append – commit fails (insert aborted by the database) → ERR_CHRON_WRITE; after the fault clears, indices continue gapless', async (t) => {
  const s = await scratch(t);
  const log = await openLog(t, s);
  await log.append(decision(0));
  const db = new Database(s.db);
  t.after(() => db.close());
  db.exec("CREATE TRIGGER fault BEFORE INSERT ON entries BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;");
  const failed = await Promise.allSettled([log.append(decision(1)), log.append(decision(2))]);
  for (const f of failed) assert.equal(f.status === 'rejected' && (f.reason as { code?: string }).code, 'ERR_CHRON_WRITE');
  db.exec('DROP TRIGGER fault');
  const r = await log.append(decision(3));
  assert.equal(r.index, 1);
  assert.equal(log.treeSize(), 2);
});

test('checkpoint – signed note opens with the published vkey; proofs from the store verify against it', async (t) => {
  const s = await scratch(t);
  let now = 1_700_000_000_000;
  const log = await openLog(t, s, { now: () => now });
  for (let i = 0; i < 37; i++) await log.append(decision(i));
  const first = openCheckpoint(await log.checkpoint(), parseVerifierKeys(log.vkeys().join('\n')), ORIGIN);
  assert.equal(first.treeSize, 37);
  await Promise.all(Array.from({ length: 40 }, (_, i) => log.append(decision(100 + i))));
  now += 1000;
  const vk = parseVerifierKeys(log.vkeys().join('\n'));
  const second = openCheckpoint(await log.checkpoint(), vk, ORIGIN);
  assert.equal(second.treeSize, 77);
  const c = log.proveConsistency(37, 77);
  verifyConsistency(37, 77, first.rootHash, second.rootHash, c.proof.map((h) => Buffer.from(h, 'hex')));
  for (const idx of [0, 36, 37, 76]) {
    const p = await log.proveInclusion(idx);
    assert.equal(p.treeSize, 77);
    verifyInclusion(idx, 77, Buffer.from(p.leafHash, 'hex'), p.proof.map((h) => Buffer.from(h, 'hex')), second.rootHash);
    verifyTlogProof(p.tlogProof, Buffer.from(p.leafHash, 'hex'), vk, ORIGIN);
  }
  assert.deepEqual(log.checkpoints().map((x) => x.createdMs), [1_700_000_000_000, 1_700_000_001_000]);
});

test('proveInclusion – entry newer than every checkpoint on a writable log → signs one first', async (t) => {
  const s = await scratch(t);
  const log = await openLog(t, s);
  await log.append(decision(0));
  const p = await log.proveInclusion(0);
  assert.equal(p.treeSize, 1);
  assert.equal(log.checkpoints().length, 1);
  await assert.rejects(log.proveInclusion(1), { code: 'ERR_CHRON_RANGE' });
});

test('checkpoint schedule – interval elapses while idle → checkpoints keep being signed', async (t) => {
  const s = await scratch(t);
  const log = await openLog(t, s, { checkpointIntervalMs: 30 });
  await new Promise((r) => setTimeout(r, 200));
  const cps = log.checkpoints();
  assert.ok(cps.length >= 2, `got ${cps.length}`);
  assert.ok(cps.every((c) => c.treeSize === 0));
});

test('close – pending appends are committed and a final checkpoint covers them; reopen continues the index', async (t) => {
  const s = await scratch(t);
  const log = await openLog(t, s);
  const pending = Array.from({ length: 50 }, (_, i) => log.append(decision(i)));
  await log.close();
  assert.equal((await Promise.all(pending)).length, 50);
  await assert.rejects(log.append(decision(99)), { code: 'ERR_CHRON_WRITE' });
  const ro = openChronReadonly(s.db);
  assert.equal(ro.checkpoints().at(-1)?.treeSize, 50);
  await ro.close();
  const again = await openLog(t, s);
  assert.equal((await again.append(decision(50))).index, 50);
});

test('key rotation – old key plus co-signing new key → each checkpoint verifies with either vkey alone; both published', async (t) => {
  const s = await scratch(t);
  const newKey = join(s.dir, 'keys', 'chron-2.jwk');
  await generateSigningKey(newKey, ORIGIN);
  const log = await openLog(t, s, { additionalSigningKeyFiles: [newKey] });
  await log.append(decision(0));
  const note = await log.checkpoint();
  const [oldV, newV] = log.vkeys().map((v) => parseVerifierKeys(v));
  assert.ok(oldV && newV);
  assert.equal(log.vkeys().length, 2);
  assert.equal(openCheckpoint(note, oldV, ORIGIN).verifiedBy.length, 1);
  assert.equal(openCheckpoint(note, newV, ORIGIN).verifiedBy.length, 1);
  assert.equal(openCheckpoint(note, [...oldV, ...newV], ORIGIN).verifiedBy.length, 2);
});

test('generateSigningKey – file exists → left unchanged; new file is mode 0600', async (t) => {
  const s = await scratch(t);
  const { readFileSync, statSync } = await import('node:fs');
  const before = readFileSync(s.key, 'utf8');
  await generateSigningKey(s.key, ORIGIN);
  assert.equal(readFileSync(s.key, 'utf8'), before);
  assert.equal(statSync(s.key).mode & 0o777, 0o600);
});
