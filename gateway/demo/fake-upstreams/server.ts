import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkCredential, redactHeaders, requiredCredential, scrub, type RequiredCredential } from './credential.js';
import { FakeUpstreamError } from './errors.js';
import type { FakeApi, FakeBehaviour, FakeReply, FakeRequest, FakeUpstream, FakeUpstreamOptions, ReceivedRequest } from './types.js';

/** Bodies larger than this are cut off (the connection is destroyed); no demo or test sends one. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * Starts one fake API on a plain `node:http` server (Node's default strict parser) and resolves once it
 * listens. Every request is recorded whole in `received` before anything is answered; then the behaviour
 * hooks apply (delay, then abrupt close or redirect); then the credential is checked (the API's own 401
 * when missing or wrong); then the API answers. Every answer carries `x-fake-upstream`,
 * `x-fake-received-method`, `x-fake-received-path` and `x-fake-received-credential`, and every JSON object
 * body a `_received` member {method, path, credential, headers}; the credential and sensitive header values
 * never appear in either (they are replaced with `<redacted>`).
 * Throws `FakeUpstreamError` (`ERR_FAKE_UPSTREAM_OPTION`) for an invalid option, before listening.
 */
export async function startFakeServer(api: FakeApi, opts: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const host = opts.host ?? '127.0.0.1';
  const behaviour = validateBehaviour(opts.behaviour ?? {});
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new FakeUpstreamError('ERR_FAKE_UPSTREAM_OPTION', '"port" must be an integer 0–65535');
  const required = requiredCredential(api.schemes, opts.credential ?? api.defaultSecret);
  if (required === undefined) throw new FakeUpstreamError('ERR_FAKE_UPSTREAM_OPTION', `"credential" must be a non-empty secret without whitespace, optionally prefixed by one of: ${api.schemes.join(', ')}`);

  const received: ReceivedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    readWhole(req, (body) => {
      if (body === undefined) { req.socket.destroy(); return; }
      const rec: ReceivedRequest = Object.freeze({
        method: req.method ?? '', target: req.url ?? '', headers: Object.freeze(definedHeaders(req)),
        rawHeaders: Object.freeze([...req.rawHeaders]), body, at: Date.now(),
      });
      received.push(rec);
      const answer = (): void => { if (!res.destroyed) respond(api, required, behaviour, rec, res); };
      if (!behaviour.delayMs) { answer(); return; }
      const timer = setTimeout(() => { timers.delete(timer); answer(); }, behaviour.delayMs);
      timers.add(timer);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  const address = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    kind: api.kind,
    url: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`,
    received,
    expectedCredential: required.headerValue,
    credentialSecret: required.secret,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function validateBehaviour(b: FakeBehaviour): FakeBehaviour {
  if (b.delayMs !== undefined && (!Number.isInteger(b.delayMs) || b.delayMs < 0)) {
    throw new FakeUpstreamError('ERR_FAKE_UPSTREAM_OPTION', '"behaviour.delayMs" must be an integer ≥ 0');
  }
  if (b.redirectTo !== undefined) {
    let ok = false;
    try { ok = /^https?:$/.test(new URL(b.redirectTo).protocol) && !/[\r\n]/.test(b.redirectTo); } catch { ok = false; }
    if (!ok) throw new FakeUpstreamError('ERR_FAKE_UPSTREAM_OPTION', '"behaviour.redirectTo" must be an absolute http(s) URL');
  }
  if (b.closeAbruptly !== undefined && typeof b.closeAbruptly !== 'boolean') {
    throw new FakeUpstreamError('ERR_FAKE_UPSTREAM_OPTION', '"behaviour.closeAbruptly" must be a boolean');
  }
  return Object.freeze({ ...b });
}

/** Collects the whole body; `done(undefined)` when it exceeds MAX_BODY_BYTES. A client abort just ends it. */
function readWhole(req: IncomingMessage, done: (body: Buffer | undefined) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) { req.removeAllListeners('data'); req.removeAllListeners('end'); done(undefined); return; }
    chunks.push(chunk);
  });
  req.on('end', () => done(Buffer.concat(chunks)));
  req.on('error', () => { /* the client went away; there is nobody to answer */ });
}

function definedHeaders(req: IncomingMessage): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) out[name] = value;
  return out;
}

function respond(api: FakeApi, required: RequiredCredential, behaviour: FakeBehaviour, rec: ReceivedRequest, res: ServerResponse): void {
  if (behaviour.closeAbruptly) { res.socket?.destroy(); return; }
  const q = rec.target.indexOf('?');
  const req: FakeRequest = {
    method: rec.method,
    path: q === -1 ? rec.target : rec.target.slice(0, q),
    query: new URLSearchParams(q === -1 ? '' : rec.target.slice(q + 1)),
    headers: rec.headers,
    body: rec.body,
    credential: checkCredential(required, rec.rawHeaders),
  };
  let reply: FakeReply;
  if (behaviour.redirectTo !== undefined) reply = { status: 307, headers: { location: behaviour.redirectTo } };
  else if (req.credential !== 'present') reply = api.unauthorized(req);
  else {
    try { reply = api.handle(req); } catch { reply = { status: 500, text: 'fake upstream handler failed\n', contentType: 'text/plain; charset=utf-8' }; }
  }
  send(api, required, req, rec, reply, res);
}

function send(api: FakeApi, required: RequiredCredential, req: FakeRequest, rec: ReceivedRequest, reply: FakeReply, res: ServerResponse): void {
  const echo = { method: rec.method, path: rec.target, credential: req.credential, headers: redactHeaders(rec.headers), ...reply.echo };
  let payload = '';
  let contentType = reply.contentType;
  if (reply.json !== undefined) {
    const json = isPlainObject(reply.json) ? { ...reply.json, _received: echo } : reply.json;
    payload = scrub(required, JSON.stringify(json));
    contentType ??= api.jsonContentType;
  } else if (reply.text !== undefined) {
    payload = scrub(required, reply.text);
  }
  const headers: Record<string, string> = {
    ...api.commonHeaders,
    ...reply.headers,
    'x-fake-upstream': api.kind,
    'x-fake-received-method': headerSafe(scrub(required, rec.method)),
    'x-fake-received-path': headerSafe(scrub(required, rec.target)),
    'x-fake-received-credential': req.credential,
    'content-length': String(Buffer.byteLength(payload)),
  };
  if (contentType !== undefined) headers['content-type'] = contentType;
  res.writeHead(reply.status, headers);
  res.end(payload);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Percent-encodes anything that may not appear in a header value (the raw target is echoed verbatim otherwise). */
function headerSafe(value: string): string {
  return value.replace(/[^\x21-\x7e ]/gu, (c) => encodeURIComponent(c));
}
