import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Chron } from '../chron/index.js';
import { parseBody, type BodyFacts, type Decision, type HttpMethod, type PolicySet } from '../rules/index.js';
import { readBody, limitStream } from './body.js';
import { canonicalHeaders, type HeaderFacts } from './canonical/headers.js';
import { canonicalMethod } from './canonical/method.js';
import { canonicalTarget, queryPairs } from './canonical/target.js';
import type { AgentConfig, GatewayConfig, UpstreamConfig } from './config/types.js';
import type { Forwarder } from './forward.js';
import type { Authenticator } from './identity/index.js';
import type { Logger } from './log.js';
import type { GatewayMetrics } from './metrics.js';
import { agentFromClientCert } from './tls/client-cert.js';
import { TLSSocket } from 'node:tls';
import { statusOf } from './reasons.js';
import { boundedText, rawPathOf, sha256, type DecisionEntry } from './records.js';
import { Router } from './router.js';

/** Everything the agent listener needs; built once by gateway.ts. */
export interface AgentHandlerDeps {
  readonly config: GatewayConfig;
  readonly policySet: PolicySet;
  readonly auth: Authenticator;
  readonly chron: Chron;
  readonly forwarder: Forwarder;
  readonly log: Logger;
  readonly metrics: GatewayMetrics;
  readonly now: () => number;
}

type Who = { agent: AgentConfig | null; skill: string | null };

/**
 * The life of a request (DESIGN.md), with the status at every exit:
 * accept 400/405 → canonicalize 400 → route 404 → authenticate 400/401/431/503 → facts 400/413
 * → decide 403 → record 503 → forward 502/504. Every exit, ALLOW or not, is a durable Chron entry first.
 */
export function createAgentHandler(deps: AgentHandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { config, policySet, auth, chron, forwarder, log, metrics } = deps;
  const trustDomain = config.listeners.agent.tls?.trustDomain;
  const router = new Router(config.upstreams);
  const agents = new Map(config.agents.map((a) => [a.id, a]));
  const active = new Map<string, number>();

  return (req, res) => {
    void handle(req, res).catch((err: unknown) => {
      // A bug, not a decision: fail closed without leaking anything.
      log.error({ msg: 'handler_failed', error: err instanceof Error ? err.name : 'unknown' });
      if (!res.headersSent) { res.writeHead(500, { 'content-type': 'application/json', connection: 'close' }); res.end('{"effect":"deny","status":500,"reason":"internal_error"}'); } else res.destroy();
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = randomUUID();
    const rawTarget = req.url ?? '';
    const entry = baseEntry(requestId, req.method ?? '', rawTarget);

    // Attribution for entries of requests rejected before authentication (never changes the status).
    const attribute = async (): Promise<Who> => {
      const values: string[] = [];
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) if ((req.rawHeaders[i] as string).toLowerCase() === 'authorization') values.push(req.rawHeaders[i + 1] as string);
      const a = await auth.authenticate(values);
      return a.ok ? { agent: agents.get(a.agent) ?? null, skill: a.skill ? `${a.skill.name}@${a.skill.version}` : null } : { agent: null, skill: null };
    };
    const reject = async (reason: string, who: Who | null, extra: Partial<Mutable<DecisionEntry>> = {}): Promise<void> => {
      const w = who ?? (await attribute());
      await decideAndAnswer({ ...entry, ...whoFields(w), ...extra, effect: 'deny', rule_id: 'pre_policy', reason, status: statusOf(reason) }, res, req, w);
    };

    const m = canonicalMethod(req.method ?? '');
    if (!m.ok) return reject(m.reason, null);
    const target = canonicalTarget(rawTarget, req.headers.host);
    if (!target.ok) return reject(target.reason, null);
    entry.path = target.path;
    const routed = router.route(target.path);
    if (!routed) return reject('unknown_mount', null);
    const upstream = routed.upstream;
    entry.upstream = upstream.name;
    entry.path = routed.rest;
    const headers = canonicalHeaders(req.rawHeaders, upstream.credential.header);
    if (!headers.ok) return reject(headers.reason, null);
    const query = queryPairs(target.query);
    if (query.some(([k]) => k === '_method')) return reject('method_override', null);

    const a = await auth.authenticate(headers.facts.authorization);
    if (!a.ok) return reject(a.reason, { agent: null, skill: null });
    const agent = agents.get(a.agent);
    if (!agent) return reject('unknown_agent', { agent: null, skill: null });
    const who: Who = { agent, skill: a.skill ? `${a.skill.name}@${a.skill.version}` : null };
    if (agent.requireClientCert) {
      const certAgent = req.socket instanceof TLSSocket ? agentFromClientCert(req.socket, trustDomain ? { trustDomain } : {}) : undefined;
      if (certAgent !== agent.id) return reject('client_cert_mismatch', who);
    }
    const inFlight = (active.get(agent.id) ?? 0) + 1;
    if (inFlight > config.limits.maxConcurrentPerAgent) return reject('too_many_requests', who);
    active.set(agent.id, inFlight);
    try {
      await decideAndForward(req, res, started, entry, agent, who, m.method, target, routed, headers.facts, query, a.skill);
    } finally {
      const n = (active.get(agent.id) ?? 1) - 1;
      if (n === 0) active.delete(agent.id); else active.set(agent.id, n);
    }
  }

  async function decideAndForward(req: IncomingMessage, res: ServerResponse, started: number, entry: Mutable<DecisionEntry>, agent: AgentConfig, who: Who, method: HttpMethod,
    target: { path: string; query: string }, routed: { upstream: UpstreamConfig; rest: string }, headers: HeaderFacts, query: [string, string][], skill: { name: string; version: string } | undefined): Promise<void> {
    const upstream = routed.upstream;
    const requestId = entry.request_id;
    const reject = async (reason: string, extra: Partial<Mutable<DecisionEntry>> = {}): Promise<void> =>
      decideAndAnswer({ ...entry, ...whoFields(who), ...extra, effect: 'deny', rule_id: 'pre_policy', reason, status: statusOf(reason) }, res, req, who);
    if (!upstream.aiorgs.includes(agent.aiorg)) return void decideAndAnswer({ ...entry, ...whoFields(who), effect: 'deny', rule_id: 'aiorg_wall', reason: 'aiorg_boundary', status: 403 }, res, req, who);

    let body: Buffer | null = null;
    let bodyFacts: BodyFacts | undefined;
    const need = policySet.bodyNeed(agent.id, upstream.name, method, routed.rest);
    if (headers.contentLength !== undefined && headers.contentLength > config.limits.maxBodyBytes) return reject('body_too_large');
    if (need !== undefined) {
      const read = await readBody(req, config.limits.maxBodyBytes);
      if (!read.ok) return reject(read.reason);
      body = read.bytes;
      entry.body_sha256 = sha256(body);
      const parsed = parseBody(need, body, headers.contentType);
      if (!parsed.ok) return reject(parsed.reason === 'body_unsupported_media_type' || parsed.reason === 'body_unsupported_charset' ? 'body_unsupported_media_type' : 'body_invalid', { detail: parsed.reason });
      bodyFacts = parsed.body;
    }

    const decision: Decision = policySet.evaluate({
      agent: agent.id, upstream: upstream.name, method, path: routed.rest, query,
      headers: headers.headers,
      ...(skill ? { skill } : {}),
      ...(bodyFacts ? { body: bodyFacts } : {}),
    });
    const decided: DecisionEntry = {
      ...entry, ...whoFields(who),
      effect: decision.effect, rule_id: decision.ruleId, reason: decision.reason,
      status: decision.effect === 'allow' ? null : statusOf(decision.reason),
      shadow: decision.shadow.map((s) => ({ rule_id: s.ruleId, effect: s.effect })),
    };
    if (decision.effect === 'deny') return decideAndAnswer(decided, res, req, who);

    let index: number;
    try {
      index = (await chron.append(decided)).index;
    } catch {
      return answerUnrecorded(res, req, decided.decision_id);
    }
    const abort = new AbortController();
    res.once('close', () => { if (!res.writableFinished) abort.abort(); });
    const hasBody = body !== null || headers.contentLength !== undefined || headers.chunked;
    const outcome = await forwarder.forward({
      upstream, method, requestId,
      pathAndQuery: routed.rest + (target.query ? `?${target.query}` : ''),
      headers: headers.forward,
      body: body ?? (hasBody ? req.pipe(limitStream(config.limits.maxBodyBytes)) : null),
      contentLength: body ? body.length : headers.contentLength,
      signal: abort.signal,
    }, res);
    const totalMs = performance.now() - started;
    if (!outcome.ok && !outcome.headersSent) {
      writeJson(res, statusOf(outcome.reason), { effect: 'allow', status: statusOf(outcome.reason), reason: outcome.reason, rule_id: decided.rule_id, decision_id: decided.decision_id, chron_index: index, request_id: requestId });
    } else if (!outcome.ok) res.destroy();
    const status = outcome.ok ? outcome.status : statusOf(outcome.reason);
    metrics.decision({ upstream: upstream.name, agent: agent.id, effect: 'allow', reason: decided.reason, ruleId: decided.rule_id });
    for (const s of decided.shadow) metrics.decision({ upstream: upstream.name, agent: agent.id, effect: s.effect === 'allow' ? 'allow' : 'deny', reason: 'shadow', ruleId: s.rule_id, shadow: true });
    metrics.requestDuration({ upstream: upstream.name, gatewayMs: totalMs - outcome.upstreamMs, upstreamMs: outcome.upstreamMs });
    if (!outcome.ok) metrics.upstreamError(upstream.name, outcome.reason);
    log.info({ msg: 'request', request_id: requestId, agent: agent.id, upstream: upstream.name, effect: 'allow', rule: decided.rule_id, status, total_ms: round(totalMs), upstream_ms: round(outcome.upstreamMs) });
    chron.append({
      type: 'chron.outcome/v1', decision_id: decided.decision_id, request_id: requestId, time: new Date(deps.now()).toISOString(),
      upstream: upstream.name, status, reason: outcome.ok ? null : outcome.reason, upstream_ms: round(outcome.upstreamMs), total_ms: round(totalMs),
    }).catch(() => log.error({ msg: 'chron_outcome_append_failed', request_id: requestId }));
  }

  /** Records a DENY (or pre-policy reject), then answers it. No record → 503. */
  async function decideAndAnswer(e: DecisionEntry, res: ServerResponse, req: IncomingMessage, who: Who): Promise<void> {
    let index: number;
    try {
      index = (await chron.append(e)).index;
    } catch {
      return answerUnrecorded(res, req, e.decision_id);
    }
    log.info({ msg: 'request', request_id: e.request_id, agent: e.agent, upstream: e.upstream, effect: 'deny', rule: e.rule_id, reason: e.reason, status: e.status });
    metrics.decision({ upstream: e.upstream, agent: e.agent, effect: 'deny', reason: e.reason, ruleId: e.rule_id });
    for (const s of e.shadow) metrics.decision({ upstream: e.upstream, agent: e.agent, effect: s.effect === 'allow' ? 'allow' : 'deny', reason: 'shadow', ruleId: s.rule_id, shadow: true });
    if (LIMIT_REASONS.has(e.reason)) metrics.rejectedByLimit(e.agent, e.reason);
    const status = e.status ?? 403;
    writeJson(res, status, {
      effect: 'deny', status, reason: e.reason, rule_id: e.rule_id, decision_id: e.decision_id, chron_index: index,
      request_id: e.request_id, agent: who.agent?.id ?? null, anchor: who.agent?.anchor ?? null, ...(e.detail ? { detail: e.detail } : {}),
    }, !req.complete);
  }

  function answerUnrecorded(res: ServerResponse, req: IncomingMessage, decisionId: string): void {
    log.error({ msg: 'chron_append_failed', decision_id: decisionId });
    writeJson(res, 503, { effect: 'deny', status: 503, reason: 'chron_unavailable', decision_id: decisionId }, !req.complete);
  }

  function baseEntry(requestId: string, method: string, rawTarget: string): Mutable<DecisionEntry> {
    const raw = rawPathOf(rawTarget);
    const path = boundedText(raw.path);
    const m = boundedText(method);
    return {
      type: 'chron.decision/v1', decision_id: randomUUID(), request_id: requestId, time: new Date(deps.now()).toISOString(),
      agent: null, aiorg: null, anchor: null, skill: null, upstream: null,
      method: m.text, path: null, raw_path: path.text, raw_path_sha256: path.sha256, query_sha256: raw.query === null ? null : sha256(raw.query),
      effect: 'deny', rule_id: 'pre_policy', reason: '', detail: null, status: null,
      policy_digest: policySet.digest, body_sha256: null, shadow: [], approval: null,
    };
  }
}

const LIMIT_REASONS = new Set(['too_many_requests', 'body_too_large', 'headers_too_large', 'token_too_large']);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function whoFields(w: Who): Pick<DecisionEntry, 'agent' | 'aiorg' | 'anchor' | 'skill'> {
  return { agent: w.agent?.id ?? null, aiorg: w.agent?.aiorg ?? null, anchor: w.agent?.anchor ?? null, skill: w.skill };
}

function writeJson(res: ServerResponse, status: number, body: Record<string, unknown>, close = false): void {
  if (res.headersSent) { res.destroy(); return; }
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
