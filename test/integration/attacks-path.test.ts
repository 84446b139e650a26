import { createHash } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { jsonReq, req, runCases, startAttackHarness, type AttackCase } from '../helpers/attack-harness.js';

/**
 * CASES.md P19/P20 and the canonical bytes of the P rows under the fixture policy, and "L — Audit log
 * integrity" (L01: CRLF, ANSI escapes, U+2028 and 100 KB in what a request carries; L02: every pre-policy
 * refusal recorded with its raw target and reason, never a token or credential; the chain still verifies).
 */
const READ = '/github/repos/acme/app/pulls/7';
const PRIVATE = '{"ticket":{"comment":{"body":"hi","public":false}}}';
const PUBLIC = '{"ticket":{"comment":{"body":"hi"}}}';

const PATHS: AttackCase[] = [
  { id: 'P19', attack: jsonReq('PUT', '/github/repositories/1296269/pulls/7/merge', '{}'), status: 403, rule: 'gh-no-repo-by-id', twin: req('GET', READ), twinTarget: '/repos/acme/app/pulls/7' },
  { id: 'P19b', attack: req('GET', '/github/repositories/1296269/pulls/7'), status: 403, rule: 'gh-no-repo-by-id', twin: req('GET', READ) },
  { id: 'P20', attack: jsonReq('PUT', '/zendesk/api/v2/tickets/42.json', PUBLIC), status: 403, reason: 'no_matching_rule', twin: jsonReq('PUT', '/zendesk/api/v2/tickets/42.json', PRIVATE), twinTarget: '/api/v2/tickets/42.json', twinUpstream: 'zendesk' },
  { id: 'P20b', attack: jsonReq('PUT', '/zendesk/api/v2/tickets/42', PUBLIC), status: 403, reason: 'no_matching_rule', twin: jsonReq('PUT', '/zendesk/api/v2/tickets/42', PRIVATE), twinTarget: '/api/v2/tickets/42', twinUpstream: 'zendesk' },
  { id: 'P02', attack: req('PUT', '/github/repos/acme/%61pp/pulls/7/%6Derge'), status: 403, rule: 'gh-no-merge', twin: req('GET', '/github/repos/acme/%61pp/pulls/%37'), twinTarget: '/repos/acme/app/pulls/7' },
  { id: 'P02c', attack: req('PUT', '/github/REPOS/Acme/APP/pulls/7/merge'), status: 403, rule: 'gh-no-merge', twin: req('GET', '/github/REPOS/Acme/APP/pulls/7'), twinTarget: '/REPOS/Acme/APP/pulls/7' },
  { id: 'P06', attack: req('PUT', '/github/./repos/acme/app/pulls/7/./merge'), status: 403, rule: 'gh-no-merge', twin: req('GET', '/github//repos/acme/app/./pulls//7/'), twinTarget: '/repos/acme/app/pulls/7' },
  { id: 'P09', attack: req('PUT', '/github/repos/acme/app/pulls/7;/merge'), status: 400, reason: 'path_forbidden_character', twin: req('GET', READ) },
  { id: 'P16', attack: req('PUT', '/github/repos/acme/app/pulls/7/merge%3fa=b'), status: 403, reason: 'no_matching_rule', twin: req('GET', '/github/repos/acme/app/pulls/7%3fa=b'), twinTarget: '/repos/acme/app/pulls/7%3Fa=b' },
  { id: 'P17', attack: req('PUT', 'http://gw.test/github/repos/acme/app/pulls/7/merge'), status: 403, rule: 'gh-no-merge', twin: req('GET', `http://gw.test${READ}`), twinTarget: '/repos/acme/app/pulls/7' },
  { id: 'P17b', attack: req('GET', `http://GW.test@evil.example${READ}`), status: 400, reason: 'absolute_target_foreign', twin: req('GET', READ) },
  { id: 'R03', attack: req('GET', '/github/../../latest/meta-data/'), status: 400, reason: 'path_above_root', twin: req('GET', READ) },
];

test('attack catalogue P (fixture policy) – P19 ids denied, P20 forms decided alike, canonical bytes forwarded', async (t: TestContext) => {
  const h = await startAttackHarness(t);
  await runCases(h, PATHS, (a, b, m) => assert.equal(a, b, m));
});

/** True when `s` holds nothing that can break a line or drive a terminal: only printable ASCII. */
const printable = (s: unknown): boolean => typeof s === 'string' && /^[\x20-\x7e]*$/.test(s);

test('L01 – CRLF, ANSI escapes, U+2028 and oversize targets are refused and recorded escaped or truncated with a hash; the chain verifies', async (t: TestContext) => {
  const h = await startAttackHarness(t);
  const long = `/github/repos/acme/app/${'a'.repeat(10_000)}`;
  const cases: { id: string; raw: string | Buffer; status: number; rawPath?: string }[] = [
    { id: 'crlf', raw: req('GET', '/github/repos/acme/app/%0D%0AX-Injected:%201'), status: 400, rawPath: '/github/repos/acme/app/%0D%0AX-Injected:%201' },
    { id: 'ansi', raw: req('GET', '/github/repos/acme/app/%1B%5B31mred'), status: 400, rawPath: '/github/repos/acme/app/%1B%5B31mred' },
    { id: 'u2028-escaped', raw: req('GET', '/github/repos/acme/app/%E2%80%A8x'), status: 400, rawPath: '/github/repos/acme/app/%E2%80%A8x' },
    { id: 'u2028-raw', raw: Buffer.concat([Buffer.from('GET /github/repos/acme/app/'), Buffer.from('\u2028\u009b31m', 'utf8'), Buffer.from(' HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Bearer TOKEN\r\n\r\n')]), status: 400 },
    { id: 'ansi-raw', raw: Buffer.from(`GET /github/repos/acme/app/\x1b[31m HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Bearer TOKEN\r\n\r\n`, 'latin1'), status: 400 },
    { id: 'header-ansi', raw: req('GET', READ, 'X-Note: \x1b[31mred\r\n'), status: 400 },
    { id: 'long', raw: req('GET', long), status: 400 },
    { id: '100KB-header', raw: req('GET', READ, `X-Big: ${'b'.repeat(100_000)}\r\n`), status: 431 },
  ];
  for (const c of cases) {
    const from = h.gw.chron.treeSize();
    const r = await h.send(c.raw);
    assert.equal(r.status, c.status, `${c.id}: ${r.body.slice(0, 200)}`);
    const entries = h.entriesFrom(from).filter((e) => e.type === 'chron.decision/v1');
    assert.equal(entries.length, 1, `${c.id}: recorded`);
    const e = entries[0] as Record<string, unknown>;
    assert.equal(e.effect, 'deny');
    assert.equal(e.status, c.status);
    if (c.rawPath !== undefined) assert.equal(e.raw_path, c.rawPath, `${c.id}: raw target`);
    if (e.raw_path !== null) assert.ok(printable(e.raw_path), `${c.id}: raw_path holds unprintable characters: ${JSON.stringify(e.raw_path)}`);
    await h.verifyEntry(from);
  }
  const longEntry = h.entriesFrom(0).find((e) => typeof e.raw_path === 'string' && e.raw_path.startsWith('/github/repos/acme/app/aaaa'));
  assert.ok(longEntry, 'the long target was recorded');
  assert.ok((longEntry.raw_path as string).length <= 512);
  assert.equal(longEntry.raw_path_sha256, createHash('sha256').update(long).digest('hex'));
  // The stored bytes (RFC 8785 JSON) hold no raw line break, escape or line/paragraph separator.
  const raw = h.rawEntries();
  assert.equal(/[\r\u001b\u2028\u2029\u0085\u009b]/.test(raw), false, 'an entry holds a raw control character');
  assert.equal(raw.includes('b'.repeat(1000)), false, 'a header value was recorded');
});

test('L02 – every pre-policy refusal (400/401/404/405/413/431) is recorded with raw target and reason, never the JWT or a credential', async (t: TestContext) => {
  const h = await startAttackHarness(t);
  const attempts = [
    req('GET', '/github/repos/acme/app/pulls/7%2Fmerge'), req('TRACE', '/github/repos/acme/app'), req('GET', '/nowhere/x'),
    req('GET', READ, '', '', 'Authorization: Bearer not.a.jwt\r\n'), req('GET', READ, '', '', ''),
    `POST /github/repos/acme/app/pulls/7/reviews HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Bearer TOKEN\r\nContent-Type: application/json\r\nContent-Length: 999999\r\n\r\n{`,
  ];
  const statuses: number[] = [];
  for (const a of attempts) {
    const from = h.gw.chron.treeSize();
    const r = await h.send(a);
    statuses.push(r.status);
    const e = h.entriesFrom(from).find((x) => x.type === 'chron.decision/v1');
    assert.ok(e, `${r.status}: not recorded`);
    assert.equal(e.reason, r.json?.reason);
    assert.equal(e.rule_id, 'pre_policy');
    assert.equal(typeof e.raw_path, 'string');
  }
  assert.deepEqual(statuses, [400, 405, 404, 401, 401, 413]);
  const raw = h.rawEntries();
  assert.equal(raw.includes(h.token), false);
  assert.equal(raw.includes('not.a.jwt'), false);
  for (const f of Object.values(h.fakes)) assert.equal(raw.includes(f.credentialSecret), false);
  assert.equal(h.received(), 0);
});
