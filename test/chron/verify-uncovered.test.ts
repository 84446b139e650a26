import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chronCommand } from '../../chron/cli.js';
import { parseVerifierKeys, verifyExport } from '../../chron/index.js';
import { ORIGIN, captureIo, decision, lines, openLog, scratch, verify, writeLines } from './helpers.js';

/**
 * A live log as a running gateway has it: 10 entries, a checkpoint at 10, then 5 entries no checkpoint
 * covers yet; exported while the log is open. The auditor's vkey is kept aside.
 */
async function liveExport(t: TestContext, ...exportArgs: string[]): Promise<{ out: string; vkey: string; exportErr: string }> {
  const s = await scratch(t);
  const log = await openLog(t, s);
  for (let i = 0; i < 10; i++) await log.append(decision(i));
  await log.checkpoint();
  for (let i = 10; i < 15; i++) await log.append(decision(i));
  const vkey = join(s.dir, 'auditor.vkey');
  writeFileSync(vkey, `${log.vkeys().join('\n')}\n`);
  const out = join(s.dir, 'export');
  const io = captureIo();
  assert.equal(await chronCommand(['export', '--db', s.db, '--out', out, ...exportArgs], io), 0, io.err());
  return { out, vkey, exportErr: io.err() };
}

const leafHex = (s: string): string => createHash('sha256').update(Buffer.from([0])).update(s).digest('hex');

test('chron verify – live export with entries after the newest checkpoint → exit 3; only [0, 10) called verified, [10, 15) NOT VERIFIED', async (t) => {
  const e = await liveExport(t);
  assert.match(e.exportErr, /warning: entries \[10, 15\) come after the newest checkpoint \(size 10\)/);
  const r = await verify(e);
  assert.equal(r.code, 3, r.err);
  assert.match(r.out, /^OK: entries \[0, 10\) verified against 1 checkpoint/);
  assert.match(r.out, /^NOT VERIFIED: entries \[10, 15\) lie after the newest signed checkpoint \(size 10\)/m);
  assert.match(r.err, /5 exported entries are not covered by a signed checkpoint/);
  const allowed = await verify(e, '--allow-uncovered');
  assert.equal(allowed.code, 0, allowed.err);
  assert.equal(allowed.out, r.out, 'the flag changes the exit code, not what is reported');
});

test('chron verify – entry after the newest checkpoint edited, with its leaves line → never reported verified; exit 3', async (t) => {
  const e = await liveExport(t);
  const f = join(e.out, 'entries.jsonl');
  const l = lines(f);
  l[12] = (l[12] as string).replace('"allow"', '"deny"');
  writeLines(f, l);
  const lv = join(e.out, 'leaves');
  writeLines(lv, lines(lv).map((h, i) => (i === 12 ? leafHex(l[12] as string) : h)));
  const r = await verify(e);
  assert.equal(r.code, 3);
  assert.doesNotMatch(r.out, /\[0, 15\) verified/);
  assert.match(r.out, /NOT VERIFIED: entries \[10, 15\)/);
});

test('chron verify – forged entries appended and range raised → the forged entries are NOT VERIFIED; exit 3', async (t) => {
  const e = await liveExport(t);
  const f = join(e.out, 'entries.jsonl');
  const forged = ['{"agent":"mallory","effect":"allow","id":"forged-1","type":"chron.decision/v1"}', '{"agent":"mallory","effect":"allow","id":"forged-2","type":"chron.decision/v1"}'];
  writeLines(f, [...lines(f), ...forged]);
  writeFileSync(join(e.out, 'range'), '0 17\n');
  const lv = join(e.out, 'leaves');
  writeLines(lv, [...lines(lv), ...forged.map(leafHex)]);
  const r = await verify(e);
  assert.equal(r.code, 3);
  assert.match(r.out, /^OK: entries \[0, 10\) verified/);
  assert.match(r.out, /NOT VERIFIED: entries \[10, 17\)/);
});

test('verifyExport – range is not trusted: verifiedTo is the largest verified checkpoint size, whatever range claims', async (t) => {
  const e = await liveExport(t);
  const verifiers = parseVerifierKeys(readFileSync(e.vkey, 'utf8'));
  const r = await verifyExport(e.out, { verifiers, expectedOrigin: ORIGIN });
  assert.deepEqual({ from: r.from, to: r.to, verifiedTo: r.verifiedTo }, { from: 0, to: 15, verifiedTo: 10 });
  // A range that ends before the newest checkpoint cannot hide it: exit 1.
  writeFileSync(join(e.out, 'range'), '0 9\n');
  writeLines(join(e.out, 'entries.jsonl'), lines(join(e.out, 'entries.jsonl')).slice(0, 9));
  await assert.rejects(verifyExport(e.out, { verifiers, expectedOrigin: ORIGIN }), { code: 'ERR_CHRON_INCONSISTENT' });
});

test('chron export --to <newest checkpoint> of a live log → no warning; verify exits 0', async (t) => {
  const e = await liveExport(t, '--to', '10');
  assert.equal(e.exportErr, '');
  const r = await verify(e);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^OK: entries \[0, 10\) verified/);
  assert.doesNotMatch(r.out, /NOT VERIFIED/);
});
