import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { rawRequest, startHarness, type Harness } from '../helpers/harness.js';

/**
 * The attack catalogue (shared/security/CASES.md) for the request line, headers and framing, as raw
 * requests against a running gateway. Every attack has a benign twin of the same shape that must still be
 * allowed, so over-blocking fails the suite too. Body and GraphQL cases live in attacks-body.test.ts.
 */
interface Case { id: string; attack: string; expect: number; reason?: string; twin?: string }

const H = (method: string, target: string, extra = '', body = ''): string =>
  `${method} ${target} HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Bearer TOKEN\r\n${extra}${body ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : ''}\r\n${body}`;
const M = '/github/repos/acme/app/pulls/7/merge';
const READ = '/github/repos/acme/app/pulls/7';

const CASES: Case[] = [
  { id: 'P01', attack: H('PUT', '/github/repos/acme/app/pulls/7/x/../merge'), expect: 403, reason: 'denied_by_rule', twin: H('GET', '/github/repos/acme/app/pulls/7/x/../files') },
  { id: 'P02', attack: H('PUT', '/github/repos/acme/app/pulls/7/%2e%2e/7/merge'), expect: 403, reason: 'denied_by_rule', twin: H('GET', '/github/repos/acme/app/pulls/7/%2e%2e/7/files') },
  { id: 'P02b', attack: H('PUT', '/github/repos/acme/app/pulls/7/.%2E/7/merge'), expect: 403, twin: H('GET', '/github/repos/acme/app/pulls/7/.%2E/7') },
  { id: 'P04', attack: H('PUT', '/github/repos/acme/app/pulls/7%2Fmerge'), expect: 400, reason: 'path_encoded_separator', twin: H('GET', READ) },
  { id: 'P05', attack: H('PUT', '/github/repos/acme/app/pulls/7%5cmerge'), expect: 400, reason: 'path_encoded_separator', twin: H('GET', READ) },
  { id: 'P06', attack: H('PUT', '//github/repos/acme/app/pulls/7/merge'), expect: 403, twin: H('GET', '//github/repos/acme/app/pulls/7') },
  { id: 'P06b', attack: H('PUT', '/github/repos//acme/app/pulls/7/merge'), expect: 403, twin: H('GET', '/github/repos//acme/app/pulls/7') },
  { id: 'P07', attack: H('PUT', `${M}/`), expect: 403, twin: H('GET', `${READ}/`) },
  { id: 'P09', attack: H('PUT', `${M};x=1`), expect: 400, reason: 'path_forbidden_character', twin: H('GET', READ) },
  { id: 'P09b', attack: H('PUT', '/github/repos/acme/app/..;/pulls/7/merge'), expect: 400, twin: H('GET', READ) },
  { id: 'P10', attack: H('PUT', '/github/repos/acme/app/pulls/7\\merge'), expect: 400, twin: H('GET', READ) },
  { id: 'P11', attack: H('PUT', `${M}%00.json`), expect: 400, twin: H('GET', `${READ}`) },
  { id: 'P14', attack: H('PUT', `${M}%20`), expect: 400, twin: H('GET', READ) },
  { id: 'P14b', attack: H('PUT', '/github/repos/acme/app/pulls/7/%0Dmerge'), expect: 400, twin: H('GET', READ) },
  { id: 'P15', attack: H('PUT', `${M}#x`), expect: 400, twin: H('GET', READ) },
  { id: 'P16', attack: H('PUT', `${M}?p=/../../issues/1/comments`), expect: 403, twin: H('GET', `${READ}?p=/../../x`) },
  { id: 'P17', attack: H('PUT', `https://api.github.com/repos/acme/app/pulls/7/merge`), expect: 400, reason: 'absolute_target_foreign', twin: H('GET', `http://gw.test${READ}`) },
  { id: 'M01', attack: H('POST', M, 'X-HTTP-Method-Override: PUT\r\n', '{}'), expect: 400, reason: 'method_override', twin: H('POST', '/github/repos/acme/app/issues/1/comments', '', '{"body":"x"}') },
  { id: 'M01b', attack: H('POST', M, 'X-Method-Override: PUT\r\n', '{}'), expect: 400, reason: 'method_override', twin: H('POST', '/github/repos/acme/app/issues/1/comments', '', '{"body":"x"}') },
  { id: 'M02', attack: H('POST', `${M}?_method=PUT`, '', '{}'), expect: 400, reason: 'method_override', twin: H('POST', '/github/repos/acme/app/issues/1/comments?x=PUT', '', '{"body":"x"}') },
  { id: 'M05', attack: H('put', M), expect: 400, twin: H('GET', READ) },
  { id: 'M07', attack: 'CONNECT 10.0.0.5:22 HTTP/1.1\r\nHost: 10.0.0.5:22\r\n\r\n', expect: 405, twin: H('GET', READ) },
  { id: 'M08', attack: H('TRACE', '/github/repos/acme/app'), expect: 405, reason: 'method_not_allowed', twin: H('GET', '/github/repos/acme/app') },
  { id: 'H03', attack: H('POST', '/github/repos/acme/app/issues/1/comments', 'Content-Length: 0\r\nContent-Length: 2\r\n', ''), expect: 400, twin: H('POST', '/github/repos/acme/app/issues/1/comments', '', '{"body":"x"}') },
  { id: 'H09', attack: H('GET', READ, 'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n'), expect: 400, twin: H('GET', READ, 'Connection: keep-alive\r\n') },
  { id: 'H10', attack: H('GET', READ, 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n'), expect: 400, twin: H('GET', READ) },
  { id: 'J14', attack: H('GET', READ, 'Authorization: Bearer TOKEN\r\n'), expect: 400, twin: H('GET', READ) },
  { id: 'R03', attack: H('GET', 'http://169.254.169.254/latest/meta-data/'), expect: 400, twin: H('GET', READ) },
  { id: 'R04', attack: H('PUT', M, 'X-Forwarded-Host: internal\r\nForwarded: host=internal\r\n'), expect: 403, twin: H('GET', READ, 'X-Forwarded-Host: internal\r\n') },
];

async function send(h: Harness, token: string, text: string): Promise<{ status: number; body: string }> {
  const r = await rawRequest(h.gw.agentUrl, text.replaceAll('TOKEN', token));
  return { status: r.status, body: r.body };
}

test('attack catalogue (request line, headers, framing) – every attack refused, every benign twin allowed', async (t: TestContext) => {
  const h = await startHarness(t);
  const token = await h.token('a1');
  for (const c of CASES) {
    const before = h.upstream.received.length;
    const r = await send(h, token, c.attack);
    assert.equal(r.status, c.expect, `${c.id}: ${r.body}`);
    if (c.reason) assert.equal((JSON.parse(r.body) as { reason: string }).reason, c.reason, c.id);
    assert.equal(h.upstream.received.length, before, `${c.id}: attack reached the upstream`);
    if (c.twin) {
      const twin = await send(h, token, c.twin);
      assert.ok(twin.status >= 200 && twin.status < 300, `${c.id} twin: ${twin.status} ${twin.body}`);
      assert.equal(h.upstream.received.length, before + 1, `${c.id} twin did not reach the upstream`);
    }
  }
  // Every answered attack is in Chron (L02): nothing the agent tried goes unrecorded.
  const denies = h.entries().filter((e) => e.type === 'chron.decision/v1' && e.effect === 'deny');
  assert.ok(denies.length >= CASES.length, `only ${denies.length} denies recorded`);
  assert.equal(h.rawEntries().includes(token), false);
});

test('attack catalogue – a bare-CR header and obs-fold are refused by the strict parser (H04, H05)', async (t: TestContext) => {
  const h = await startHarness(t);
  const token = await h.token('a1');
  for (const text of [
    `GET ${READ} HTTP/1.1\r\nHost: gw.test\r\nX-A: \rTransfer-Encoding: chunked\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    `POST /github/repos/acme/app/issues/1/comments HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 4\r\n 4\r\nAuthorization: Bearer ${token}\r\n\r\n{}{}`,
    `POST /github/repos/acme/app/issues/1/comments HTTP/1.0\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\nAuthorization: Bearer ${token}\r\n\r\n{}`,
  ]) {
    const r = await rawRequest(h.gw.agentUrl, text);
    assert.equal(r.status, 400);
  }
  assert.equal(h.upstream.received.length, 0);
});
