import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { GatewayConfig } from '../../gateway/config/types.js';
import { createAgentServer, listen, stop } from '../../gateway/listeners.js';

/**
 * Upgrade and CONNECT connections, which Node hands over and stops tracking: stop() ends them after the
 * grace, and a client resetting one does not become an uncaught exception.
 */

const config = { limits: { maxHeaderBytes: 16_384, requestTimeoutMs: 60_000 } } as unknown as GatewayConfig;

for (const [name, text] of [
  ['a CONNECT', 'CONNECT 10.0.0.5:22 HTTP/1.1\r\nHost: 10.0.0.5:22\r\n\r\n'],
  ['an upgrade', 'GET /x HTTP/1.1\r\nHost: gw.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n'],
] as const) {
  test(`stop – ${name} request still unanswered: its connection is ended after the grace and stop() resolves`, async (t) => {
    let seen = false;
    const server = createAgentServer(config, undefined, () => { seen = true; }, () => {});
    await listen(server, '127.0.0.1', 0);
    const sock = connect((server.address() as { port: number }).port, '127.0.0.1');
    sock.on('error', () => {});
    t.after(() => sock.destroy());
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    sock.write(text);
    while (!seen) await new Promise((r) => setTimeout(r, 10));
    const stopped = await Promise.race([stop(server, 100).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3_000))]);
    assert.equal(stopped, true);
    await closed;
  });
}

test('listeners – a client that resets a CONNECT connection while it is answered does not crash the process', async (t) => {
  const server = createAgentServer(config, undefined, (_req, res) => { setTimeout(() => { res.writeHead(405, { 'content-length': '0' }); res.end(); }, 50); }, () => {});
  await listen(server, '127.0.0.1', 0);
  t.after(() => stop(server, 0));
  const sock = connect((server.address() as { port: number }).port, '127.0.0.1');
  sock.on('error', () => {});
  sock.write('CONNECT 10.0.0.5:22 HTTP/1.1\r\nHost: 10.0.0.5:22\r\n\r\n');
  await new Promise((r) => setTimeout(r, 20));
  sock.resetAndDestroy();
  await new Promise((r) => setTimeout(r, 200));
});
