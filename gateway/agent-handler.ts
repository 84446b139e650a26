import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TLSSocket } from 'node:tls';
import type { Chron } from '../chron/index.js';
import { parseBody, queryShadowsBody, type BodyFacts, type HttpMethod, type PolicySet } from '../rules/index.js';
import type { Approvals } from './approvals/index.js';
import { formMethodOverride, hasFormBody, readBody, limitStream } from './body.js';
import { canonicalHeaders, type HeaderFacts } from './canonical/headers.js';
import { canonicalMethod } from './canonical/method.js';
import { canonicalTarget, queryPairs } from './canonical/target.js';
import type { AgentConfig, GatewayConfig, UpstreamConfig } from './config/types.js';
import type { Forwarder } from './forward.js';
import { upgrades } from './listeners.js';
import type { WebsocketForwarder } from './websocket.js';
import type { Authenticator } from './identity/index.js';
import type { Logger } from './log.js';
import type { GatewayMetrics } from './metrics.js';
import { answerBody, statusOf } from './reasons.js';
import { boundedText, newId, rawPathOf, sha256, type DecisionEntry } from './records.js';
import type { Router } from './router.js';
import { agentFromClientCert } from './tls/client-cert.js';

/**
 * The policy-dependent part of the gateway, swapped as one value on a hot reload. A request reads it
 * once, at its start, so it never sees half of one policy and half of another.
 */
export interface PolicyState {
  readonly config: GatewayConfig;
  readonly policySet: PolicySet;
  readonly auth: Authenticator;
  readonly agents: ReadonlyMap<string, AgentConfig>;
}

/** Everything the agent listener needs; built once by gateway.ts. */
export interface AgentHandlerDeps {
  readonly state: () => PolicyState;
  readonly router: Router;
  readonly chron: Chron;
  readonly forwarder: Forwarder;
  readonly ws: WebsocketForwarder;
  readonly approvals?: Approvals;
  readonly log: Logger;
  readonly metrics: GatewayMetrics;
  readonly now: () => number;
  /** True once shutdown began: requests still arriving on open connections are refused (503, recorded). */
  readonly draining: () => boolean;
}

/** The header an agent names its approval session with (docs/approvals.md). */
export const APPROVAL_HEADER = 'x-claiim-approval-session';

type Who = { agent: AgentConfig | null; skill: string | null };
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** One request on its way through the stages; built up as each stage succeeds. */
interface Ctx {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly s: PolicyState;
  readonly started: number;
  readonly entry: Mutable<DecisionEntry>;
}

/**
 * Connections shared with client-error.ts, so that one request is answered and recorded once when Node's
 * parser fails on its body after the handler got it: `answeredSockets` — the handler has written (or is
 * forwarding) its answer, so a later parser error only closes the connection; `refusedSockets` — the
 * parser error was recorded and answered first, so the handler stops without a second entry.
 */
export const answeredSockets = new WeakSet<object>();
export const refusedSockets = new WeakSet<object>();
/**
 * Forwards in progress, by connection: when the parser fails on a request body that is being streamed
 * upstream, client-error.ts calls this to abort the forward, whose outcome is then `malformed_request`.
 */
export const framingFailures = new WeakMap<object, () => void>();
/**
 * Connections whose framing the handler found faulty (CLOSE_REASONS): the refusal closes them, and a request
 * Node already parsed behind it on the same connection (pipelined) is neither answered nor forwarded.
 */
const closingSockets = new WeakSet<object>();

/** How long an outcome entry may wait for company before it is committed on its own (ms). */
const OUTCOME_DEFER_MS = 5;

const LIMIT_REASONS = new Set(['too_many_requests', 'body_too_large', 'headers_too_large', 'token_too_large']);
/** Refusals after which nothing more is read from the connection: its framing cannot be trusted (RFC 9112 §6.1). */
const CLOSE_REASONS = new Set(['ambiguous_framing']);

/**
 * The life of a request (DESIGN.md), with the status at every exit:
 * accept 400/405 → canonicalize 400 → route 404 → authenticate 400/401/429/431/503 → facts 400/413/415
 * → decide 403 → record 503 → forward 502/504. Every exit, ALLOW or not, is a durable Chron entry first.
 */
export function createAgentHandler(deps: AgentHandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { chron, forwarder, ws, router, log, metrics, approvals } = deps;
  const active = new Map<string, number>();

  return (req, res) => {
    void handle(req, res).catch((err: unknown) => {
      // A bug, not a decision: fail closed without leaking anything.
      log.error({ msg: 'handler_failed', error: err instanceof Error ? err.name : 'unknown' });
      if (!res.headersSent) { res.writeHead(500, { 'content-type': 'application/json', connection: 'close' }); res.end(JSON.stringify(answerBody({ effect: 'deny', status: 500, reason: 'internal_error' }))); } else res.destroy();
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const s = deps.state();
    const c: Ctx = { req, res, s, started: performance.now(), entry: baseEntry(s, req.method ?? '', req.url ?? '') };
    const { entry } = c;

    // Bytes after faulty framing are not a request (RFC 9112 §6.1); the connection closes after the refusal.
    if (closingSockets.has(req.socket)) return;
    if (deps.draining()) return reject(c, 'shutting_down');
    // accept + canonicalize + route
    const m = canonicalMethod(req.method ?? '');
    if (!m.ok) return reject(c, m.reason);
    // HTTP/1.1 requires Host (RFC 9112 §3.2); Node is told not to answer this itself, so it is recorded here.
    if (req.headers.host === undefined && (req.httpVersionMajor > 1 || req.httpVersionMinor >= 1)) return reject(c, 'missing_host');
    const expect = req.headers.expect;
    if (expect !== undefined && expect.trim().toLowerCase() !== '100-continue') return reject(c, 'expectation_failed');
    let target = canonicalTarget(req.url ?? '', req.headers.host);
    if (!target.ok && target.reason === 'path_encoded_separator') target = decodedSlashTarget(req) ?? target;
    if (!target.ok) return reject(c, target.reason);
    entry.path = target.path;
    const routed = router.route(target.path, req.headers.host, req.socket.localPort);
    if (!routed) return reject(c, 'unknown_mount');
    const upstream = routed.upstream;
    entry.upstream = upstream.name;
    entry.path = routed.rest;
    const headers = canonicalHeaders(req.rawHeaders, upstream.credential.header, upstream.websocket && m.method === 'GET');
    if (!headers.ok) { if (CLOSE_REASONS.has(headers.reason)) closingSockets.add(req.socket); return reject(c, headers.reason); }
    // An HTTP/1.0 message with Transfer-Encoding has faulty framing, Content-Length or not (RFC 9112 §6.1).
    if (headers.facts.chunked && req.httpVersionMajor === 1 && req.httpVersionMinor === 0) { closingSockets.add(req.socket); return reject(c, 'ambiguous_framing'); }
    // A body on GET/HEAD has no defined meaning (RFC 9110 §9.3.1): refuse it rather than forward what no rule saw.
    if ((m.method === 'GET' || m.method === 'HEAD') && (headers.facts.chunked || (headers.facts.contentLength ?? 0) > 0)) return reject(c, 'body_not_allowed');
    const query = queryPairs(target.query);
    if (query.some(([k]) => k === '_method')) return reject(c, 'method_override');

    // authenticate
    const a = await s.auth.authenticate(headers.facts.authorization);
    if (!a.ok) return reject(c, a.reason, { agent: null, skill: null });
    const agent = s.agents.get(a.agent);
    if (!agent) return reject(c, 'unknown_agent', { agent: null, skill: null });
    const who: Who = { agent, skill: a.skill ? `${a.skill.name}@${a.skill.version}` : null };
    if (agent.requireClientCert) {
      const trustDomain = s.config.listeners.agent.tls?.trustDomain;
      const certAgent = req.socket instanceof TLSSocket ? agentFromClientCert(req.socket, trustDomain ? { trustDomain } : {}) : undefined;
      if (certAgent !== agent.id) return reject(c, 'client_cert_mismatch', who);
    }
    const inFlight = (active.get(agent.id) ?? 0) + 1;
    if (inFlight > s.config.limits.maxConcurrentPerAgent) return reject(c, 'too_many_requests', who);
    active.set(agent.id, inFlight);
    try {
      await decideAndForward(c, who, agent, upstream, m.method, routed.rest, target.query, query, headers.facts, a.skill);
    } finally {
      const n = (active.get(agent.id) ?? 1) - 1;
      if (n === 0) active.delete(agent.id); else active.set(agent.id, n);
    }
  }

  /**
   * `%2F` is rejected unless the upstream it routes to says `path_encoded_slash: decode`; then the slash
   * splits the segment and the decoded path is both what the rules see and what is forwarded. Only `%2F`:
   * `%5C`, `%00`, `%25` and `%3B` stay rejected.
   */
  function decodedSlashTarget(req: IncomingMessage): ReturnType<typeof canonicalTarget> | undefined {
    const raw = req.url ?? '';
    const q = raw.indexOf('?');
    const decoded = (q === -1 ? raw : raw.slice(0, q)).replace(/%2F/gi, '/') + (q === -1 ? '' : raw.slice(q));
    const t = canonicalTarget(decoded, req.headers.host);
    if (!t.ok) return undefined;
    return router.route(t.path, req.headers.host, req.socket.localPort)?.upstream.pathEncodedSlash === 'decode' ? t : undefined;
  }

  async function decideAndForward(c: Ctx, who: Who, agent: AgentConfig, upstream: UpstreamConfig, method: HttpMethod, path: string, rawQuery: string,
    query: [string, string][], headers: HeaderFacts, skill: { name: string; version: string } | undefined): Promise<void> {
    const { s, entry, req, res } = c;
    Object.assign(entry, whoFields(who));
    // The aiorg wall comes before any rule, and no rule can lift it.
    if (!upstream.aiorgs.includes(agent.aiorg)) return record(c, { ...entry, effect: 'deny', rule_id: 'aiorg_wall', reason: 'aiorg_boundary', status: 403 }, who);

    // facts: the body, only when a rule of this agent, upstream, method and path reads it
    let body: Buffer | null = null;
    let bodyFacts: BodyFacts | undefined;
    if (headers.contentLength !== undefined && headers.contentLength > s.config.limits.maxBodyBytes) return reject(c, 'body_too_large', who);
    const need = s.policySet.bodyNeed(agent.id, upstream.name, method, path);
    if (need !== undefined) {
      const read = await readBody(req, s.config.limits.maxBodyBytes);
      if (!read.ok) return reject(c, read.reason, who);
      body = read.bytes;
      entry.body_sha256 = sha256(body);
      const parsed = parseBody(need, body, headers.contentType);
      if (!parsed.ok) return reject(c, parsed.reason === 'body_unsupported_media_type' || parsed.reason === 'body_unsupported_charset' ? 'body_unsupported_media_type' : 'body_invalid', who, parsed.reason);
      bodyFacts = parsed.body;
      if (queryShadowsBody(bodyFacts, query)) return reject(c, 'query_shadows_body', who);
    } else if (hasFormBody(headers)) {
      // No rule reads this body, but a form body's `_method` would turn the POST into another method at
      // Rails/Rack-style upstreams (CASES.md M02): read it (bounded), look, and forward exactly those bytes.
      const read = await readBody(req, s.config.limits.maxBodyBytes);
      if (!read.ok) return reject(c, read.reason, who);
      body = read.bytes;
      entry.body_sha256 = sha256(body);
      if (formMethodOverride(body, headers.contentType ?? '')) return reject(c, 'method_override', who);
    }
    const sessionHeaders = rawHeaders(req.rawHeaders, APPROVAL_HEADER);
    if (sessionHeaders.length > 1) return reject(c, 'duplicate_header', who);
    const sessionHeader = sessionHeaders[0];
    const grant = approvals?.grantFor(agent.id, sessionHeader, deps.now()) ?? (sessionHeader === undefined ? undefined : { ok: false as const, reason: 'approval_session_unknown' as const });
    if (grant && !grant.ok) return reject(c, grant.reason, who);
    if (grant?.ok) entry.approval = { session_id: grant.grant.sessionId, approvers: [...grant.grant.approvers] };

    // decide
    const decision = s.policySet.evaluate({
      agent: agent.id, upstream: upstream.name, method, path, query, headers: headers.headers,
      ...(skill ? { skill } : {}),
      ...(bodyFacts ? { body: bodyFacts } : {}),
      ...(grant?.ok ? { approvedRuleIds: grant.grant.ruleIds } : {}),
    });
    const decided: DecisionEntry = {
      ...entry, effect: decision.effect, rule_id: decision.ruleId, reason: decision.reason,
      status: decision.effect === 'allow' ? null : statusOf(decision.reason),
      shadow: decision.shadow.map((x) => ({ rule_id: x.ruleId, effect: x.effect })),
      approval: decision.reason === 'allowed_by_approval' ? entry.approval : null,
    };
    if (decision.effect === 'deny') return record(c, decided, who);
    // The parser already refused this connection's body (client-error.ts recorded that and answered 400):
    // no ALLOW for a request that cannot be forwarded whole, and no session use spent on it.
    if (refusedSockets.has(req.socket)) return;
    // record, then forward. A decision that relied on a session is recorded with its `used` entry, in one transaction.
    let index: number;
    if (decision.reason === 'allowed_by_approval' && grant?.ok && approvals) {
      try {
        const used = await approvals.consume(grant.grant.sessionId, decided.decision_id, deps.now(), decided);
        if (used.decisionIndex === undefined) return answerUnrecorded(c, decided.decision_id);
        index = used.decisionIndex;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'ERR_APPROVAL_UNRECORDED') return answerUnrecorded(c, decided.decision_id);
        const again = approvals.grantFor(agent.id, sessionHeader, deps.now());
        return reject(c, again && !again.ok ? again.reason : 'approval_session_exhausted', who);
      }
    } else {
      try {
        index = (await chron.append(decided)).index;
      } catch {
        return answerUnrecorded(c, decided.decision_id);
      }
    }
    if (refusedSockets.has(req.socket)) {
      // The parser refused the body while the ALLOW was being made durable: nothing is forwarded, and the
      // outcome says why (client-error.ts recorded the refusal and answered 400).
      recordOutcome(decided, upstream.name, statusOf('malformed_request'), 'malformed_request', 0, performance.now() - c.started);
      return;
    }
    answeredSockets.add(req.socket);
    const upgrade = headers.websocket ? upgrades.get(req) : undefined;
    if (upgrade) {
      // The decision is durable: the websocket proxy does the handshake with the canonical request. Its answer
      // (101, another status, or none in time) is the outcome; the connection keeps this agent's concurrency
      // slot (released in handle's finally) until it closes.
      const hs = await ws.forward({ upstream, pathAndQuery: path + (rawQuery ? `?${rawQuery}` : ''), headers: headers.forward, requestId: entry.request_id }, res, upgrade.socket, upgrade.head);
      const totalMs = performance.now() - c.started;
      const status = hs.ok ? hs.status : statusOf(hs.reason);
      if (!hs.ok && hs.reason !== 'agent_disconnected') {
        writeJson(res, status, { effect: 'allow', status, reason: hs.reason, rule_id: decided.rule_id, decision_id: decided.decision_id, chron_index: index, request_id: entry.request_id }, true);
        metrics.upstreamError(upstream.name, hs.reason);
      }
      observe(decided, totalMs, hs.upstreamMs);
      log.info({ msg: 'request', request_id: entry.request_id, agent: agent.id, upstream: upstream.name, effect: 'allow', rule: decided.rule_id, status, total_ms: round(totalMs), upstream_ms: round(hs.upstreamMs) });
      recordOutcome(decided, upstream.name, status, hs.ok ? null : hs.reason, hs.upstreamMs, totalMs);
      await hs.closed;
      return;
    }
    // The agent went away before its answer was written: abort the upstream request. undici takes an
    // EventEmitter that emits 'abort' as its signal; far cheaper per request than an AbortController.
    const cancel = new EventEmitter();
    res.once('close', () => { if (!res.writableFinished) cancel.emit('abort'); });
    const hasBody = body !== null || headers.contentLength !== undefined || headers.chunked;
    let framingFailed = false;
    const onFramingFailure = (): void => { framingFailed = true; cancel.emit('abort'); };
    if (hasBody && body === null) framingFailures.set(req.socket, onFramingFailure);
    const forwarded = await forwarder.forward({
      upstream, method, requestId: entry.request_id,
      pathAndQuery: path + (rawQuery ? `?${rawQuery}` : ''),
      headers: headers.forward,
      body: body ?? (hasBody ? req.pipe(limitStream(s.config.limits.maxBodyBytes)) : null),
      contentLength: body ? body.length : headers.contentLength,
      signal: cancel,
    }, res);
    if (framingFailures.get(req.socket) === onFramingFailure) framingFailures.delete(req.socket);
    // A body the parser refused mid-stream aborted the forward: that, not the agent leaving, is the reason.
    const outcome = !forwarded.ok && framingFailed ? { ...forwarded, reason: 'malformed_request' as const } : forwarded;
    const totalMs = performance.now() - c.started;
    const status = outcome.ok ? outcome.status : statusOf(outcome.reason);
    if (!outcome.ok && !outcome.headersSent) {
      writeJson(res, status, { effect: 'allow', status, reason: outcome.reason, rule_id: decided.rule_id, decision_id: decided.decision_id, chron_index: index, request_id: entry.request_id });
    } else if (!outcome.ok) res.destroy();
    observe(decided, totalMs, outcome.upstreamMs);
    // An agent that hung up, sent too much or sent a broken body is not an upstream failure (no alert on the upstream).
    if (!outcome.ok && outcome.reason !== 'agent_disconnected' && outcome.reason !== 'body_too_large' && outcome.reason !== 'malformed_request') metrics.upstreamError(upstream.name, outcome.reason);
    log.info({ msg: 'request', request_id: entry.request_id, agent: agent.id, upstream: upstream.name, effect: 'allow', rule: decided.rule_id, status, total_ms: round(totalMs), upstream_ms: round(outcome.upstreamMs) });
    recordOutcome(decided, upstream.name, status, outcome.ok ? null : outcome.reason, outcome.upstreamMs, totalMs);
  }

  /** Appends the `chron.outcome/v1` entry of an ALLOW. Nobody waits on it: it shares the next decision's commit (and fsync). */
  function recordOutcome(decided: DecisionEntry, upstream: string, status: number, reason: string | null, upstreamMs: number, totalMs: number): void {
    chron.append({
      type: 'chron.outcome/v1', decision_id: decided.decision_id, request_id: decided.request_id, time: new Date(deps.now()).toISOString(),
      upstream, status, reason, upstream_ms: round(upstreamMs), total_ms: round(totalMs),
    }, { deferMs: OUTCOME_DEFER_MS }).catch(() => log.error({ msg: 'chron_outcome_append_failed', request_id: decided.request_id }));
  }

  /** A request refused before a rule could decide: recorded as DENY `pre_policy` with its reason. */
  async function reject(c: Ctx, reason: string, who?: Who, detail?: string): Promise<void> {
    // Attribution for requests rejected before authentication finished (never changes the status).
    const w = who ?? (await attribute(c));
    await record(c, { ...c.entry, ...whoFields(w), effect: 'deny', rule_id: 'pre_policy', reason, status: statusOf(reason), detail: detail ?? null }, w);
  }

  async function attribute(c: Ctx): Promise<Who> {
    const values: string[] = [];
    for (let i = 0; i + 1 < c.req.rawHeaders.length; i += 2) if ((c.req.rawHeaders[i] as string).toLowerCase() === 'authorization') values.push(c.req.rawHeaders[i + 1] as string);
    const a = await c.s.auth.authenticate(values);
    return a.ok ? { agent: c.s.agents.get(a.agent) ?? null, skill: a.skill ? `${a.skill.name}@${a.skill.version}` : null } : { agent: null, skill: null };
  }

  /** Records a DENY durably, then answers it. No record → 503. */
  async function record(c: Ctx, e: DecisionEntry, who: Who): Promise<void> {
    if (refusedSockets.has(c.req.socket)) return;
    let index: number;
    try {
      index = (await chron.append(e)).index;
    } catch {
      return answerUnrecorded(c, e.decision_id);
    }
    if (refusedSockets.has(c.req.socket)) return;
    answeredSockets.add(c.req.socket);
    const status = e.status ?? 403;
    observe(e, performance.now() - c.started, undefined);
    if (LIMIT_REASONS.has(e.reason)) metrics.rejectedByLimit(e.agent, e.reason);
    log.info({ msg: 'request', request_id: e.request_id, agent: e.agent, upstream: e.upstream, effect: 'deny', rule: e.rule_id, reason: e.reason, status });
    // One literal shape (no conditional spread, which is slow to build and to serialise); `detail` added only when set.
    const body: Parameters<typeof answerBody>[0] = {
      effect: 'deny', status, reason: e.reason, rule_id: e.rule_id, decision_id: e.decision_id, chron_index: index,
      request_id: e.request_id, agent: who.agent?.id ?? null, anchor: who.agent?.anchor ?? null,
    };
    if (e.detail) body.detail = e.detail;
    writeJson(c.res, status, body, !c.req.complete || CLOSE_REASONS.has(e.reason));
  }

  function answerUnrecorded(c: Ctx, decisionId: string): void {
    log.error({ msg: 'chron_append_failed', decision_id: decisionId });
    writeJson(c.res, 503, { effect: 'deny', status: 503, reason: 'chron_unavailable', decision_id: decisionId }, !c.req.complete);
  }

  function observe(e: DecisionEntry, totalMs: number, upstreamMs: number | undefined): void {
    metrics.decision({ upstream: e.upstream, agent: e.agent, effect: e.effect, reason: e.reason, ruleId: e.rule_id });
    for (const x of e.shadow) metrics.decision({ upstream: e.upstream, agent: e.agent, effect: x.effect === 'allow' ? 'allow' : 'deny', reason: 'shadow', ruleId: x.rule_id, shadow: true });
    metrics.requestDuration({ upstream: e.upstream, gatewayMs: totalMs - (upstreamMs ?? 0), ...(upstreamMs !== undefined ? { upstreamMs } : {}) });
  }

  function baseEntry(s: PolicyState, method: string, rawTarget: string): Mutable<DecisionEntry> {
    const raw = rawPathOf(rawTarget);
    const path = boundedText(raw.path);
    return {
      type: 'chron.decision/v1', decision_id: newId(), request_id: newId(), time: new Date(deps.now()).toISOString(),
      agent: null, aiorg: null, anchor: null, skill: null, upstream: null,
      method: boundedText(method).text, path: null, raw_path: path.text, raw_path_sha256: path.sha256, query_sha256: raw.query === null ? null : sha256(raw.query),
      effect: 'deny', rule_id: 'pre_policy', reason: '', detail: null, status: null,
      policy_digest: s.policySet.digest, body_sha256: null, shadow: [], approval: null,
    };
  }
}

function rawHeaders(raw: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if ((raw[i] as string).toLowerCase() === name) out.push(raw[i + 1] as string);
  return out;
}

function whoFields(w: Who): Pick<DecisionEntry, 'agent' | 'aiorg' | 'anchor' | 'skill'> {
  return { agent: w.agent?.id ?? null, aiorg: w.agent?.aiorg ?? null, anchor: w.agent?.anchor ?? null, skill: w.skill };
}

function writeJson(res: ServerResponse, status: number, fields: Parameters<typeof answerBody>[0], close = false): void {
  if (res.headersSent) { res.destroy(); return; }
  const body = answerBody(fields);
  const text = JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) };
  if (typeof body.decision_id === 'string') headers['x-claiim-decision-id'] = body.decision_id;
  if (close) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(text);
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
