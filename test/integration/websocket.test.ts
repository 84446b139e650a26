import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startHarness, type Harness } from '../helpers/harness.js';
import { wsUpstream } from '../helpers/ws-upstream.js';

/** Sends a raw upgrade request; returns the status line and, after a 101, what one message echoes back. */
function upgrade(h: Harness, path: string, token: string): Promise<{ status: number; echo: string }> {
  const u = new URL(h.gw.agentUrl);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(u.port), u.hostname);
    let buf = '';
    let status = 0;
    const timer = setTimeout(() => { sock.destroy(); resolve({ status, echo: '' }); }, 3000);
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (status === 0 && buf.includes('\r\n\r\n')) {
        status = Number(buf.split(' ')[1]);
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        if (status === 101) sock.write('hello-through-the-gateway');
        else { clearTimeout(timer); sock.destroy(); resolve({ status, echo: '' }); }
      }
      if (status === 101 && buf.includes('hello-through-the-gateway')) { clearTimeout(timer); sock.destroy(); resolve({ status, echo: buf }); }
    });
    sock.on('error', reject);
    sock.write(`GET ${path} HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Bearer ${token}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
  });
}

test('websocket – on an upstream that allows it, an allowed upgrade is decided, recorded, then proxied with the canonical request', async (t) => {
  const up = await wsUpstream(t);
  const h = await startHarness(t, { upstreamTarget: up.url, websocket: true });
  const token = await h.token('a1');
  const r = await upgrade(h, '/github/repos/acme/app/./events', token);
  assert.equal(r.status, 101);
  assert.equal(r.echo, 'hello-through-the-gateway');
  assert.equal(up.upgrades.length, 1);
  const got = up.upgrades[0]!;
  assert.equal(got.url, '/repos/acme/app/events', 'the canonical path goes upstream');
  assert.equal(got.headers.authorization, h.upstream.expectedCredential, 'the injected credential, never the agent token');
  assert.equal(JSON.stringify(got.headers).includes(token), false);
  const d = h.entries().find((e) => e.type === 'chron.decision/v1');
  assert.equal(d?.effect, 'allow');
  assert.equal(d?.rule_id, 'gh-read');
});

test('websocket – a denied upgrade is answered 403 and never reaches the upstream', async (t) => {
  const up = await wsUpstream(t);
  const h = await startHarness(t, { upstreamTarget: up.url, websocket: true });
  const r = await upgrade(h, '/github/repos/acme/other/events', await h.token('a1'));
  assert.equal(r.status, 403);
  assert.equal(up.upgrades.length, 0);
  assert.equal(h.entries()[0]?.reason, 'no_matching_rule');
});

test('websocket – an upstream without websocket: true refuses every upgrade with 400 upgrade_not_allowed (H10)', async (t) => {
  const up = await wsUpstream(t);
  const h = await startHarness(t, { upstreamTarget: up.url });
  const r = await upgrade(h, '/github/repos/acme/app/events', await h.token('a1'));
  assert.equal(r.status, 400);
  assert.equal(up.upgrades.length, 0);
  assert.equal(h.entries()[0]?.reason, 'upgrade_not_allowed');
});
