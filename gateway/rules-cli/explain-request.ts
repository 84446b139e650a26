/**
 * The request half of `claiim rules explain`: turns a method, a gateway URL, headers and a body into the
 * facts the policy sees, by the gateway's own steps (agent-handler.ts): canonicalMethod → canonicalTarget
 * → Router.route (mount removed) → canonicalHeaders → queryPairs → unknown agent / aiorg wall → bodyNeed
 * → parseBody. A request the gateway would refuse before policy comes back as `refused` with the reason.
 */
import { parseBody, type PolicySet, type RequestFacts } from '../../rules/index.js';
import { canonicalHeaders } from '../canonical/headers.js';
import { canonicalMethod } from '../canonical/method.js';
import { canonicalTarget, queryPairs } from '../canonical/target.js';
import type { GatewayConfig, UpstreamConfig } from '../config/types.js';
import { Router } from '../router.js';

/** What the operator gave on the command line. */
export interface ExplainInput {
  readonly agent: string;
  readonly method: string;
  readonly url: string;
  /** `[name, value]` in order, as sent. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body?: Uint8Array;
  readonly skill?: { name: string; version: string };
  readonly approved: readonly string[];
}

/** The request as the policy sees it, or the pre-policy refusal (with the gateway's reason and rule id). */
export type ExplainRequest =
  | { readonly ok: true; readonly upstream: UpstreamConfig; readonly facts: RequestFacts; readonly contentTypeAssumed?: string }
  | { readonly ok: false; readonly stage: 'canonicalize' | 'route' | 'identity' | 'aiorg' | 'body'; readonly reason: string; readonly ruleId: 'pre_policy' | 'aiorg_wall'; readonly upstream?: UpstreamConfig; readonly path?: string };

const CONTENT_TYPE_FOR = { json: 'application/json', graphql: 'application/json', form: 'application/x-www-form-urlencoded' } as const;

/** Builds the facts for `input` against a loaded config and its policy set. Pure apart from no I/O at all. */
export function explainRequest(config: GatewayConfig, policySet: PolicySet, input: ExplainInput): ExplainRequest {
  const m = canonicalMethod(input.method);
  if (!m.ok) return { ok: false, stage: 'canonicalize', reason: m.reason, ruleId: 'pre_policy' };
  const host = /^https?:\/\/([^/?#]*)/i.exec(input.url)?.[1];
  const target = canonicalTarget(input.url, host);
  if (!target.ok) return { ok: false, stage: 'canonicalize', reason: target.reason, ruleId: 'pre_policy' };
  const hostHeader = input.headers.find(([k]) => k.toLowerCase() === 'host')?.[1] ?? host;
  const routed = new Router(config.upstreams).route(target.path, hostHeader, undefined);
  if (!routed) return { ok: false, stage: 'route', reason: 'unknown_mount', ruleId: 'pre_policy', path: target.path };
  const { upstream, rest: path } = routed;
  const headers = canonicalHeaders(input.headers.flatMap(([k, v]) => [k, v]), upstream.credential.header);
  if (!headers.ok) return { ok: false, stage: 'canonicalize', reason: headers.reason, ruleId: 'pre_policy', upstream, path };
  const query = queryPairs(target.query);
  if (query.some(([k]) => k === '_method')) return { ok: false, stage: 'canonicalize', reason: 'method_override', ruleId: 'pre_policy', upstream, path };
  const agent = config.agents.find((a) => a.id === input.agent);
  if (!agent) return { ok: false, stage: 'identity', reason: 'unknown_agent', ruleId: 'pre_policy', upstream, path };
  if (!upstream.aiorgs.includes(agent.aiorg)) return { ok: false, stage: 'aiorg', reason: 'aiorg_boundary', ruleId: 'aiorg_wall', upstream, path };

  const facts: RequestFacts = {
    agent: agent.id, upstream: upstream.name, method: m.method, path, query, headers: headers.facts.headers,
    ...(input.skill ? { skill: input.skill } : {}),
    ...(input.approved.length > 0 ? { approvedRuleIds: new Map([[upstream.name, new Set(input.approved)]]) } : {}),
  };
  const need = policySet.bodyNeed(agent.id, upstream.name, m.method, path);
  if (need === undefined) return { ok: true, upstream, facts };
  const assumed = headers.facts.contentType === undefined && input.body !== undefined ? CONTENT_TYPE_FOR[need] : undefined;
  const parsed = parseBody(need, input.body ?? new Uint8Array(), headers.facts.contentType ?? assumed);
  if (!parsed.ok) return { ok: false, stage: 'body', reason: parsed.reason, ruleId: 'pre_policy', upstream, path };
  facts.body = parsed.body;
  return assumed === undefined ? { ok: true, upstream, facts } : { ok: true, upstream, facts, contentTypeAssumed: assumed };
}
