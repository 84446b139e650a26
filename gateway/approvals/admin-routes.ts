import type { IncomingMessage, ServerResponse } from 'node:http';
import { Ajv } from 'ajv';
import type { AdminPrincipal, AdminTokenVerifier } from '../identity/index.js';
import { APPROVAL_ERROR_STATUS, ApprovalError, isApprovalError } from './errors.js';
import type { SessionStore } from './service.js';
import { sessionView, type Session } from './sessions.js';

/** The request header an agent names its session with (stripped before forwarding, like every x-claiim-*). */
export const APPROVAL_SESSION_HEADER = 'x-claiim-approval-session';

const MAX_BODY_BYTES = 16 * 1024;
const ajv = new Ajv({ allErrors: true, strict: true });
const validateRequest = ajv.compile({
  type: 'object', additionalProperties: false, required: ['agent', 'scope', 'reason'],
  properties: {
    agent: { type: 'string', minLength: 1, maxLength: 128 },
    scope: { type: 'array', minItems: 1, maxItems: 64, items: { type: 'string', minLength: 1, maxLength: 200 } },
    reason: { type: 'string', minLength: 1, maxLength: 2000 },
    change_ref: { type: 'string', minLength: 1, maxLength: 200 },
    ttl_s: { type: 'integer', minimum: 1 },
    max_uses: { type: 'integer', minimum: 1 },
  },
});
const validateStep = ajv.compile({ type: 'object', additionalProperties: false, properties: { note: { type: 'string', maxLength: 2000 } } });

type Handler = (who: AdminPrincipal, body: unknown, res: ServerResponse) => Promise<void>;

/**
 * Admin-listener routes of approval sessions. Every route needs `Authorization: Bearer <admin JWT>`
 * (401 ERR_APPROVAL_UNAUTHENTICATED otherwise; a token without the admin/operator role → 403).
 * Bodies are JSON objects (≤ 16 KiB, unknown keys refused). Answers `{session}` / `{sessions}`, or
 * `{error: {code, message}}` with the status of APPROVAL_ERROR_STATUS.
 *
 * - `POST /approvals` `{agent, scope: ["upstream/rule-id" | "rule-id"], reason, change_ref?, ttl_s?, max_uses?}` → 201;
 *   a bare rule id must be approval-requiring on one upstream of the agent only, and is answered (and recorded) resolved
 * - `GET  /approvals[?agent=&state=]` → 200, sessions of the caller's aiorgs
 * - `GET  /approvals/{id}` → 200, with every step and its Chron index
 * - `POST /approvals/{id}/approve|reject|revoke` `{note?}` → 200
 *
 * Returns true when the path is under `/approvals` (handled, perhaps with 404/405), false otherwise.
 */
export function approvalAdminRoutes(store: SessionStore, verifier: AdminTokenVerifier, now: () => number): (req: IncomingMessage, res: ServerResponse, url: URL) => boolean {
  return (req, res, url) => {
    const parts = url.pathname.split('/').slice(1);
    if (parts[0] !== 'approvals') return false;
    const [, id, verb, ...more] = parts;
    const route = routeOf(req.method ?? '', id, verb, more.length, url.searchParams, store);
    if (typeof route === 'number') {
      req.resume();
      fail(res, route, route === 405 ? 'ERR_APPROVAL_METHOD' : 'ERR_APPROVAL_NOT_FOUND', route === 405 ? 'method not allowed on this path' : 'no such approvals route');
      return true;
    }
    void (async () => {
      const auth = await verifier.verify(req.headers.authorization, now());
      if (!auth.ok) {
        req.resume();
        if (auth.reason === 'not_an_admin') return fail(res, 403, 'ERR_APPROVAL_FORBIDDEN', 'the token carries no admin or operator role for any aiorg');
        res.setHeader('www-authenticate', 'Bearer');
        return fail(res, 401, 'ERR_APPROVAL_UNAUTHENTICATED', `admin token refused: ${auth.reason}`);
      }
      const body = req.method === 'POST' ? await readJson(req) : undefined;
      await route(auth.principal, body, res);
    })().catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (isApprovalError(err)) fail(res, APPROVAL_ERROR_STATUS[err.code], err.code, err.message);
      else fail(res, 500, 'ERR_APPROVAL_INTERNAL', 'internal error');
    });
    return true;
  };
}

function routeOf(method: string, id: string | undefined, verb: string | undefined, extra: number, q: URLSearchParams, store: SessionStore): Handler | 404 | 405 {
  if (extra > 0) return 404;
  if (id === undefined || id === '') {
    if (method === 'GET') return async (who, _b, res) => {
      const filter = { ...(q.get('agent') !== null ? { agent: q.get('agent') as string } : {}), ...(q.get('state') !== null ? { state: q.get('state') as string } : {}) };
      send(res, 200, { sessions: store.list(filter).filter((s) => who.aiorgs.includes(s.aiorg)).map((s) => sessionView(s, false)) });
    };
    if (method === 'POST') return async (who, body, res) => {
      const b = check(validateRequest, body) as { agent: string; scope: string[]; reason: string; change_ref?: string; ttl_s?: number; max_uses?: number };
      const s = await store.request(who, { agent: b.agent, scope: b.scope, reason: b.reason, ...(b.change_ref !== undefined ? { changeRef: b.change_ref } : {}), ...(b.ttl_s !== undefined ? { ttlS: b.ttl_s } : {}), ...(b.max_uses !== undefined ? { maxUses: b.max_uses } : {}) });
      send(res, 201, { session: sessionView(s, true) });
    };
    return 405;
  }
  if (verb === undefined) {
    if (method !== 'GET') return 405;
    return async (who, _b, res) => send(res, 200, { session: sessionView(visible(store, who, id), true) });
  }
  if (verb !== 'approve' && verb !== 'reject' && verb !== 'revoke') return 404;
  if (method !== 'POST') return 405;
  return async (who, body, res) => {
    const note = (check(validateStep, body ?? {}) as { note?: string }).note;
    visible(store, who, id);
    const s = verb === 'approve' ? await store.approve(who, id, note) : verb === 'reject' ? await store.reject(who, id, note) : await store.revoke(who, id, note);
    send(res, 200, { session: sessionView(s, true) });
  };
}

/** A session of one of the caller's aiorgs (others answer 404, so ids of other aiorgs do not leak). */
function visible(store: SessionStore, who: AdminPrincipal, id: string): Session {
  const s = store.get(id);
  if (s === undefined || !who.aiorgs.includes(s.aiorg)) throw new ApprovalError('ERR_APPROVAL_NOT_FOUND', 'no approval session with that id');
  return s;
}

function check(validate: ReturnType<typeof ajv.compile>, body: unknown): unknown {
  if (validate(body)) return body;
  const e = validate.errors?.[0];
  throw new ApprovalError('ERR_APPROVAL_INVALID', `body${e?.instancePath ?? ''} ${e?.message ?? 'is invalid'}${e?.params && 'additionalProperty' in e.params ? `: "${String(e.params.additionalProperty)}"` : ''}`);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY_BYTES) throw new ApprovalError('ERR_APPROVAL_INVALID', `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(c);
  }
  if (size === 0) return undefined;
  if (!/^application\/json\s*(;|$)/i.test(type)) throw new ApprovalError('ERR_APPROVAL_INVALID', 'content-type must be application/json');
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new ApprovalError('ERR_APPROVAL_INVALID', 'body is not valid JSON');
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), 'cache-control': 'no-store' });
  res.end(text);
}

function fail(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, { error: { code, message } });
}
