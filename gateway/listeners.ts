import { createServer, ServerResponse, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { GatewayConfig } from './config/types.js';
import type { ServerTls } from './tls/server-tls.js';

/**
 * Upgrade (websocket) and CONNECT connections per server: Node hands them over and stops tracking them (no
 * server timeout applies, closeAllConnections() skips them), so stop() ends them itself.
 */
const handedOverSockets = new WeakMap<Server, Set<Duplex>>();

/** How long a connection closed after its answer may stay idle, for the client to read the answer and close first (ms). */
const LINGER_IDLE_MS = 1_000;
/** The longest it may stay at all, however the client behaves (ms). */
const LINGER_MAX_MS = 10_000;
/** Connections closeAfterAnswer already took care of. */
const closing = new WeakSet<Duplex>();

/** Upgrade requests in flight: their raw socket and the bytes that followed the head. */
export const upgrades = new WeakMap<IncomingMessage, { socket: Duplex; head: Buffer }>();

/**
 * Creates one agent-facing server (HTTP, or HTTPS when `tls` is given) with the strict parser, the
 * configured header and timeout limits, `clientError` for requests the parser refuses, and CONNECT, a
 * missing Host and an Expect other than 100-continue routed into the normal request life (so they are
 * refused and recorded by the handler rather than answered by Node unrecorded).
 */
export function createAgentServer(config: GatewayConfig, tls: ServerTls | undefined, handler: RequestListener, onClientError: (err: Error & { code?: string }, socket: Duplex) => void): Server {
  const options = {
    maxHeaderSize: config.limits.maxHeaderBytes,
    requestTimeout: config.limits.requestTimeoutMs,
    headersTimeout: Math.min(config.limits.requestTimeoutMs, 20_000),
    insecureHTTPParser: false,
    joinDuplicateHeaders: false,
    // Node would answer a missing Host (400) and an unknown Expect (417) itself, unrecorded (CASES.md L02):
    // both go through the handler instead, which refuses and records them.
    requireHostHeader: false,
  };
  const server: Server = tls ? createHttpsServer({ ...options, ...tls.options() }, handler) : createServer(options, handler);
  tls?.attach(server as HttpsServer);
  server.on('clientError', onClientError);
  // An upgrade or CONNECT request lives the same life as any request; the handler finds an upgrade's socket
  // and head in `upgrades`. Node no longer watches these sockets: once the answer is written, the connection
  // closes (closeAfterAnswer), and stop() ends whatever is still open.
  const open = new Set<Duplex>();
  handedOverSockets.set(server, open);
  const handOver = (req: IncomingMessage, socket: Duplex): void => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    // Node removed its own 'error' listener: a reset connection must not become an uncaught exception.
    socket.on('error', () => socket.destroy());
    const res = new ServerResponse(req);
    res.assignSocket(socket as Socket);
    res.once('finish', () => closeAfterAnswer(socket));
    server.emit('request', req, res);
  };
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgrades.set(req, { socket, head });
    handOver(req, socket);
  });
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => server.emit('request', req, res));
  server.on('connect', (req: IncomingMessage, socket: Duplex) => handOver(req, socket));
  return server;
}

/**
 * Closes a connection that is done — a handed-over one (upgrade, CONNECT) whose answer is written, or either
 * side of a websocket whose other side closed: ends our side once what was written is flushed, reads and
 * discards whatever the peer still sends (never parsed as a request), and lets the socket go when the peer
 * closed its side too, after LINGER_IDLE_MS without traffic, or at the latest after LINGER_MAX_MS. A peer
 * that never closes cannot keep the connection (and its file descriptor). Idempotent.
 */
export function closeAfterAnswer(socket: Duplex): void {
  if (socket.destroyed || closing.has(socket)) return;
  closing.add(socket);
  const cut = setTimeout(() => socket.destroy(), LINGER_MAX_MS);
  cut.unref();
  socket.once('close', () => clearTimeout(cut));
  (socket as Socket).setTimeout(LINGER_IDLE_MS, () => socket.destroy());
  socket.resume();
  socket.end();
}

/** Binds `server`; rejects on EADDRINUSE and the like. */
export function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
}

/** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts what is left. */
export function stop(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) { resolve(); return; }
    const timer = setTimeout(() => {
      server.closeAllConnections();
      for (const s of handedOverSockets.get(server) ?? []) s.destroy();
    }, graceMs);
    timer.unref();
    server.close(() => { clearTimeout(timer); resolve(); });
    server.closeIdleConnections();
  });
}

/** The URL a listening server answers on (port 0 resolved). */
export function urlOf(server: Server, scheme = 'http'): string {
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return `${scheme}://${host}:${a.port}`;
}
