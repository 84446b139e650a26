import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness } from '../helpers/harness.js';
import { openConn, until } from '../helpers/ws-upstream.js';

/**
 * Upgrade and CONNECT connections, which Node hands over and no longer times out: once refused, the gateway
 * closes them itself, even for a client that never closes its side; and close() is not held up by them.
 */

const tcpHandles = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

for (const [name, text, status] of [
  ['a refused websocket upgrade (upstream without websocket)', 'GET /github/x HTTP/1.1\r\nHost: gw.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n', 400],
  ['CONNECT', 'CONNECT 10.0.0.5:22 HTTP/1.1\r\nHost: 10.0.0.5:22\r\n\r\n', 405],
] as const) {
  test(`connections – ${name}: answered ${status}, then the gateway lets the connection go although the client never closes`, async (t) => {
    const h = await startHarness(t);
    const base = tcpHandles();
    const n = 5;
    const held = Array.from({ length: n }, () => openConn(h, text));
    t.after(() => { for (const c of held) c.sock.destroy(); });
    await until(() => held.every((c) => c.text().includes('\r\n\r\n')), 3_000, 'the answers');
    for (const c of held) assert.match(c.text(), new RegExp(`^HTTP/1\\.1 ${status}`));
    // The n client sockets stay open (they never close): anything beyond them is a gateway-side socket.
    await until(() => tcpHandles() - base <= n, 5_000, 'the gateway-side sockets to close');
  });
}

test('connections – close() finishes within shutdown_grace_ms while a refused CONNECT client keeps its side open', async (t) => {
  const h = await startHarness(t, { limits: 'limits: { shutdown_grace_ms: 300 }' });
  const c = openConn(h, 'CONNECT 10.0.0.5:22 HTTP/1.1\r\nHost: 10.0.0.5:22\r\n\r\n');
  t.after(() => c.sock.destroy());
  await until(() => c.text().startsWith('HTTP/1.1 405'), 3_000, 'the 405');
  const closed = await Promise.race([h.gw.close().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000))]);
  assert.equal(closed, true);
});

test('connections – clients that reset CONNECT and upgrade connections while they are answered do not bring the gateway down', async (t) => {
  const h = await startHarness(t);
  const token = await h.token('a1');
  for (let i = 0; i < 20; i++) {
    const c = openConn(h, i % 2 === 0 ? 'CONNECT 10.0.0.5:22 HTTP/1.1\r\nHost: 10.0.0.5:22\r\n\r\n' : `GET /github/x HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Bearer ${token}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`);
    await new Promise((r) => setTimeout(r, i % 5));
    c.sock.resetAndDestroy();
  }
  await new Promise((r) => setTimeout(r, 300));
  const after = openConn(h, `GET /github/repos/acme/app/issues HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`);
  t.after(() => after.sock.destroy());
  await until(() => after.text().includes('\r\n\r\n'), 3_000, 'an answer');
  assert.match(after.text(), /\r\nx-fake-upstream: github\r\n/i, 'the gateway is still up and forwarding');
});
