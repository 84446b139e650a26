import type { ServerResponse } from 'node:http';
import type { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { Pool, errors } from 'undici';
import { bareSecret, relayableResponseHeaders } from './canonical/headers.js';
import type { UpstreamConfig } from './config/types.js';
import { upstreamConnectOptions } from './tls/upstream-ca.js';

/** What the forwarder sends: the canonical request, already decided and recorded. */
export interface ForwardRequest {
  readonly upstream: UpstreamConfig;
  readonly method: string;
  readonly pathAndQuery: string;                        // canonical rest path (+ '?' + raw query), relative to the upstream's base path
  readonly headers: readonly (readonly [string, string])[]; // canonical headers; credential and request id are added here
  readonly requestId: string;
  readonly body: Buffer | Readable | null;
  readonly contentLength: number | undefined;
  /** Aborts the upstream request: an AbortSignal, or an EventEmitter that emits 'abort' (undici accepts both). */
  readonly signal: AbortSignal | EventEmitter;
}

/** How a forward ended. `headersSent` tells whether the agent already got the upstream's status line. */
export type ForwardOutcome =
  | { ok: true; status: number; upstreamMs: number }
  | { ok: false; reason: 'upstream_unreachable' | 'upstream_timeout' | 'body_too_large' | 'agent_disconnected'; headersSent: boolean; upstreamMs: number };

/**
 * Sends canonical requests to upstreams through one keep-alive undici Pool per upstream (the only importer
 * of undici). Injects the upstream credential, never follows redirects (a 3xx is relayed as is), streams the
 * response back and strips hop-by-hop and Connection-named response headers, and any response header that
 * echoes the credential. The credential never appears in an error it returns.
 */
export class Forwarder {
  readonly #pools = new Map<string, Pool>();
  readonly #secrets: ReadonlyMap<string, string>;
  /** The bare secret inside each formatted credential (`xyz` of `Bearer xyz`): never relayed back in a response header. */
  readonly #bare = new Map<string, string>();

  /** Preconditions: `secrets` has a formatted header value for every upstream name. */
  constructor(upstreams: readonly UpstreamConfig[], secrets: ReadonlyMap<string, string>) {
    this.#secrets = secrets;
    for (const u of upstreams) {
      const formatted = secrets.get(u.name);
      if (formatted !== undefined) this.#bare.set(u.name, bareSecret(u.credential.format, formatted));
      this.#pools.set(u.name, new Pool(u.target.origin, {
        connections: 128,
        pipelining: 1,
        keepAliveTimeout: 4_000,
        connect: { timeout: u.connectTimeoutMs, ...upstreamConnectOptions(u.caFile) },
        headersTimeout: u.timeoutMs,
        bodyTimeout: u.timeoutMs,
      }));
    }
  }

  /** Forwards `req` and streams the answer into `res`. Never throws. */
  async forward(req: ForwardRequest, res: ServerResponse): Promise<ForwardOutcome> {
    const started = performance.now();
    const pool = this.#pools.get(req.upstream.name);
    const secret = this.#secrets.get(req.upstream.name);
    if (!pool || secret === undefined) return { ok: false, reason: 'upstream_unreachable', headersSent: false, upstreamMs: 0 };
    const bare = this.#bare.get(req.upstream.name) ?? secret;
    const headers: string[] = [];
    for (const [n, v] of req.headers) headers.push(n, v);
    headers.push(req.upstream.credential.header, secret, 'x-request-id', req.requestId);
    if (req.contentLength !== undefined && !Buffer.isBuffer(req.body)) headers.push('content-length', String(req.contentLength));
    const base = req.upstream.target.pathname.replace(/\/+$/, '');
    try {
      // stream(): undici writes the upstream body straight into `res` (backpressure, and an abort of the
      // upstream request when `res` is destroyed). No intermediate Readable, and no stream.pipeline, whose
      // per-call AbortController + DOMException showed in the CPU profile (bench/README.md).
      let status = 0;
      await pool.stream({
        path: base + req.pathAndQuery,
        method: req.method as 'GET',
        headers,
        body: req.body,
        signal: req.signal,
      }, ({ statusCode, headers: answerHeaders }) => {
        status = statusCode;
        // An upstream reflecting request headers would hand the agent the credential it must never hold.
        res.writeHead(statusCode, relayableResponseHeaders(answerHeaders, bare));
        return res;
      });
      return { ok: true, status, upstreamMs: performance.now() - started };
    } catch (thrown) {
      // Once the answer streams into `res`, every failure surfaces as ERR_STREAM_PREMATURE_CLOSE; what ended
      // it is the error `res` was destroyed with (undici's body timeout or socket error), or none when the
      // agent's own connection closed.
      const premature = (thrown as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE';
      const err: unknown = premature ? (res.errored ?? new errors.RequestAbortedError()) : thrown;
      const timeout = err instanceof errors.HeadersTimeoutError || err instanceof errors.BodyTimeoutError || err instanceof errors.ConnectTimeoutError;
      // A streamed body that outgrew limits.max_body_bytes: the upstream saw an aborted request, never a whole one.
      const tooLarge = (err as { code?: string }).code === 'ERR_BODY_TOO_LARGE';
      // Only `req.signal` aborts a request, and only when the agent went away: not the upstream's fault.
      const aborted = err instanceof errors.RequestAbortedError;
      const reason = tooLarge ? 'body_too_large' : timeout ? 'upstream_timeout' : aborted ? 'agent_disconnected' : 'upstream_unreachable';
      return { ok: false, reason, headersSent: res.headersSent, upstreamMs: performance.now() - started };
    }
  }

  /** Closes every pool, letting in-flight requests finish. */
  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((p) => p.close()));
  }
}
