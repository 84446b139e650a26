import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatTlogProof, generateSigningKey, leafHash, parseVerifierKeys, readSigningJwk, signerFromJwk, verifyTlogProof } from '../../chron/index.js';
import { loadExport } from '../../gateway/report/export-reader.js';
import { buildModel } from '../../gateway/report/model.js';
import { visible } from '../../gateway/report/escape.js';
import { reportCommand } from '../../gateway/report/command.js';
import { buildExport, HOSTILE_AGENT, HOSTILE_PATH } from './report-fixture.js';

const io = (): { stdout: { write(s: string): boolean }; stderr: { write(s: string): boolean }; out: () => string; err: () => string } => {
  let out = '';
  let err = '';
  return { stdout: { write: (s) => { out += s; return true; } }, stderr: { write: (s) => { err += s; return true; } }, out: () => out, err: () => err };
};
const NOW = (): Date => new Date('2026-02-01T00:00:00.000Z');

test('report – export of a real gateway', async (t) => {
  const f = await buildExport(t);
  const lines = readFileSync(join(f.exportDir, 'entries.jsonl')).toString('utf8').split('\n').slice(0, -1);
  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const decisions = records.filter((r) => r.type === 'chron.decision/v1');

  await t.test('loadExport – untampered export → verified, every entry covered, every proof verifies against the signed checkpoint', async () => {
    const loaded = await loadExport(f.exportDir, f.vkey);
    assert.equal(loaded.verification.ok, true);
    if (!loaded.verification.ok) return;
    assert.equal(loaded.verification.treeSize, lines.length);
    assert.equal(loaded.entries.length, lines.length);
    const verifiers = parseVerifierKeys(readFileSync(f.vkey, 'utf8'));
    for (const e of loaded.entries) {
      assert.equal(e.covered, true);
      const bytes = Buffer.from(lines[e.index] as string, 'utf8');
      const text = formatTlogProof({ extra: bytes, index: e.index, proof: (e.proof ?? []).map((h) => Buffer.from(h, 'base64')), checkpoint: loaded.verification.checkpointNote });
      assert.equal(verifyTlogProof(text, leafHash(bytes), verifiers, loaded.verification.origin).index, e.index);
    }
  });

  await t.test('buildModel – counts → match the export counted independently', async () => {
    const model = buildModel((await loadExport(f.exportDir, f.vkey)).entries);
    assert.equal(model.totals.decisions, decisions.length);
    assert.equal(model.totals.allow, decisions.filter((d) => d.effect === 'allow').length);
    assert.equal(model.totals.deny, decisions.filter((d) => d.effect === 'deny').length);
    const a1 = model.agents.find((a) => a.id === 'a1');
    assert.ok(a1);
    assert.equal(a1.deny, decisions.filter((d) => d.agent === 'a1' && d.effect === 'deny').length);
    assert.deepEqual(a1.byRule.get('gh-no-merge'), { allow: 0, deny: 1 });
    assert.deepEqual([...a1.skills], ['code-review@1.4.2']);
    assert.deepEqual([...a1.anchors], ['eng-lead@acme.example']);
    assert.equal(a1.series.allow.reduce((x, y) => x + y, 0), a1.allow);
    const merge = [...a1.capabilities.values()].find((c) => c.pattern === '/repos/acme/app/pulls/{n}/merge' && c.method === 'PUT');
    assert.deepEqual({ allowed: merge?.allowed, denied: merge?.denied }, { allowed: 1, denied: 1 });
    const anonymous = decisions.filter((d) => d.agent === null);
    assert.ok(anonymous.length >= 2);
    assert.equal(model.agents.find((a) => a.id === '(unauthenticated)')?.deny, anonymous.length);
    const s = model.sessions.find((x) => x.id === 'as-1');
    assert.deepEqual({ requester: s?.requester, approvers: s?.approvers, scope: s?.scope, actions: s?.actions.length, steps: s?.steps.length },
      { requester: 'ops@acme.example', approvers: ['admin-a@acme.example', 'admin-b@acme.example'], scope: ['gh-merge'], actions: 1, steps: 5 });
    assert.deepEqual(model.policies.map((p) => p.digest).slice(-1), ['sha256:next']);
    assert.deepEqual(model.policyEvents.map((p) => p.event), records.filter((r) => r.type === 'chron.policy/v1').map((r) => r.event));
    assert.deepEqual(model.otherTypes.map((o) => o.type), ['chron.policy-load/v9']);
  });

  await t.test('reportCommand – verified export → exit 0, one self-contained page with a CSP forbidding the network', async () => {
    const out = join(f.dir, 'report.html');
    const c = io();
    assert.equal(await reportCommand(['--export', f.exportDir, '--vkey', f.vkey, '--out', out], c, NOW), 0, c.err());
    const page = readFileSync(out, 'utf8');
    assert.match(page, /id="verification" class="banner ok" data-status="verified"/);
    assert.match(page, new RegExp(`data-count="entries">${lines.length}<`));
    const keyId = readFileSync(f.vkey, 'utf8').trim().split('+').slice(0, 2).join('+');
    assert.match(page, new RegExp(`<th>key id</th><td class="mono">${keyId.replace(/[.+]/g, '\\$&')}</td>`));
    assert.match(page, new RegExp(`data-count="deny">${decisions.filter((d) => d.effect === 'deny').length}<`));
    assert.match(page, /Content-Security-Policy" content="default-src &#39;none&#39;; script-src &#39;sha256-[^"]*connect-src &#39;none&#39;/);
    assert.doesNotMatch(page, /<(script|link|img|iframe)[^>]+(src|href)=/i, 'no external resource is referenced');
    assert.equal(page.match(/<script/g)?.length, 3, 'data, chart library and report script only');
  });

  await t.test('reportCommand – hostile path and agent in entries → escaped everywhere, cannot inject markup', async () => {
    const out = join(f.dir, 'hostile.html');
    assert.equal(await reportCommand(['--export', f.exportDir, '--vkey', f.vkey, '--out', out], io(), NOW), 0);
    const page = readFileSync(out, 'utf8');
    assert.equal(page.includes('<script>alert'), false);
    assert.equal(page.includes('<img src=x'), false);
    assert.equal(page.includes('<svg'), false);
    assert.equal(page.includes('</td><script'), false);
    assert.equal(page.includes('\u2028'), false, 'U+2028 never reaches the page raw');
    assert.equal(page.includes('\u202e'), false, 'bidi overrides never reach the page raw');
    assert.match(page, /&lt;script&gt;alert\(1\)&lt;\/script&gt;\\u\{000D\}\\u\{000A\}\\u\{2028\}\\u\{202E\}/, 'the hostile path is shown, visibly');
    const data = /<script id="report-data" type="application\/json">([^<]*)<\/script>/.exec(page);
    assert.ok(data, 'the embedded data contains no "<" at all');
    const parsed = JSON.parse(data[1] as string) as { rows: unknown[][]; raw: string[] };
    assert.ok(parsed.rows.some((r) => r[8] === visible(HOSTILE_PATH) && r[3] === HOSTILE_AGENT), 'the table shows the path visibly');
    assert.ok(parsed.raw.some((r) => (JSON.parse(r) as { path?: string }).path === HOSTILE_PATH), 'the entry bytes round-trip exactly');
  });

  await t.test('reportCommand – one entry changed after export → exit 1, red banner naming the entry, no proofs', async () => {
    const dir = join(f.dir, 'tampered');
    cpSync(f.exportDir, dir, { recursive: true });
    const file = join(dir, 'entries.jsonl');
    const text = readFileSync(file, 'utf8');
    const at = text.indexOf('"effect":"deny"');
    writeFileSync(file, `${text.slice(0, at)}"effect":"allow"${text.slice(at + '"effect":"deny"'.length)}`);
    const index = text.slice(0, at).split('\n').length - 1;
    const out = join(f.dir, 'tampered.html');
    const c = io();
    assert.equal(await reportCommand(['--export', dir, '--vkey', f.vkey, '--out', out], c, NOW), 1);
    assert.match(c.err(), /ERR_CHRON_LEAF_MISMATCH/);
    const page = readFileSync(out, 'utf8');
    assert.match(page, /id="verification" class="banner fail" role="alert" data-status="failed"/);
    assert.match(page, new RegExp(`<strong>ERR_CHRON_LEAF_MISMATCH</strong>: entry ${index}:`));
    assert.equal(page.includes('data-status="verified"'), false);
    assert.match(page, /<h2>Agents <span class="tag bad">UNVERIFIED<\/span><\/h2>/);
    const data = JSON.parse(/<script id="report-data" type="application\/json">([^<]*)<\/script>/.exec(page)?.[1] ?? '{}') as { proof: unknown[]; verified: boolean };
    assert.equal(data.verified, false);
    assert.ok(data.proof.every((p) => p === null));
  });

  await t.test('reportCommand – key of another log → exit 1, banner names the signature failure', async () => {
    await generateSigningKey(join(f.dir, 'other.jwk'), 'claiim.test/it');
    const other = join(f.dir, 'other.vkey');
    writeFileSync(other, `${signerFromJwk(await readSigningJwk(join(f.dir, 'other.jwk')), 'claiim.test/it').vkey}\n`);
    const out = join(f.dir, 'other.html');
    assert.equal(await reportCommand(['--export', f.exportDir, '--vkey', other, '--out', out], io(), NOW), 1);
    assert.match(readFileSync(out, 'utf8'), /data-status="failed"[\s\S]*ERR_CHRON_SIGNATURE/);
  });
});

test('reportCommand – missing --vkey → exit 2 with the usage', async () => {
  const c = io();
  assert.equal(await reportCommand(['--export', '/nonexistent', '--out', '/tmp/x.html'], c, NOW), 2);
  assert.match(c.err(), /--vkey is required/);
});
