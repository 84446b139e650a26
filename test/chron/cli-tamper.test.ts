import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { chronCommand } from '../../chron/cli.js';
import { generateSigningKey, readSigningJwk, signerFromJwk, signCheckpoint } from '../../chron/index.js';
import { ORIGIN, captureIo, decision, lines, openLog, scratch, verify, writeLines } from './helpers.js';

/** A log of 20 entries with checkpoints at 10 and 20, exported to DIR; the auditor's vkey kept aside. */
async function exported(t: TestContext): Promise<{ dir: string; db: string; key: string; out: string; vkey: string; cp10: string }> {
  const s = await scratch(t);
  const log = await openLog(t, s);
  for (let i = 0; i < 10; i++) await log.append(decision(i));
  const cp10 = await log.checkpoint();
  await Promise.all(Array.from({ length: 10 }, (_, i) => log.append(decision(10 + i))));
  await log.checkpoint();
  const vkey = join(s.dir, 'auditor.vkey');
  writeFileSync(vkey, `${log.vkeys().join('\n')}\n`);
  await log.close();
  const out = join(s.dir, 'export');
  const io = captureIo();
  assert.equal(await chronCommand(['export', '--db', s.db, '--out', out], io), 0, io.err());
  return { ...s, out, vkey, cp10 };
}


test('chron export + verify – untouched export → exit 0; every file present', async (t) => {
  const e = await exported(t);
  const r = await verify(e);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^OK: entries \[0, 20\)/);
  assert.equal(lines(join(e.out, 'entries.jsonl')).length, 20);
  assert.equal(readdirSync(join(e.out, 'checkpoints')).length, 3, 'sizes 10, 20, and the final one of close()');
  assert.equal(readFileSync(join(e.out, 'vkey'), 'utf8'), readFileSync(e.vkey, 'utf8'));
});

test('chron verify – one entry\'s bytes modified → exit 1, ERR_CHRON_LEAF_MISMATCH names entry 7', async (t) => {
  const e = await exported(t);
  const f = join(e.out, 'entries.jsonl');
  const l = lines(f);
  l[7] = (l[7] as string).replace('"allow"', '"deny"');
  writeLines(f, l);
  const r = await verify(e);
  assert.equal(r.code, 1);
  assert.match(r.err, /ERR_CHRON_LEAF_MISMATCH: entry 7:/);
});

test('chron verify – one entry deleted → exit 1 naming entry 4', async (t) => {
  const e = await exported(t);
  const f = join(e.out, 'entries.jsonl');
  writeLines(f, lines(f).filter((_, i) => i !== 4));
  const r = await verify(e);
  assert.equal(r.code, 1);
  assert.match(r.err, /ERR_CHRON_LEAF_MISMATCH: entry 4:/);
});

test('chron verify – two entries swapped → exit 1 naming entry 2', async (t) => {
  const e = await exported(t);
  const f = join(e.out, 'entries.jsonl');
  const l = lines(f);
  [l[2], l[5]] = [l[5] as string, l[2] as string];
  writeLines(f, l);
  const r = await verify(e);
  assert.equal(r.code, 1);
  assert.match(r.err, /ERR_CHRON_LEAF_MISMATCH: entry 2:/);
});

test('chron verify – tail truncated → exit 1 naming where the entries end', async (t) => {
  const e = await exported(t);
  const f = join(e.out, 'entries.jsonl');
  writeLines(f, lines(f).slice(0, 15));
  const r = await verify(e);
  assert.equal(r.code, 1);
  assert.match(r.err, /ERR_CHRON_EXPORT: entries\.jsonl ends at entry 15/);
});

test('chron verify – entry and its logged leaf hash both rewritten → exit 1, ERR_CHRON_ROOT_MISMATCH at the checkpoint', async (t) => {
  const e = await exported(t);
  const f = join(e.out, 'entries.jsonl');
  writeLines(f, lines(f).map((x, i) => (i === 3 ? x.replace('devops-bot', 'someone-else') : x)));
  // Drop the diagnostic leaf list: only the signed roots remain to catch it.
  writeFileSync(join(e.out, 'leaves'), '');
  const r = await verify(e);
  assert.equal(r.code, 1);
  assert.match(r.err, /ERR_CHRON_ROOT_MISMATCH: checkpoint of size 10/);
});

test('chron verify – history rewritten and re-signed with a different key → exit 1, ERR_CHRON_SIGNATURE', async (t) => {
  const e = await exported(t);
  // The attacker builds a fresh log with other contents, same origin, own key, and exports it.
  const s2 = await scratch(t);
  const forged = await openLog(t, s2);
  for (let i = 0; i < 20; i++) await forged.append(decision(i, 'innocent-bot'));
  await forged.checkpoint();
  await forged.close();
  const out2 = join(s2.dir, 'export');
  assert.equal(await chronCommand(['export', '--db', s2.db, '--out', out2], captureIo()), 0);
  const r = await verify({ out: out2, vkey: e.vkey });
  assert.equal(r.code, 1);
  assert.match(r.err, /ERR_CHRON_SIGNATURE: checkpoints\/\d+: no signature from a trusted key/);
});

test('chron verify – checkpoint of another origin (same key) → exit 1, ERR_CHRON_ORIGIN', async (t) => {
  const e = await exported(t);
  const signer = signerFromJwk(await readSigningJwk(e.key), ORIGIN);
  const [newest] = readdirSync(join(e.out, 'checkpoints')).sort().reverse();
  const foreign = signCheckpoint({ origin: 'claiim.test/other-log', treeSize: 20, rootHash: Buffer.alloc(32, 7) }, [signer]);
  writeFileSync(join(e.out, 'checkpoints', newest as string), foreign);
  writeFileSync(join(e.out, 'checkpoint'), foreign);
  const r = await verify(e);
  assert.equal(r.code, 1);
  assert.match(r.err, /ERR_CHRON_ORIGIN/);
});

test('chron verify – database row modified behind Chron\'s back, then exported → exit 1 naming entry 5', async (t) => {
  const e = await exported(t);
  const db = new Database(e.db);
  db.exec('DROP TRIGGER entries_append_only_u');
  db.prepare('UPDATE entries SET data = ? WHERE idx = 5').run(Buffer.from('{"effect":"allow"}'));
  db.close();
  const out = join(e.dir, 'export2');
  assert.equal(await chronCommand(['export', '--db', e.db, '--out', out], captureIo()), 0);
  const r = await verify({ out, vkey: e.vkey });
  assert.equal(r.code, 1);
  assert.match(r.err, /entry 5:/);
});

test('chron verify --since – kept checkpoint of size 10 → exit 0; kept checkpoint of a rewritten log → ERR_CHRON_ROOT_MISMATCH', async (t) => {
  const e = await exported(t);
  const kept = join(e.dir, 'kept.checkpoint');
  writeFileSync(kept, e.cp10);
  assert.equal((await verify(e, '--since', kept)).code, 0);
  const signer = signerFromJwk(await readSigningJwk(e.key), ORIGIN);
  writeFileSync(kept, signCheckpoint({ origin: ORIGIN, treeSize: 10, rootHash: Buffer.alloc(32, 1) }, [signer]));
  const r = await verify(e, '--since', kept);
  assert.equal(r.code, 1);
  assert.match(r.err, /ERR_CHRON_ROOT_MISMATCH: the --since checkpoint/);
});

test('chron export --from/--to – partial range with prefix hashes → verifies', async (t) => {
  const e = await exported(t);
  const out = join(e.dir, 'partial');
  assert.equal(await chronCommand(['export', '--db', e.db, '--out', out, '--from', '5', '--to', '10'], captureIo()), 0);
  const r = await verify({ out, vkey: e.vkey });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /entries \[5, 10\) verified against 1 checkpoint/);
});

test('chron prove --id + verify-proof – real proof → exit 0; proof for another entry\'s bytes → exit 1', async (t) => {
  const e = await exported(t);
  const file = join(e.dir, 'd-13.tlog-proof');
  const io = captureIo();
  assert.equal(await chronCommand(['prove', '--db', e.db, '--id', 'd-13', '--out', file], io), 0, io.err());
  const ok = captureIo();
  assert.equal(await chronCommand(['verify-proof', file, '--vkey', e.vkey], ok), 0, ok.err());
  assert.match(ok.out(), /OK: entry 13 is in the log claiim\.test\/chron at size 20/);
  const entry12 = join(e.dir, 'e12.json');
  writeFileSync(entry12, lines(join(e.out, 'entries.jsonl'))[12] as string);
  const bad = captureIo();
  assert.equal(await chronCommand(['verify-proof', file, '--vkey', e.vkey, '--entry', entry12], bad), 1);
  assert.match(bad.err(), /ERR_CHRON_PROOF/);
});

test('chron checkpoint – log key → prints a note, key of another name → ERR_CHRON_KEY; show filters; bad flag → exit 2', async (t) => {
  const e = await exported(t);
  const io = captureIo();
  assert.equal(await chronCommand(['checkpoint', '--db', e.db, '--key', e.key], io), 0, io.err());
  assert.match(io.out(), /^claiim\.test\/chron\n20\n/);
  const show = captureIo();
  assert.equal(await chronCommand(['show', '--db', e.db, '--effect', 'deny', '--json'], show), 0, show.err());
  assert.deepEqual(show.out().trim().split('\n').map((l) => (JSON.parse(l) as { index: number }).index), [0, 3, 6, 9, 12, 15, 18]);
  const table = captureIo();
  assert.equal(await chronCommand(['show', '--db', e.db, '--limit', '2'], table), 0);
  assert.match(table.out(), /^INDEX\s+TIME\s+TYPE/);
  assert.equal(await chronCommand(['show', '--db', e.db, '--bogus'], captureIo()), 2);
  const other = join(e.dir, 'other.jwk');
  await generateSigningKey(other, 'claiim.test/other');
  const wrongKey = captureIo();
  assert.equal(await chronCommand(['checkpoint', '--db', e.db, '--key', other], wrongKey), 1);
  assert.match(wrongKey.err(), /ERR_CHRON_KEY/);
});

test('chron --help and each command --help → exit 0 with usage', async () => {
  for (const sub of ['export', 'verify', 'prove', 'verify-proof', 'checkpoint', 'show']) {
    const io = captureIo();
    assert.equal(await chronCommand([sub, '--help'], io), 0);
    assert.match(io.out(), new RegExp(`^Usage: claiim chron ${sub}`));
  }
  const io = captureIo();
  assert.equal(await chronCommand(['--help'], io), 0);
  assert.equal(await chronCommand(['nope'], captureIo()), 2);
});
