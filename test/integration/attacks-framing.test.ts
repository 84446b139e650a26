import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { jsonReq, req, runCases, startAttackHarness, type AttackCase } from '../helpers/attack-harness.js';

/**
 * CASES.md "H — Framing, smuggling, headers" (H06, H11, H12, H13, H15 and the framing rows again under the
 * fixture policy) and R01 (upstream redirects), as raw requests against the running gateway.
 */
const COMMENTS = '/github/repos/acme/app/issues/1/comments';
const REVIEWS = '/github/repos/acme/app/pulls/7/reviews';
const READ = '/github/repos/acme/app/pulls/7';
const COMMENT = jsonReq('POST', COMMENTS, '{"body":"x"}');
const head = (method: string, target: string, extra: string, version = '1.1'): string =>
  `${method} ${target} HTTP/${version}\r\nHost: gw.test\r\nAuthorization: Bearer TOKEN\r\n${extra}\r\n`;

const FRAMING: AttackCase[] = [
  { id: 'H01', attack: `${head('POST', COMMENTS, 'Content-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n')}0\r\n\r\nPUT /github/repos/acme/app/pulls/7/merge HTTP/1.1\r\nHost: gw.test\r\n\r\n`, status: 400, twin: COMMENT, twinTarget: '/repos/acme/app/issues/1/comments' },
  { id: 'H02', attack: `${head('POST', COMMENTS, 'Transfer-Encoding: xchunked\r\n')}0\r\n\r\n`, status: 400, twin: COMMENT },
  { id: 'H02b', attack: `${head('POST', COMMENTS, 'Transfer-Encoding: chunked, identity\r\n')}0\r\n\r\n`, status: 400, twin: COMMENT },
  { id: 'H02c', attack: `${head('POST', COMMENTS, 'Transfer-Encoding : chunked\r\n')}0\r\n\r\n`, status: 400, twin: COMMENT },
  { id: 'H02d', attack: `${head('POST', COMMENTS, 'Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n')}0\r\n\r\n`, status: 400, twin: COMMENT },
  { id: 'H03', attack: `${head('POST', COMMENTS, 'Content-Length: 4, 44\r\n')}{}{}`, status: 400, twin: COMMENT },
  { id: 'H06', attack: `${head('POST', REVIEWS, 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n')}5;${'a'.repeat(1 << 20)}\r\n{"a":\r\n0\r\n\r\n`, status: 400, twin: jsonReq('POST', REVIEWS, '{"event":"COMMENT"}') },
  { id: 'H06b', attack: `${head('POST', REVIEWS, 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n')}5;x\n{"a":\r\n0\r\n\r\n`, status: 400, twin: jsonReq('POST', REVIEWS, '{"event":"COMMENT"}') },
  { id: 'H11', attack: `${head('POST', REVIEWS, 'Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 19\r\n')}{"event":"APPROVE"}`, status: 403, reason: 'no_matching_rule', twin: `${head('POST', REVIEWS, 'Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 19\r\n')}{"event":"COMMENT"}` },
  { id: 'H12', attack: `${head('POST', COMMENTS, 'Transfer-Encoding: chunked\r\nContent-Length: 2\r\n', '1.0')}{}`, status: 400, twin: COMMENT },
  { id: 'H15', attack: jsonReq('POST', REVIEWS, '{"event":"COMMENT"}', 'Content-Type: text/plain\r\n'), status: 400, reason: 'duplicate_header', twin: jsonReq('POST', REVIEWS, '{"event":"COMMENT"}') },
  { id: 'H15b', attack: req('GET', READ, 'Host: evil.example\r\n'), status: 400, twin: req('GET', READ) },
  // HTTP/1.0 with Transfer-Encoding is faulty framing even without Content-Length (RFC 9112 §6.1).
  { id: 'H12b', attack: `${head('POST', COMMENTS, 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n', '1.0')}c\r\n{"body":"x"}\r\n0\r\n\r\n`, status: 400, reason: 'ambiguous_framing', twin: COMMENT },
  // L02: what Node would answer by itself, unrecorded (no Host: 400; an unknown Expect: 417), is refused and recorded.
  { id: 'L02-host', attack: 'PUT /github/repos/acme/app/pulls/7/merge HTTP/1.1\r\nAuthorization: Bearer TOKEN\r\n\r\n', status: 400, reason: 'missing_host', twin: COMMENT },
  { id: 'L02-host-absolute', attack: 'PUT http://gw.test/github/repos/acme/app/pulls/7/merge HTTP/1.1\r\nAuthorization: Bearer TOKEN\r\n\r\n', status: 400, reason: 'missing_host', twin: COMMENT },
  { id: 'L02-expect', attack: `${head('PUT', '/github/repos/acme/app/pulls/7/merge', 'Content-Type: application/json\r\nExpect: 200-ok\r\nContent-Length: 25\r\n')}{"merge_method":"squash"}`, status: 417, reason: 'expectation_failed', twin: COMMENT },
];

test('attack catalogue H (framing, smuggling) under the fixture policy – refused before any upstream byte, recorded; twins forwarded', async (t: TestContext) => {
  const h = await startAttackHarness(t);
  await runCases(h, FRAMING, (a, b, m) => assert.equal(a, b, m));
});

test('H06 – a 1 MB chunk extension on a streamed (no body rule) route: 400, and the upstream never receives a complete request', async (t: TestContext) => {
  const h = await startAttackHarness(t);
  const r = await h.send(`${head('POST', COMMENTS, 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n')}5;${'a'.repeat(1 << 20)}\r\n{"a":\r\n0\r\n\r\n`);
  assert.equal(r.status, 400);
  // A refusal by Node's parser is answered in the same shape as every other gateway answer.
  const body = JSON.parse(r.body) as Record<string, unknown>;
  assert.equal(body.reason, 'malformed_request');
  assert.deepEqual(body.error, { type: 'claiim', code: 'malformed_request', message: body.message });
  assert.match(String(body.message), /^claiim: malformed_request: Node's strict HTTP parser refused/);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(h.received(), 0);
});

test('H12b – HTTP/1.0 with Transfer-Encoding alone: 400 and the connection is closed, so a pipelined request behind it is never read', async (t: TestContext) => {
  const h = await startAttackHarness(t);
  const r = await h.send(`${head('POST', COMMENTS, 'Content-Type: application/json\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n', '1.0')}c\r\n{"body":"x"}\r\n0\r\n\r\n${req('GET', READ)}`);
  assert.equal(r.status, 400);
  assert.equal(r.json?.reason, 'ambiguous_framing');
  assert.equal(r.headers.connection, 'close');
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(h.received(), 0);
});

test('H08/H13 – hop-by-hop and Connection-named headers dropped, gateway-added headers kept, one Content-Length upstream', async (t: TestContext) => {
  const h = await startAttackHarness(t);
  const r = await h.send(`${head('POST', COMMENTS, 'Content-Type: application/json\r\nConnection: close, X-Forwarded-For, X-Request-Id, Authorization, X-Custom\r\nX-Custom: drop-me\r\nX-Forwarded-For: 10.0.0.1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nTransfer-Encoding: chunked\r\n')}c\r\n{"body":"x"}\r\n0\r\n\r\n`);
  assert.equal(r.status, 201, r.body);
  const got = h.fakes.github.received.at(-1);
  const names = (got?.rawHeaders ?? []).filter((_v, i) => i % 2 === 0).map((n) => n.toLowerCase());
  for (const n of ['x-custom', 'x-forwarded-for', 'keep-alive', 'te', 'transfer-encoding']) assert.equal(names.includes(n), false, n);
  assert.equal(got?.headers.authorization, h.fakes.github.expectedCredential, 'the injected credential survives Connection: authorization');
  assert.equal(names.includes('x-request-id'), true, 'the gateway request id survives Connection: x-request-id');
  assert.equal(got?.headers['content-length'], '12');
  assert.equal(got?.body.toString(), '{"body":"x"}');
});

test('R01 – an upstream 307 to another host is passed back, never followed with the injected credential', async (t: TestContext) => {
  let hits = 0;
  const attacker = createServer((_q, s) => { hits++; s.end('{}'); });
  await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => attacker.close(() => r())));
  const to = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/x`;
  const h = await startAttackHarness(t, { github: { behaviour: { redirectTo: to } } });
  for (const text of [req('GET', READ), COMMENT]) {
    const r = await h.send(text);
    assert.ok(r.status === 307 || r.status === 502, `status ${r.status}`);
    if (r.status === 307) assert.equal(r.headers.location, to);
  }
  assert.equal(hits, 0, 'the gateway followed a redirect');
  assert.equal(h.fakes.github.received.length, 2);
});
