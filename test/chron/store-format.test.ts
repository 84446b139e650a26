import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openChron, openCheckpoint, parseVerifierKeys, verifyConsistency, verifyInclusion, type Chron } from '../../chron/index.js';
import { exportLog } from '../../chron/export.js';
import { StoreReader } from '../../chron/store-reader.js';
import { verifyExport } from '../../chron/verify-export.js';
import { ORIGIN, decision, openLog, scratch } from './helpers.js';

/** A format-1 database written by the format-1 writer (45 entries, checkpoints at 21 and 45), and its signing key. */
const FORMAT1 = fileURLToPath(new URL('../../../test/fixtures/chron-format1/', import.meta.url));

const bytes = (h: string): Buffer => Buffer.from(h, 'hex');

type Seen = { size: number; root: Uint8Array };

/** Signs a checkpoint now and checks every inclusion proof at its size, and consistency from every earlier checkpoint. */
async function checkpointAndProve(log: Chron, earlier: readonly Seen[]): Promise<Seen> {
  const vk = parseVerifierKeys(log.vkeys().join('\n'));
  const cp = openCheckpoint(await log.checkpoint(), vk, ORIGIN);
  for (let i = 0; i < cp.treeSize; i++) {
    const p = await log.proveInclusion(i);
    assert.equal(p.treeSize, cp.treeSize);
    verifyInclusion(i, cp.treeSize, bytes(p.leafHash), p.proof.map(bytes), cp.rootHash);
  }
  for (const e of earlier) {
    const c = log.proveConsistency(e.size, cp.treeSize);
    assert.equal(c.fromRoot, Buffer.from(e.root).toString('hex'), `root at ${e.size} from the store`);
    verifyConsistency(e.size, cp.treeSize, e.root, cp.rootHash, c.proof.map(bytes));
  }
  return { size: cp.treeSize, root: Buffer.from(cp.rootHash) };
}

/** Exports [from, size) and verifies it offline (roots recomputed from the entry bytes alone). */
async function exportAndVerify(log: Chron, db: string, dir: string, from: number): Promise<void> {
  const reader = new StoreReader(db);
  try {
    await exportLog(reader, dir, { from });
  } finally {
    reader.close();
  }
  const r = await verifyExport(dir, { verifiers: parseVerifierKeys(log.vkeys().join('\n')), expectedOrigin: ORIGIN });
  assert.equal(r.to, log.treeSize());
}

test('store format 2 – a new log keeps every subtree hash in the row of the entry that completes it; proofs at many sizes and after reopening verify', async (t) => {
  const s = await scratch(t);
  let log = await openLog(t, s);
  assert.equal(log.storeFormat, '2');
  const seen: Seen[] = [];
  let n = 0;
  for (const size of [1, 2, 3, 4, 5, 7, 8, 9, 16, 31, 33, 64, 70]) {
    // Single appends and groups, so subtrees complete both inside a transaction and across two.
    if (size - n > 3) await log.appendAll(Array.from({ length: size - n - 1 }, (_, k) => decision(n + k)));
    n = log.treeSize();
    while (n < size) await log.append(decision(n++));
    seen.push(await checkpointAndProve(log, seen));
  }

  const raw = new Database(s.db, { readonly: true });
  t.after(() => raw.close());
  assert.equal(raw.prepare("SELECT value FROM meta WHERE key = 'format'").pluck().get(), '2');
  assert.equal(raw.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'subtrees'").pluck().get(), 0);
  // A new log is created with 16 KiB pages (fewer WAL frames, so fewer system calls per commit).
  assert.equal(raw.pragma('page_size', { simple: true }), 16384);
  for (const row of raw.prepare('SELECT idx, nodes FROM entries').all() as { idx: number; nodes: Buffer | null }[]) {
    let trailingOnes = 0;
    while ((row.idx >> trailingOnes) & 1) trailingOnes++;
    assert.equal(row.nodes?.byteLength ?? 0, 32 * trailingOnes, `entry ${row.idx}`);
  }

  // Reopen at 70 = 64 + 4 + 2: the frontier is loaded from the stored rows, and appends go on from it.
  await log.close();
  log = await openLog(t, s);
  await log.appendAll(Array.from({ length: 30 }, (_, k) => decision(70 + k)));
  seen.push(await checkpointAndProve(log, seen));
  // An export from 37 starts with the stored subtree hashes covering [0, 37).
  await exportAndVerify(log, s.db, join(s.dir, 'export-37'), 37);
  await exportAndVerify(log, s.db, join(s.dir, 'export-0'), 0);
});

test('store format 1 – a database written before format 2 is read and appended to in its own layout; old checkpoints stay provable', async (t) => {
  const s = await scratch(t);
  mkdirSync(join(s.dir, 'f1'));
  const db = join(s.dir, 'f1', 'chron.db');
  copyFileSync(join(FORMAT1, 'chron.db'), db);
  const log = await openChron({ path: db, origin: ORIGIN, signingKeyFile: join(FORMAT1, 'chron.jwk'), checkpointIntervalMs: 0 });
  t.after(() => log.close().catch(() => undefined));
  assert.equal(log.treeSize(), 45);
  assert.equal(log.storeFormat, '1');

  // The checkpoints the format-1 writer signed, with the roots the store reproduces.
  const vk = parseVerifierKeys(log.vkeys().join('\n'));
  const old = log.checkpoints().map((c) => openCheckpoint(c.note, vk, ORIGIN));
  assert.deepEqual(old.map((c) => c.treeSize).slice(0, 2), [21, 45]);
  const seen: Seen[] = old.slice(0, 2).map((c) => ({ size: c.treeSize, root: Buffer.from(c.rootHash) }));

  await Promise.all(Array.from({ length: 19 }, (_, k) => log.append(decision(45 + k))));
  await log.appendAll(Array.from({ length: 20 }, (_, k) => decision(64 + k)));
  seen.push(await checkpointAndProve(log, seen));

  const raw = new Database(db, { readonly: true });
  t.after(() => raw.close());
  assert.equal(raw.prepare("SELECT value FROM meta WHERE key = 'format'").pluck().get(), '1');
  const columns = (raw.prepare('PRAGMA table_info(entries)').all() as { name: string }[]).map((c) => c.name);
  assert.deepEqual(columns, ['idx', 'leaf_hash', 'data', 'record_id']);
  // 84 leaves have 84 − popcount(84) = 81 perfect subtrees of level ≥ 1, all in the format-1 table.
  assert.equal(raw.prepare('SELECT count(*) FROM subtrees').pluck().get(), 81);
  // An existing database keeps the page size it was created with, and SQLite still reads every page of it.
  assert.equal(raw.pragma('page_size', { simple: true }), 4096);
  assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
  await exportAndVerify(log, db, join(s.dir, 'export'), 30);
});

test('store format – an unknown format or a foreign SQLite file → ERR_CHRON_FORMAT, for the writer and for readers', async (t) => {
  const s = await scratch(t);
  const log = await openLog(t, s);
  await log.append(decision(0));
  await log.close();
  const raw = new Database(s.db);
  raw.prepare("UPDATE meta SET value = '9' WHERE key = 'format'").run();
  raw.close();
  await assert.rejects(openChron({ path: s.db, origin: ORIGIN, signingKeyFile: s.key, checkpointIntervalMs: 0 }), { code: 'ERR_CHRON_FORMAT', message: /format "9"/ });
  assert.throws(() => new StoreReader(s.db), { code: 'ERR_CHRON_FORMAT' });

  const foreign = join(s.dir, 'foreign.db');
  const f = new Database(foreign);
  f.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER)');
  f.close();
  await assert.rejects(openChron({ path: foreign, origin: ORIGIN, signingKeyFile: s.key, checkpointIntervalMs: 0 }), { code: 'ERR_CHRON_FORMAT', message: /not a Chron database/ });
  const check = new Database(foreign, { readonly: true });
  t.after(() => check.close());
  assert.deepEqual(check.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all(), ['invoices'], 'nothing was created in the foreign file');
});

test('store format – the writer checkpoints its WAL every ≈ 4 MiB whatever the page size: 12 MiB of entries never grow the WAL file past 6 MiB', async (t) => {
  const s = await scratch(t);
  const log = await openLog(t, s);
  const pad = 'x'.repeat(3_000);
  let largest = 0;
  // 4,000 entries of ≈ 3 KiB in 40 commits: SQLite's default of 1,000 pages would let a 16 KiB-page WAL reach ≈ 16 MiB.
  for (let c = 0; c < 40; c++) {
    await log.appendAll(Array.from({ length: 100 }, (_, k) => ({ ...decision(c * 100 + k), pad })));
    largest = Math.max(largest, statSync(`${s.db}-wal`).size);
  }
  assert.equal(log.treeSize(), 4_000);
  assert.ok(largest > 3 * 1024 * 1024, `the WAL did fill up to the checkpoint size (largest ${largest} bytes)`);
  assert.ok(largest < 6 * 1024 * 1024, `the WAL stayed near 4 MiB (largest ${largest} bytes)`);
});
