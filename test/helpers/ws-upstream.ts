import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TestContext } from 'node:test';
import type { Harness } from './harness.js';

/**
 * A websocket upstream on port 0, stopped in t.after. `accept`: answers the handshake (RFC 6455 §4.2.2), then
 * echoes bytes; `hang`: never answers; `reject`: answers 403 with a JSON body, reflecting the request's
 * Authorization in a header and naming a header in its Connection header. Records each upgrade's headers.
 * With `tls` (PEM certificate and key) it serves wss on https://localhost.
 */
export async function wsUpstream(t: TestContext, mode: 'accept' | 'hang' | 'reject' = 'accept', tls?: { cert: Buffer; key: Buffer }): Promise<{ url: string; upgrades: { url: string; headers: IncomingHttpHeaders }[] }> {
  const upgrades: { url: string; headers: IncomingHttpHeaders }[] = [];
  const notFound = (_req: unknown, res: { writeHead(s: number): { end(): void } }): void => { res.writeHead(404).end(); };
  const server = tls ? createHttpsServer(tls, notFound) : createServer(notFound);
  const sockets = new Set<Duplex>();
  server.on('upgrade', (req, socket) => {
    sockets.add(socket);
    upgrades.push({ url: req.url ?? '', headers: req.headers });
    if (mode === 'hang') return;
    if (mode === 'reject') {
      const body = JSON.stringify({ message: 'forbidden' });
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nConnection: Upgrade, X-Hop\r\nUpgrade: websocket\r\nX-Hop: internal\r\nX-Echo: ${String(req.headers.authorization)}\r\nX-Kept: yes\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return;
    }
    const accept = createHash('sha1').update(`${String(req.headers['sec-websocket-key'])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nX-Echo: ${String(req.headers.authorization)}\r\n\r\n`);
    socket.on('data', (d: Buffer) => socket.write(d));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => { for (const s of sockets) s.destroy(); server.closeAllConnections(); server.close(); });
  return { url: `${tls ? 'https://localhost' : 'http://127.0.0.1'}:${(server.address() as AddressInfo).port}`, upgrades };
}

/** A TCP server that accepts connections and never says anything (a TLS handshake with it never completes). */
export async function silentTcpServer(t: TestContext): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((s) => { sockets.add(s); s.on('error', () => {}); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => { for (const s of sockets) s.destroy(); server.close(); });
  return (server.address() as AddressInfo).port;
}

/** The raw websocket upgrade request an agent sends for `path`. */
export const upgradeRequest = (path: string, token: string): string =>
  `GET ${path} HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Bearer ${token}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;

/** An agent connection to the gateway: everything it received so far, the gateway's end of it (FIN), and the socket. */
export interface AgentConn { readonly sock: Socket; text(): string; readonly ended: Promise<void> }

/** Opens a connection to the gateway and writes `text` (the socket never ends its own side unless destroyed). */
export function openConn(h: Harness, text: string): AgentConn {
  const u = new URL(h.gw.agentUrl);
  const sock = connect({ port: Number(u.port), host: u.hostname, allowHalfOpen: true });
  let buf = '';
  sock.on('data', (d: Buffer) => { buf += d.toString('latin1'); });
  sock.on('error', () => {});
  const ended = new Promise<void>((r) => sock.once('end', () => r()));
  sock.write(text);
  return { sock, text: () => buf, ended };
}

/** Resolves once `cond()` holds, or throws after `ms`. */
export async function until(cond: () => boolean, ms = 3_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
