import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startHarness, type Harness } from '../helpers/harness.js';
import { tempDir } from '../helpers/tmp.js';
import { openConn, silentTcpServer, until, upgradeRequest, wsUpstream, type AgentConn } from '../helpers/ws-upstream.js';

/**
 * The upstream handshake of an allowed websocket upgrade: it holds the agent's concurrency slot for the whole
 * life of the connection, is bounded by the upstream's timeouts, ends in a `chron.outcome/v1` entry when the
 * upstream answers (or cannot), and a non-101 answer reaches the agent with the HTTP path's header filtering.
 */

const PATH = '/github/repos/acme/app/events';

/** Waits for the head of the gateway's answer on `c`; returns its status and lower-case headers. */
async function head(c: AgentConn, ms = 3_000): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  await until(() => c.text().includes('\r\n\r\n'), ms, 'an answer');
  const [top = '', ...rest] = c.text().split('\r\n\r\n');
  const [line = '', ...lines] = top.split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) { const i = l.indexOf(':'); headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim(); }
  return { status: Number(line.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
}

/** The outcome entries so far, as `status:reason` (they are deferred a few ms: waits up to 2 s for `n`). */
async function outcomes(h: Harness, n: number): Promise<string[]> {
  const list = (): string[] => h.entries().filter((e) => e.type === 'chron.outcome/v1').map((e) => `${String(e.status)}:${String(e.reason)}`);
  await until(() => list().length >= n, 2_000, `${n} outcome entries`).catch(() => {});
  return list();
}

test('websocket – max_concurrent_per_agent 1: an open websocket keeps the slot (next upgrade 429) until it closes, then the next gets 101', async (t) => {
  const up = await wsUpstream(t);
  const h = await startHarness(t, { upstreamTarget: up.url, websocket: true, limits: 'limits: { max_concurrent_per_agent: 1 }' });
  const token = await h.token('a1');
  const first = openConn(h, upgradeRequest(PATH, token));
  t.after(() => first.sock.destroy());
  assert.equal((await head(first)).status, 101);
  first.sock.write('still-open');
  await until(() => first.text().includes('still-open'), 3_000, 'the echo');
  const second = openConn(h, upgradeRequest(PATH, token));
  t.after(() => second.sock.destroy());
  assert.equal((await head(second)).status, 429);
  assert.equal(up.upgrades.length, 1);
  first.sock.destroy();
  // Once the first websocket has closed (the gateway notices within its linger time), the slot is free again.
  let status = 0;
  for (let i = 0; i < 25 && status !== 101; i++) {
    await new Promise((r) => setTimeout(r, 200));
    const next = openConn(h, upgradeRequest(PATH, token));
    t.after(() => next.sock.destroy());
    status = (await head(next)).status;
    if (status !== 101) next.sock.destroy();
  }
  assert.equal(status, 101);
});

test('websocket – an upstream that never answers the handshake: 504 upstream_timeout after timeout_ms, recorded; the pending upgrade holds the slot meanwhile', async (t) => {
  const up = await wsUpstream(t, 'hang');
  const h = await startHarness(t, { upstreamTarget: up.url, websocket: true, timeoutMs: 400, limits: 'limits: { max_concurrent_per_agent: 1 }' });
  const token = await h.token('a1');
  const started = Date.now();
  const first = openConn(h, upgradeRequest(PATH, token));
  t.after(() => first.sock.destroy());
  await until(() => up.upgrades.length === 1, 3_000, 'the upstream handshake');
  const second = openConn(h, upgradeRequest(PATH, token));
  t.after(() => second.sock.destroy());
  assert.equal((await head(second)).status, 429);
  const a = await head(first);
  assert.equal(a.status, 504);
  assert.ok(Date.now() - started < 2_500, 'answered after timeout_ms, not left pending');
  const body = JSON.parse(a.body) as Record<string, unknown>;
  assert.equal(body.reason, 'upstream_timeout');
  assert.equal(body.effect, 'allow');
  assert.equal(typeof body.decision_id, 'string');
  assert.equal((body.error as { code?: string }).code, 'upstream_timeout');
  await first.ended;
  assert.equal(up.upgrades.length, 1);
  assert.deepEqual(await outcomes(h, 1), ['504:upstream_timeout']);
});

test('websocket – an upstream whose TLS handshake never completes: 504 upstream_timeout after connect_timeout_ms', async (t) => {
  const port = await silentTcpServer(t);
  const h = await startHarness(t, {
    extraUpstreams: `  - { name: stalled, mount: /stalled, target: "https://127.0.0.1:${port}", aiorgs: [engineering], websocket: true, timeout_ms: 30000, connect_timeout_ms: 300, credential: { header: authorization, format: "Bearer {secret}", env: IT_GITHUB_TOKEN } }`,
    extraPolicies: `  - agents: [a1]
    upstream: stalled
    rules:
      - { id: stalled-read, effect: allow, match: { methods: [GET], path: "/**" } }`,
  });
  const started = Date.now();
  const c = openConn(h, upgradeRequest('/stalled/events', await h.token('a1')));
  t.after(() => c.sock.destroy());
  const a = await head(c, 5_000);
  assert.equal(a.status, 504);
  assert.ok(Date.now() - started < 3_000, 'connect_timeout_ms bounds the connection, not timeout_ms');
  assert.equal((JSON.parse(a.body) as { reason?: string }).reason, 'upstream_timeout');
  assert.deepEqual(await outcomes(h, 1), ['504:upstream_timeout']);
});

test('websocket – an unreachable upstream: 502 upstream_unreachable JSON answer, recorded as the outcome', async (t) => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const h = await startHarness(t, { upstreamTarget: `http://127.0.0.1:${port}`, websocket: true });
  const c = openConn(h, upgradeRequest(PATH, await h.token('a1')));
  t.after(() => c.sock.destroy());
  const a = await head(c);
  assert.equal(a.status, 502);
  assert.equal(a.headers['content-type'], 'application/json');
  const body = JSON.parse(a.body) as Record<string, unknown>;
  assert.equal(body.reason, 'upstream_unreachable');
  assert.equal(body.rule_id, 'gh-read');
  assert.deepEqual(await outcomes(h, 1), ['502:upstream_unreachable']);
});

test('websocket – an allowed upgrade\'s outcome (101) is recorded when the handshake completes, while the websocket is open; the 101 carries no credential echo', async (t) => {
  const up = await wsUpstream(t);
  const h = await startHarness(t, { upstreamTarget: up.url, websocket: true });
  const c = openConn(h, upgradeRequest(PATH, await h.token('a1')));
  t.after(() => c.sock.destroy());
  const a = await head(c);
  assert.equal(a.status, 101);
  assert.deepEqual(await outcomes(h, 1), ['101:null']);
  const d = h.entries().find((e) => e.type === 'chron.decision/v1');
  const o = h.entries().find((e) => e.type === 'chron.outcome/v1');
  assert.equal(o?.decision_id, d?.decision_id);
  assert.equal(c.sock.destroyed, false, 'recorded before the websocket closed');
  assert.equal(a.headers.upgrade, 'websocket');
  assert.equal(a.headers.connection, 'Upgrade');
  assert.ok(a.headers['sec-websocket-accept']);
  assert.equal(a.headers['x-echo'], undefined, 'the upstream reflected the injected credential');
  assert.equal(c.text().includes(h.upstream.credentialSecret), false);
});

test('websocket – a non-101 answer reaches the agent through the HTTP path\'s header filter (no Connection: Upgrade, Connection-named or credential-echoing header); its status is the outcome', async (t) => {
  const up = await wsUpstream(t, 'reject');
  const h = await startHarness(t, { upstreamTarget: up.url, websocket: true });
  const c = openConn(h, upgradeRequest(PATH, await h.token('a1')));
  t.after(() => c.sock.destroy());
  const a = await head(c);
  assert.equal(a.status, 403);
  assert.equal(a.headers.connection, 'close');
  assert.equal(a.headers.upgrade, undefined);
  assert.equal(a.headers['x-hop'], undefined, 'named in the upstream\'s Connection header');
  assert.equal(a.headers['x-echo'], undefined, 'the injected credential, reflected');
  assert.equal(a.headers['x-kept'], 'yes');
  await c.ended;
  assert.match(c.text(), /\{"message":"forbidden"\}/);
  assert.deepEqual(await outcomes(h, 1), ['403:null']);
});

test('websocket – a wss upstream: verified against its ca_file, 101 and the bytes flow; without the CA (public roots) 502 upstream_unreachable', async (t) => {
  const dir = tempDir(t).dir;
  execFileSync(fileURLToPath(new URL('../../../certs/make-dev-certs.sh', import.meta.url)), [`${dir}/certs`], { stdio: 'pipe' });
  const up = await wsUpstream(t, 'accept', { cert: readFileSync(`${dir}/certs/server.crt`), key: readFileSync(`${dir}/certs/server.key`) });
  const upstream = (name: string, ca: string): string => `  - { name: ${name}, mount: /${name}, target: "${up.url}", aiorgs: [engineering], websocket: true, ${ca}credential: { header: authorization, format: "Bearer {secret}", env: IT_GITHUB_TOKEN } }`;
  const policy = (name: string): string => `  - agents: [a1]
    upstream: ${name}
    rules:
      - { id: ${name}-read, effect: allow, match: { methods: [GET], path: "/**" } }`;
  const h = await startHarness(t, {
    extraUpstreams: `${upstream('wss', `ca_file: "${dir}/certs/ca.crt", `)}\n${upstream('wssroots', '')}`,
    extraPolicies: `${policy('wss')}\n${policy('wssroots')}`,
  });
  const token = await h.token('a1');
  const c = openConn(h, upgradeRequest('/wss/events', token));
  t.after(() => c.sock.destroy());
  assert.equal((await head(c)).status, 101);
  c.sock.write('over-tls');
  await until(() => c.text().includes('over-tls'), 3_000, 'the echo');
  assert.equal(up.upgrades[0]?.headers.authorization, h.upstream.expectedCredential);
  const d = openConn(h, upgradeRequest('/wssroots/events', token));
  t.after(() => d.sock.destroy());
  assert.equal((await head(d)).status, 502);
  assert.equal(up.upgrades.length, 1);
  assert.deepEqual((await outcomes(h, 2)).sort(), ['101:null', '502:upstream_unreachable']);
});
