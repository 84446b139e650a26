import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chronCommand } from '../../chron/index.js';
import { loadExport } from '../../gateway/report/export-reader.js';
import { reportCommand } from '../../gateway/report/command.js';
import { captureIo, decision, openLog, scratch } from '../chron/helpers.js';

test('report – live export with 5 entries after the newest checkpoint → those 5 NOT covered, exit 3, like claiim chron verify', async (t) => {
  const s = await scratch(t);
  const log = await openLog(t, s);
  for (let i = 0; i < 10; i++) await log.append(decision(i));
  await log.checkpoint();
  for (let i = 10; i < 14; i++) await log.append(decision(i));
  // In the uncovered tail: an agent seen nowhere else, and an approval session (as an edited export could add).
  await log.append({ type: 'chron.approval/v1', event: 'activated', session_id: 'FORGED-SESSION', time: '2026-01-01T00:00:20.000Z', agent: 'tail-only-agent', approvers: ['ciso@x', 'cto@x'], scope: ['github/prod-change'] });
  const vkey = join(s.dir, 'auditor.vkey');
  writeFileSync(vkey, `${log.vkeys().join('\n')}\n`);
  const dir = join(s.dir, 'export');
  assert.equal(await chronCommand(['export', '--db', s.db, '--out', dir], captureIo()), 0);

  const loaded = await loadExport(dir, vkey);
  assert.equal(loaded.verification.ok, true);
  assert.deepEqual(loaded.entries.map((e) => e.covered), [...Array(10).fill(true), ...Array(5).fill(false)]);
  assert.deepEqual(loaded.entries.filter((e) => e.proof !== undefined).map((e) => e.index), Array.from({ length: 10 }, (_, i) => i));

  const verify = captureIo();
  assert.equal(await chronCommand(['verify', dir, '--vkey', vkey], verify), 3);
  assert.match(verify.out(), /NOT VERIFIED: entries \[10, 15\)/);

  const io = captureIo();
  const out = join(s.dir, 'report.html');
  assert.equal(await reportCommand(['--export', dir, '--vkey', vkey, '--out', out], io), 3);
  assert.match(io.out(), /^OK: verified 10 entries \(tree size 10\)/);
  assert.match(io.err(), /5 entries lie after the newest signed checkpoint and are NOT verified/);
  const page = readFileSync(out, 'utf8');
  assert.match(page, /data-count="uncovered">5 entries lie after the newest signed checkpoint and are NOT verified; they are left out of the summary/);
  // Sections are built from covered entries only; the table (report data) still lists all 15.
  assert.match(page, /data-count="entries">10</);
  const sections = page.slice(0, page.indexOf('<section id="entries">'));
  assert.equal(sections.includes('FORGED-SESSION'), false, 'a session only in the uncovered tail is not shown as a session');
  assert.equal(sections.includes('tail-only-agent'), false);
  assert.ok(page.includes('FORGED-SESSION'), 'the entry itself is still in the table data, marked not covered');
});
