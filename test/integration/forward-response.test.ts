import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { request } from 'undici';
import { rawRequest, startHarness } from '../helpers/harness.js';

/**
 * What comes back from an upstream: response headers the agent must not get (hop-by-hop, Connection-named,
 * an echo of the injected credential), and how a forward that ends badly mid-body is recorded — the agent
 * leaving (499) is not an upstream failure; an upstream stalling mid-body is a timeout (504), a reset 502.
 */
async function customUpstream(t: TestContext, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createServer(handler);
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => { for (const s of sockets) s.destroy(); server.close(); });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const outcomes = (h: Awaited<ReturnType<typeof startHarness>>): string[] => h.entries().filter((e) => e.type === 'chron.outcome/v1').map((e) => `${String(e.status)}:${String(e.reason)}`);
/** Waits until the outcome entries of `h` number `n` (they are deferred a few ms), or 2 s. */
async function outcomesOf(h: Awaited<ReturnType<typeof startHarness>>, n: number): Promise<string[]> {
  for (let i = 0; i < 100 && outcomes(h).length < n; i++) await sleep(20);
  return outcomes(h);
}

test('forward – a response header that echoes the injected credential is not relayed; nor are headers the response names in Connection', async (t) => {
  const url = await customUpstream(t, (req, res) => {
    res.writeHead(200, { 'x-debug-authorization': String(req.headers.authorization), 'x-echo-token': `token=${String(req.headers.authorization).split(' ')[1]}`, connection: 'keep-alive, x-hop', 'x-hop': 'internal', 'x-kept': 'yes' });
    res.end('ok');
  });
  const h = await startHarness(t, { upstreamTarget: url });
  const r = await request(`${h.gw.agentUrl}/github/repos/acme/app/x`, { headers: { authorization: `Bearer ${await h.token('a1')}` } });
  assert.equal(await r.body.text(), 'ok');
  assert.equal(r.headers['x-debug-authorization'], undefined, 'the formatted credential');
  assert.equal(r.headers['x-echo-token'], undefined, 'the bare secret inside another value');
  assert.equal(r.headers['x-hop'], undefined, 'named in the response Connection header');
  assert.equal(r.headers['x-kept'], 'yes');
  assert.equal(JSON.stringify(r.headers).includes(h.upstream.credentialSecret), false);
});

test('forward – the agent hanging up mid-body is recorded 499 agent_disconnected and not counted as an upstream error', async (t) => {
  const url = await customUpstream(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const iv = setInterval(() => res.write(Buffer.alloc(1024, 'x')), 20);
    res.on('close', () => clearInterval(iv));
  });
  const h = await startHarness(t, { upstreamTarget: url, timeoutMs: 5000 });
  const u = new URL(h.gw.agentUrl);
  const s = connect(Number(u.port), u.hostname);
  s.on('error', () => {});
  let got = '';
  s.on('data', (d: Buffer) => { got += d.toString('latin1'); });
  s.write(`GET /github/repos/acme/app/stream HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Bearer ${await h.token('a1')}\r\n\r\n`);
  for (let i = 0; i < 100 && got.length < 2048; i++) await sleep(20);
  assert.match(got, /^HTTP\/1\.1 200/);
  s.destroy();
  assert.deepEqual(await outcomesOf(h, 1), ['499:agent_disconnected']);
  const metrics = await (await request(`${h.gw.adminUrl}/metrics`)).body.text();
  assert.equal(/^claiim_upstream_errors_total\{[^}]*\} [1-9]/m.test(metrics), false, 'no upstream error counted');
});

test('forward – an upstream that stalls mid-body past timeout_ms is 504 upstream_timeout; one that resets mid-body is 502 upstream_unreachable', async (t) => {
  const url = await customUpstream(t, (req, res) => {
    res.writeHead(200, { 'content-length': '100' });
    res.write('partial');
    if (req.url?.endsWith('/reset')) setTimeout(() => res.socket?.destroy(), 50);
  });
  const h = await startHarness(t, { upstreamTarget: url, timeoutMs: 600 });
  const token = await h.token('a1');
  await rawRequest(h.gw.agentUrl, `GET /github/repos/acme/app/stall HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Bearer ${token}\r\n\r\n`, 3000);
  assert.deepEqual(await outcomesOf(h, 1), ['504:upstream_timeout']);
  await rawRequest(h.gw.agentUrl, `GET /github/repos/acme/app/reset HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Bearer ${token}\r\n\r\n`, 3000);
  assert.deepEqual(await outcomesOf(h, 2), ['504:upstream_timeout', '502:upstream_unreachable']);
});
