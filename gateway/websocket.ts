import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { bareSecret, relayableResponseHeaders } from './canonical/headers.js';
import type { UpstreamConfig } from './config/types.js';
import { closeAfterAnswer } from './listeners.js';
import { upstreamConnectOptions } from './tls/upstream-ca.js';

/**
 * How an upgrade's handshake with the upstream ended, known as soon as the upstream answered or could not:
 * its status (101, or the other status it answered, already relayed to the agent), or why there was none
 * (nothing was written to the agent then). `closed` settles when the agent's connection is gone.
 */
export type WebsocketOutcome = (
  | { readonly ok: true; readonly status: number }
  | { readonly ok: false; readonly reason: 'upstream_unreachable' | 'upstream_timeout' | 'agent_disconnected' }
) & { readonly upstreamMs: number; readonly closed: Promise<void> };

/** What the forwarder sends: the canonical upgrade request, already decided ALLOW and recorded. */
export interface WebsocketRequest {
  readonly upstream: UpstreamConfig;
  readonly pathAndQuery: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly requestId: string;
}

interface Prepared { readonly secret: string; readonly bare: string; readonly ca: string | Buffer | undefined }

/**
 * Proxies websocket upgrades that were already decided ALLOW and recorded (plain HTTP goes through undici in
 * forward.ts). What goes upstream is the canonical request — canonical path and query, canonical headers, the
 * injected credential, the request id — never the agent's own headers or token. The handshake is bounded by
 * the upstream's `connect_timeout_ms` (TCP and TLS) and `timeout_ms` (its answer). A 101 is relayed with
 * the upstream's end-to-end headers, then the bytes flow as they are: policy applies to the upgrade. Any other
 * answer is relayed like an HTTP response (forward.ts): hop-by-hop, Connection-named and credential-echoing
 * headers dropped, and the connection closed after it.
 */
export class WebsocketForwarder {
  readonly #upstreams = new Map<string, Prepared>();
  /** Upstream sockets of open websockets and pending handshakes, ended by close(). */
  readonly #open = new Set<Duplex>();

  /** Preconditions: `secrets` has a formatted header value for every upstream name. Reads CA files once, here. */
  constructor(upstreams: readonly UpstreamConfig[], secrets: ReadonlyMap<string, string>) {
    for (const u of upstreams) {
      const secret = secrets.get(u.name);
      if (!u.websocket || secret === undefined) continue;
      this.#upstreams.set(u.name, { secret, bare: bareSecret(u.credential.format, secret), ca: u.target.protocol === 'https:' ? upstreamConnectOptions(u.caFile).ca : undefined });
    }
  }

  /**
   * Does the upstream handshake for the agent's upgrade on `socket` (`head`: the bytes the agent sent after
   * its request). On 101 it detaches `res`, writes the 101 and relays both ways; on another status it answers
   * through `res`. On failure it writes nothing: the caller answers through `res`. Never rejects.
   * Preconditions: the upgrade was decided ALLOW and its entry is durable; `res` is assigned to `socket`.
   */
  forward(r: WebsocketRequest, res: ServerResponse, socket: Duplex, head: Buffer): Promise<WebsocketOutcome> {
    const started = performance.now();
    const closed = socket.closed ? Promise.resolve() : new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const p = this.#upstreams.get(r.upstream.name);
    if (p === undefined) return Promise.resolve({ ok: false, reason: 'upstream_unreachable', upstreamMs: 0, closed });
    const headers: OutgoingHttpHeaders = {};
    for (const [n, v] of r.headers) headers[n] = headers[n] === undefined ? v : `${String(headers[n])}, ${v}`;
    headers[r.upstream.credential.header] = p.secret;
    headers['x-request-id'] = r.requestId;
    headers.host = r.upstream.target.host;
    headers.connection = 'Upgrade';
    headers.upgrade = 'websocket';
    const target = r.upstream.target;
    const tls = target.protocol === 'https:';
    const options = { method: 'GET', path: target.pathname.replace(/\/+$/, '') + r.pathAndQuery, headers, agent: false as const, ...(tls ? { rejectUnauthorized: true, ...(p.ca ? { ca: p.ca } : {}) } : {}) };
    const up = tls ? httpsRequest(target, options) : httpRequest(target, options);

    return new Promise<WebsocketOutcome>((resolve) => {
      let settled = false;
      // connect_timeout_ms until the connection (and its TLS handshake) is up, then timeout_ms for the answer.
      let timer = setTimeout(() => fail('upstream_timeout'), r.upstream.connectTimeoutMs);
      const settle = (o: { ok: true; status: number } | { ok: false; reason: 'upstream_unreachable' | 'upstream_timeout' | 'agent_disconnected' }): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        socket.off('close', onAgentGone);
        resolve({ ...o, upstreamMs: performance.now() - started, closed });
        return true;
      };
      const fail = (reason: 'upstream_unreachable' | 'upstream_timeout' | 'agent_disconnected'): void => {
        if (settle({ ok: false, reason })) up.destroy();
      };
      const onAgentGone = (): void => fail('agent_disconnected');
      socket.once('close', onAgentGone);
      up.once('socket', (s: Socket) => {
        this.#open.add(s);
        s.once('close', () => this.#open.delete(s));
        s.once(tls ? 'secureConnect' : 'connect', () => {
          if (settled) return;
          clearTimeout(timer);
          timer = setTimeout(() => fail('upstream_timeout'), r.upstream.timeoutMs);
        });
      });
      up.on('error', () => fail('upstream_unreachable'));

      up.once('upgrade', (answer: IncomingMessage, upSocket: Socket, upHead: Buffer) => {
        if (!settle({ ok: true, status: 101 })) { upSocket.destroy(); return; }
        res.detachSocket(socket as Socket);
        upSocket.setTimeout(0);
        upSocket.setNoDelay(true);
        (socket as Socket).setNoDelay(true);
        const out = relayableResponseHeaders(answer.headers, p.bare) as OutgoingHttpHeaders;
        out.connection = 'Upgrade';
        out.upgrade = 'websocket';
        let text = 'HTTP/1.1 101 Switching Protocols\r\n';
        for (const [n, v] of Object.entries(out)) for (const x of Array.isArray(v) ? v : [v]) text += `${n}: ${x}\r\n`;
        socket.write(`${text}\r\n`);
        if (upHead.length > 0) socket.write(upHead);
        if (head.length > 0) upSocket.write(head);
        // Either side closing closes the websocket: a half-closed one (FIN from one side only) has no meaning
        // here and would hold the agent's slot forever; closeAfterAnswer lets what is in flight drain first.
        upSocket.on('error', () => socket.destroy());
        socket.on('error', () => upSocket.destroy());
        socket.once('end', () => closeAfterAnswer(upSocket));
        upSocket.once('end', () => closeAfterAnswer(socket));
        socket.once('close', () => upSocket.destroy());
        upSocket.once('close', () => closeAfterAnswer(socket));
        socket.pipe(upSocket).pipe(socket);
      });

      up.once('response', (answer: IncomingMessage) => {
        if (!settle({ ok: true, status: answer.statusCode ?? 502 })) { answer.destroy(); return; }
        // The answer's body gets timeout_ms between chunks, like forward.ts; the connection closes after it.
        answer.socket.setTimeout(r.upstream.timeoutMs, () => { answer.destroy(); socket.destroy(); });
        answer.once('error', () => socket.destroy());
        socket.once('close', () => answer.destroy());
        res.writeHead(answer.statusCode ?? 502, { ...relayableResponseHeaders(answer.headers, p.bare) as OutgoingHttpHeaders, connection: 'close' });
        answer.pipe(res);
      });
      up.end();
    });
  }

  /** Ends every upstream connection still open (open websockets end with them). */
  close(): void {
    for (const s of this.#open) s.destroy();
  }
}
