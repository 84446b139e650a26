import { createServer, ServerResponse, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { GatewayConfig } from './config/types.js';
import type { ServerTls } from './tls/server-tls.js';

/** Upgraded (websocket) connections per server: Node stops tracking them after the upgrade, stop() ends them. */
const upgradedSockets = new WeakMap<Server, Set<Duplex>>();

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
  // An upgrade request lives the same life as any request; the handler finds its socket and head here.
  const open = new Set<Duplex>();
  upgradedSockets.set(server, open);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    upgrades.set(req, { socket, head });
    const res = new ServerResponse(req);
    res.assignSocket(socket as Socket);
    res.once('finish', () => socket.end());
    server.emit('request', req, res);
  });
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => server.emit('request', req, res));
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    const res = new ServerResponse(req);
    res.assignSocket(socket as Socket);
    res.once('finish', () => socket.end());
    server.emit('request', req, res);
  });
  return server;
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
      for (const s of upgradedSockets.get(server) ?? []) s.destroy();
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
