import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import type { UpstreamConfig } from './config/types.js';
import { upstreamConnectOptions } from './tls/upstream-ca.js';

/**
 * Hands an upgrade that was already decided ALLOW and recorded to http-proxy-3's websocket proxying (the only
 * importer of http-proxy-3; plain HTTP goes through undici in forward.ts). What goes upstream is the canonical
 * request — canonical path and query, canonical headers, the injected credential, the request id — never the
 * agent's own headers or token. After the 101 the bytes are relayed as they are: policy applies to the upgrade.
 */
export class WebsocketForwarder {
  readonly #proxy = createProxyServer({ ws: true, xfwd: false, changeOrigin: true, prependPath: true, followRedirects: false });
  readonly #secrets: ReadonlyMap<string, string>;

  constructor(secrets: ReadonlyMap<string, string>) {
    this.#secrets = secrets;
    // Errors end the agent's socket; they never echo anything upstream said or sent.
    this.#proxy.on('error', (_err: Error, _req: IncomingMessage, target: unknown) => { (target as Duplex | undefined)?.destroy?.(); });
  }

  /**
   * Proxies the upgrade; the upstream's answer (101 or an error status) goes straight to the agent.
   * Preconditions: the upgrade was decided ALLOW and its entry is durable. Never throws.
   */
  forward(opts: { upstream: UpstreamConfig; pathAndQuery: string; headers: readonly (readonly [string, string])[]; requestId: string }, req: IncomingMessage, socket: Duplex, head: Buffer, onError: () => void): void {
    const secret = this.#secrets.get(opts.upstream.name);
    if (secret === undefined) { socket.destroy(); onError(); return; }
    const headers: Record<string, string> = {};
    for (const [n, v] of opts.headers) headers[n] = headers[n] === undefined ? v : `${headers[n]}, ${v}`;
    headers[opts.upstream.credential.header] = secret;
    headers['x-request-id'] = opts.requestId;
    headers.connection = 'Upgrade';
    headers.upgrade = 'websocket';
    // http-proxy-3 builds the upstream request from req: give it exactly the canonical request.
    req.headers = headers;
    req.url = opts.pathAndQuery;
    const ca = opts.upstream.target.protocol === 'https:' ? upstreamConnectOptions(opts.upstream.caFile).ca : undefined;
    this.#proxy.ws(req, socket, head, { target: opts.upstream.target.href, secure: true, ...(ca ? { ca: ca.toString() } : {}) }, () => { socket.destroy(); onError(); });
  }

  /** Closes the proxy (open websocket connections end with their sockets). */
  close(): void {
    this.#proxy.close();
  }
}
