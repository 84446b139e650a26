import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { request } from 'undici';
import { rawRequest, startHarness } from '../helpers/harness.js';

const h1 = (method: string, path: string, headers: Record<string, string> = {}, body = ''): string => {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: gw.test'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
};

test('gateway – allowed GET reaches the upstream with the injected credential and without the agent token; Chron records ALLOW', async (t) => {
  const h = await startHarness(t);
  const token = await h.token('a1');
  const res = await request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/7`, { headers: { authorization: `Bearer ${token}`, cookie: 'session=1', 'x-forwarded-host': 'evil' } });
  const text = await res.body.text();
  assert.equal(res.statusCode, 200, text);
  assert.equal(h.upstream.received.length, 1);
  const got = h.upstream.received[0]!;
  assert.equal(got.method, 'GET');
  assert.equal(got.target, '/repos/acme/app/pulls/7');
  assert.equal(got.headers.authorization, h.upstream.expectedCredential);
  assert.equal(JSON.stringify(got.rawHeaders).includes(token), false, 'the agent token never goes upstream');
  assert.equal(got.headers.cookie, undefined);
  assert.equal(got.headers['x-forwarded-host'], undefined);
  assert.match(String(got.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  assert.equal(text.includes(h.upstream.expectedCredential.split(' ')[1]!), false, 'the credential never comes back');
  await waitFor(() => h.entries().length === 2);
  const [decision, outcome] = h.entries();
  assert.equal(decision?.type, 'chron.decision/v1');
  assert.equal(decision?.effect, 'allow');
  assert.equal(decision?.rule_id, 'gh-read');
  assert.equal(decision?.agent, 'a1');
  assert.equal(decision?.anchor, 'eng-lead@acme.example');
  assert.equal(decision?.aiorg, 'engineering');
  assert.equal(decision?.skill, 'code-review@1.4.2');
  assert.equal(decision?.upstream, 'github');
  assert.equal(decision?.path, '/repos/acme/app/pulls/7');
  assert.equal(decision?.request_id, got.headers['x-request-id']);
  assert.equal(outcome?.type, 'chron.outcome/v1');
  assert.equal(outcome?.status, 200);
  const raw = h.rawEntries();
  assert.equal(raw.includes(token), false);
  assert.equal(raw.includes(h.upstream.expectedCredential), false);
});

test('gateway – a denied request never reaches the upstream; 403 names rule, reason, anchor, decision id and Chron index', async (t) => {
  const h = await startHarness(t);
  const token = await h.token('a1');
  const res = await request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/7/merge`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"merge_method":"squash"}' });
  const body = await res.body.json() as Record<string, unknown>;
  assert.equal(res.statusCode, 403);
  assert.equal(body.effect, 'deny');
  assert.equal(body.rule_id, 'gh-no-merge');
  assert.equal(body.reason, 'denied_by_rule');
  assert.equal(body.anchor, 'eng-lead@acme.example');
  assert.equal(typeof body.decision_id, 'string');
  assert.equal(h.allEntries()[body.chron_index as number]?.decision_id, body.decision_id, 'chron_index points at this decision');
  // What API clients read to raise an error: `message` (Octokit) and an `error` object (stripe-node).
  const message = 'claiim: denied_by_rule (rule gh-no-merge): a deny rule matched (deny wins)';
  assert.equal(body.message, message);
  assert.deepEqual(body.error, { type: 'claiim', code: 'denied_by_rule', message });
  assert.equal(h.upstream.received.length, 0);
  const e = h.entries()[0];
  assert.equal(e?.decision_id, body.decision_id);
  assert.equal(e?.effect, 'deny');
  assert.equal(e?.rule_id, 'gh-no-merge');
});

test('gateway – no matching allow rule → 403 default_deny, recorded', async (t) => {
  const h = await startHarness(t);
  const res = await request(`${h.gw.agentUrl}/github/repos/acme/other/pulls/7`, { headers: { authorization: `Bearer ${await h.token('a1')}` } });
  const body = await res.body.json() as Record<string, unknown>;
  assert.equal(res.statusCode, 403);
  assert.equal(body.rule_id, 'default_deny');
  assert.equal(body.reason, 'no_matching_rule');
  assert.equal(h.upstream.received.length, 0);
  assert.equal(h.entries()[0]?.rule_id, 'default_deny');
});

test('gateway – invalid token → 401 with the reason code, recorded, token nowhere', async (t) => {
  const h = await startHarness(t);
  const bad = (await h.token('a1')).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
  const res = await request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/7`, { headers: { authorization: `Bearer ${bad}` } });
  const text = await res.body.text();
  assert.equal(res.statusCode, 401);
  assert.equal((JSON.parse(text) as { reason: string }).reason, 'invalid_token');
  assert.equal(text.includes(bad), false);
  assert.equal(h.upstream.received.length, 0);
  const e = h.entries()[0];
  assert.equal(e?.reason, 'invalid_token');
  assert.equal(e?.agent, null);
  assert.equal(h.rawEntries().includes(bad), false);
});

test('gateway – missing token → 401 missing_token; unknown agent → 401 unknown_agent', async (t) => {
  const h = await startHarness(t);
  const r1 = await request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/7`);
  assert.equal(r1.statusCode, 401);
  assert.equal((await r1.body.json() as { reason: string }).reason, 'missing_token');
  const r2 = await request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/7`, { headers: { authorization: `Bearer ${await h.token('ghost')}` } });
  assert.equal(r2.statusCode, 401);
  assert.equal((await r2.body.json() as { reason: string }).reason, 'unknown_agent');
  assert.deepEqual(h.entries().map((e) => e.reason), ['missing_token', 'unknown_agent']);
});

test('gateway – skill outside the agent\'s range → 401 skill_not_allowed', async (t) => {
  const h = await startHarness(t);
  const res = await request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/7`, { headers: { authorization: `Bearer ${await h.token('a1', { skill: 'code-review@2.0.0' })}` } });
  assert.equal(res.statusCode, 401);
  assert.equal((await res.body.json() as { reason: string }).reason, 'skill_not_allowed');
  assert.equal(h.upstream.received.length, 0);
});

test('gateway – unknown mount → 404, recorded with the agent attributed', async (t) => {
  const h = await startHarness(t);
  const res = await request(`${h.gw.agentUrl}/gitlab/projects`, { headers: { authorization: `Bearer ${await h.token('a1')}` } });
  assert.equal(res.statusCode, 404);
  assert.equal((await res.body.json() as { reason: string }).reason, 'unknown_mount');
  const e = h.entries()[0];
  assert.equal(e?.reason, 'unknown_mount');
  assert.equal(e?.agent, 'a1');
});

test('gateway – aiorg wall: a finance agent is denied the engineering upstream before any rule', async (t) => {
  const h = await startHarness(t);
  const res = await request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/7`, { headers: { authorization: `Bearer ${await h.token('f1', { skill: '' })}` } });
  const body = await res.body.json() as Record<string, unknown>;
  assert.equal(res.statusCode, 403);
  assert.equal(body.reason, 'aiorg_boundary');
  assert.equal(body.anchor, 'cfo@acme.example');
  assert.equal(h.upstream.received.length, 0);
});

test('gateway – path tricks are canonicalized before the decision and the canonical path is what is forwarded (P01, P02, P06)', async (t) => {
  const h = await startHarness(t);
  const auth = `Bearer ${await h.token('a1')}`;
  for (const p of ['/github/repos/acme/app/pulls/7/x/../merge', '/github/repos/acme/app/pulls/7/%2e%2e/7/merge', '//github//repos/acme/app/pulls/7/merge/']) {
    const r = await rawRequest(h.gw.agentUrl, h1('PUT', p, { Authorization: auth }));
    assert.equal(r.status, 403, p);
    assert.match(r.body, /gh-no-merge/);
  }
  const ok = await rawRequest(h.gw.agentUrl, h1('GET', '/github/repos/acme/./app//pulls/%37', { Authorization: auth }));
  assert.equal(ok.status, 200);
  assert.equal(h.upstream.received.length, 1);
  assert.equal(h.upstream.received[0]?.target, '/repos/acme/app/pulls/7');
});

test('gateway – ambiguous requests are 400 before policy, recorded with the raw path, never forwarded (P04, P09, M01, H01)', async (t) => {
  const h = await startHarness(t);
  const auth = `Bearer ${await h.token('a1')}`;
  const cases: [string, string][] = [
    [h1('PUT', '/github/repos/acme/app/pulls/7%2Fmerge', { Authorization: auth }), 'path_encoded_separator'],
    [h1('GET', '/github/repos/acme/app/pulls/7;x=1', { Authorization: auth }), 'path_forbidden_character'],
    [h1('POST', '/github/repos/acme/app/issues/1/comments', { Authorization: auth, 'X-HTTP-Method-Override': 'PUT' }, '{}'), 'method_override'],
    [h1('GET', '/github/repos/acme/app/pulls/7?_method=PUT', { Authorization: auth }), 'method_override'],
  ];
  for (const [text, reason] of cases) {
    const r = await rawRequest(h.gw.agentUrl, text);
    assert.equal(r.status, 400, text);
    assert.equal((JSON.parse(r.body) as { reason: string }).reason, reason);
  }
  assert.equal(h.upstream.received.length, 0);
  const es = h.entries();
  assert.deepEqual(es.map((e) => e.reason), cases.map(([, r]) => r));
  assert.equal(es[0]?.raw_path, '/github/repos/acme/app/pulls/7%2Fmerge');
  assert.equal(es[0]?.agent, 'a1');
});

test('gateway – TRACE → 405 and nothing forwarded (M08)', async (t) => {
  const h = await startHarness(t);
  const r = await rawRequest(h.gw.agentUrl, h1('TRACE', '/github/repos/acme/app', { Authorization: `Bearer ${await h.token('a1')}` }));
  assert.equal(r.status, 405);
  assert.equal(h.upstream.received.length, 0);
});

test('gateway – Content-Length with Transfer-Encoding → 400 and the connection closed (H01)', async (t) => {
  const h = await startHarness(t);
  const r = await rawRequest(h.gw.agentUrl, 'POST /github/repos/acme/app/issues/1/comments HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nPUT /github/repos/acme/app/pulls/7/merge HTTP/1.1\r\nHost: gw.test\r\n\r\n');
  assert.equal(r.status, 400);
  assert.equal((r.raw.match(/HTTP\/1\.1 /g) ?? []).length, 1, 'the smuggled request gets no answer');
  assert.equal(h.upstream.received.length, 0);
});

test('gateway – upstream redirects are relayed, never followed (R01)', async (t) => {
  const h = await startHarness(t, { upstream: { behaviour: { redirectTo: 'https://attacker.example/x' } } });
  const res = await request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/7`, { headers: { authorization: `Bearer ${await h.token('a1')}` } });
  await res.body.dump();
  assert.equal(res.statusCode, 307);
  assert.equal(res.headers.location, 'https://attacker.example/x');
  assert.equal(h.upstream.received.length, 1);
});

test('gateway – upstream connection refused → 502 upstream_unreachable, recorded', async (t) => {
  const h = await startHarness(t, { upstreamTarget: 'http://127.0.0.1:1' });
  const res = await request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/7`, { headers: { authorization: `Bearer ${await h.token('a1')}` } });
  const body = await res.body.json() as Record<string, unknown>;
  assert.equal(res.statusCode, 502);
  assert.equal(body.reason, 'upstream_unreachable');
  await waitFor(() => h.entries().length === 2);
  const [d, o] = h.entries();
  assert.equal(d?.effect, 'allow');
  assert.equal(o?.reason, 'upstream_unreachable');
  assert.equal(o?.status, 502);
});

test('gateway – upstream slower than timeout_ms → 504 upstream_timeout, recorded', async (t) => {
  const h = await startHarness(t, { upstream: { behaviour: { delayMs: 1500 } }, timeoutMs: 300 });
  const res = await request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/7`, { headers: { authorization: `Bearer ${await h.token('a1')}` } });
  const body = await res.body.json() as Record<string, unknown>;
  assert.equal(res.statusCode, 504);
  assert.equal(body.reason, 'upstream_timeout');
  await waitFor(() => h.entries().length === 2);
  assert.equal(h.entries()[1]?.reason, 'upstream_timeout');
});

test('gateway – read-only Chron database → 503 chron_unavailable and nothing forwarded', async (t) => {
  const h = await startHarness(t, { readonlyChron: true });
  const token = await h.token('a1');
  const res = await request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/7`, { headers: { authorization: `Bearer ${token}` } });
  const body = await res.body.json() as Record<string, unknown>;
  assert.equal(res.statusCode, 503);
  assert.equal(body.reason, 'chron_unavailable');
  assert.equal(h.upstream.received.length, 0);
  const denied = await request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/7/merge`, { method: 'PUT', headers: { authorization: `Bearer ${token}` } });
  assert.equal(denied.statusCode, 503, 'a deny that cannot be recorded is not answered as if it were');
  await denied.body.dump();
  assert.equal(h.upstream.received.length, 0);
});

test('gateway – the Chron database file never contains the token or the injected credential', async (t) => {
  const h = await startHarness(t);
  const token = await h.token('a1');
  for (const p of ['/github/repos/acme/app/pulls/7', '/github/repos/acme/app/pulls/7/merge', `/github/x?access_token=${token}`]) {
    await (await request(`${h.gw.agentUrl}${p}`, { headers: { authorization: `Bearer ${token}` } })).body.dump();
  }
  await h.gw.close();
  const db = readFileSync(`${h.dir}/chron.db`).toString('latin1') + readFileSync(`${h.dir}/chron.db-wal`, { flag: 'a+' }).toString('latin1');
  assert.ok(db.includes('gh-read'), 'the entries are in the file');
  assert.equal(db.includes(token), false);
  assert.equal(db.includes(h.upstream.expectedCredential.split(' ')[1]!), false);
});

test('gateway – admin listener answers /healthz and /readyz; the agent listener does not', async (t) => {
  const h = await startHarness(t);
  const health = await request(`${h.gw.adminUrl}/healthz`);
  assert.equal(health.statusCode, 200);
  await health.body.dump();
  const ready = await request(`${h.gw.adminUrl}/readyz`);
  assert.equal(ready.statusCode, 200);
  await ready.body.dump();
  const onAgent = await request(`${h.gw.agentUrl}/healthz`);
  assert.equal(onAgent.statusCode, 404);
  await onAgent.body.dump();
});

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('gateway – routing by Host: a client that takes only a host reaches its upstream with the whole path; an unknown Host falls back to the mount', async (t) => {
  const h = await startHarness(t, { hosts: ['github.gw.test'] });
  const auth = `Bearer ${await h.token('a1')}`;
  const byHost = await rawRequest(h.gw.agentUrl, `GET /repos/acme/app/pulls/7 HTTP/1.1\r\nHost: GitHub.gw.test:8443\r\nAuthorization: ${auth}\r\n\r\n`);
  assert.equal(byHost.status, 200);
  assert.equal(h.upstream.received.at(-1)?.target, '/repos/acme/app/pulls/7');
  const denied = await rawRequest(h.gw.agentUrl, `PUT /repos/acme/app/pulls/7/merge HTTP/1.1\r\nHost: github.gw.test\r\nAuthorization: ${auth}\r\nContent-Length: 0\r\n\r\n`);
  assert.equal(denied.status, 403);
  const other = await rawRequest(h.gw.agentUrl, `GET /repos/acme/app/pulls/7 HTTP/1.1\r\nHost: elsewhere.test\r\nAuthorization: ${auth}\r\n\r\n`);
  assert.equal(other.status, 404, 'an unknown Host selects nothing; the path then has no mount');
  const viaMount = await rawRequest(h.gw.agentUrl, `GET /github/repos/acme/app/pulls/7 HTTP/1.1\r\nHost: elsewhere.test\r\nAuthorization: ${auth}\r\n\r\n`);
  assert.equal(viaMount.status, 200);
});

test('gateway – path_encoded_slash: decode splits %2F, and the decoded path is what is evaluated and forwarded; other encoded separators stay 400', async (t) => {
  const h = await startHarness(t, { decodeSlash: true });
  const auth = `Bearer ${await h.token('a1')}`;
  const ok = await rawRequest(h.gw.agentUrl, h1('GET', '/github/repos/acme/app/git/ref/heads%2Fmain', { Authorization: auth }));
  assert.equal(ok.status, 404, 'forwarded (the fake GitHub does not know this ref)');
  assert.equal(h.upstream.received.at(-1)?.target, '/repos/acme/app/git/ref/heads/main');
  const merge = await rawRequest(h.gw.agentUrl, h1('PUT', '/github/repos/acme/app/pulls/7%2Fmerge', { Authorization: auth }));
  assert.equal(merge.status, 403, 'the decoded path meets the deny rule');
  assert.match(merge.body, /gh-no-merge/);
  const backslash = await rawRequest(h.gw.agentUrl, h1('GET', '/github/repos/acme/app/pulls/7%5Cx', { Authorization: auth }));
  assert.equal(backslash.status, 400);
  const other = await startHarness(t);
  const strict = await rawRequest(other.gw.agentUrl, h1('GET', '/github/repos/acme/app/git/ref/heads%2Fmain', { Authorization: `Bearer ${await other.token('a1')}` }));
  assert.equal(strict.status, 400, 'the default stays reject');
});

/** An upstream that takes requests and never answers: only the gateway giving up on one ends it. */
async function silentUpstream(t: TestContext): Promise<{ url: string; received: () => boolean; sawAbort: () => boolean }> {
  let received = false;
  let sawAbort = false;
  const up = createServer((req, res) => {
    received = true;
    res.on('close', () => { if (!res.writableFinished) sawAbort = true; });
    req.resume();
  });
  await new Promise<void>((r) => up.listen(0, '127.0.0.1', () => r()));
  t.after(() => { up.closeAllConnections(); up.close(); });
  return { url: `http://127.0.0.1:${(up.address() as AddressInfo).port}`, received: () => received, sawAbort: () => sawAbort };
}

test('gateway – the agent hanging up while the upstream has not answered aborts the upstream request; the outcome is recorded', async (t) => {
  const up = await silentUpstream(t);
  const h = await startHarness(t, { upstreamTarget: up.url });
  const token = await h.token('a1');
  const sock = connect((new URL(h.gw.agentUrl)).port as unknown as number, '127.0.0.1');
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.write(`GET /github/repos/acme/app/pulls/7 HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Bearer ${token}\r\n\r\n`);
  await waitFor(up.received);
  sock.destroy();
  await waitFor(up.sawAbort);
  await waitFor(() => h.entries().length === 2);
  const [d, o] = h.entries();
  assert.equal(d?.effect, 'allow');
  assert.equal(o?.type, 'chron.outcome/v1');
  // The agent left; the upstream did nothing wrong (no upstream error, no 502 in the record).
  assert.equal(o?.reason, 'agent_disconnected');
  assert.equal(o?.status, 499);
  const metrics = await (await fetch(`${h.gw.adminUrl}/metrics`)).text();
  assert.doesNotMatch(metrics, /^claiim_upstream_errors_total\{/m, 'an agent hanging up is not an upstream error');
});

const COMMENTS_HEAD = (token: string): string => 'POST /github/repos/acme/app/issues/1/comments HTTP/1.1\r\nHost: gw.test\r\n'
  + `Authorization: Bearer ${token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;

test('gateway – a streamed body the parser refuses before the decision is durable: one DENY malformed_request, no ALLOW, nothing forwarded', async (t) => {
  const h = await startHarness(t);
  const token = await h.token('a1');
  const sock = connect(Number(new URL(h.gw.agentUrl).port), '127.0.0.1');
  t.after(() => sock.destroy());
  await new Promise<void>((r) => sock.once('connect', () => r()));
  let answer = '';
  sock.on('data', (d: Buffer) => { answer += d.toString(); });
  // The route has no body rule, so the body would be streamed after the decision; its first chunk size is not hex.
  sock.write(`${COMMENTS_HEAD(token)}zz\r\n{}\r\n0\r\n\r\n`);
  await waitFor(() => answer.includes('\r\n\r\n{'));
  assert.match(answer, /^HTTP\/1\.1 400 /);
  await new Promise((r) => setTimeout(r, 300));
  const decisions = h.entries().filter((e) => e.type === 'chron.decision/v1');
  assert.deepEqual(decisions.map((e) => [e.effect, e.reason]), [['deny', 'malformed_request']], 'the refused request has no ALLOW beside its DENY');
  assert.equal(h.upstream.received.length, 0);
});

test('gateway – a streamed body the parser refuses mid-forward aborts the upstream request; the outcome is malformed_request, not an upstream failure', async (t) => {
  const up = await silentUpstream(t);
  const h = await startHarness(t, { upstreamTarget: up.url });
  const token = await h.token('a1');
  const sock = connect(Number(new URL(h.gw.agentUrl).port), '127.0.0.1');
  t.after(() => sock.destroy());
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.on('data', () => undefined);
  sock.write(`${COMMENTS_HEAD(token)}5\r\n{"a":\r\n`);
  await waitFor(up.received);
  sock.write('zz\r\n');
  await waitFor(up.sawAbort);
  await waitFor(() => h.entries().length === 2);
  const [d, o] = h.entries();
  assert.deepEqual([d?.type, d?.effect], ['chron.decision/v1', 'allow']);
  assert.deepEqual([o?.type, o?.reason, o?.status], ['chron.outcome/v1', 'malformed_request', 400]);
  const metrics = await (await fetch(`${h.gw.adminUrl}/metrics`)).text();
  assert.doesNotMatch(metrics, /^claiim_upstream_errors_total\{/m, 'a broken agent body is not an upstream error');
});
