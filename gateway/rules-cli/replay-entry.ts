/**
 * Re-deciding one recorded `chron.decision/v1` entry with a candidate policy (`claiim rules replay`).
 * An entry keeps agent, skill, upstream, method and canonical path (mount removed) in clear, but only
 * digests of the query, the headers and the body, and the approval session only when the decision
 * relied on one. So an entry is replayed only when no candidate rule whose method and path match it
 * reads any of those; otherwise it is "not replayable" with what the rules read. Pure, no I/O.
 */
import { HTTP_METHODS, type Effect, type HttpMethod, type PolicySet, type RequestFacts, type RuleSpec } from '../../rules/index.js';
import type { GatewayConfig } from '../config/types.js';

/** The fields of a recorded decision that replay reads (gateway/records.ts DecisionEntry). */
export interface RecordedDecision {
  readonly type: string;
  readonly agent?: string | null;
  readonly upstream?: string | null;
  readonly method?: string;
  readonly path?: string | null;
  readonly skill?: string | null;
  readonly effect?: string;
  readonly rule_id?: string;
  readonly reason?: string;
  readonly time?: string;
  readonly approval?: { readonly session_id: string; readonly approvers: readonly string[] } | null;
}

/** What the request facts that replay cannot see are called in its output. */
export type Unrecorded = 'query' | 'headers' | 'body' | 'graphql' | 'approval session';

/** The outcome of one entry. */
export type ReplayOutcome =
  | { readonly kind: 'skipped'; readonly why: 'not a decision entry' | 'refused before policy' }
  | { readonly kind: 'not_replayable'; readonly reads: readonly Unrecorded[] }
  | { readonly kind: 'replayed'; readonly changed: boolean; readonly after: { readonly effect: Effect; readonly ruleId: string; readonly reason: string } };

/** A candidate policy prepared for replay: the config (agents, aiorgs, rule specs) and its policy set. */
export interface ReplayCandidate { readonly config: GatewayConfig; readonly policySet: PolicySet; readonly specs: ReadonlyMap<string, ReadonlyMap<string, RuleSpec>> }

/** Indexes the candidate's rule specs by agent, upstream and rule id (ids are unique per agent and upstream). */
export function replayCandidate(config: GatewayConfig, policySet: PolicySet): ReplayCandidate {
  const specs = new Map<string, Map<string, RuleSpec>>();
  for (const p of config.policies) {
    for (const agent of p.agents) {
      const key = `${agent}\u0000${p.upstream}`;
      const m = specs.get(key) ?? new Map<string, RuleSpec>();
      for (const r of p.rules) m.set(r.id, r);
      specs.set(key, m);
    }
  }
  return { config, policySet, specs };
}

/**
 * Decides `entry` again under `c`: the unknown-agent check, the aiorg wall, then the policy. `changed`
 * is true when the effect or the deciding rule differs from the recorded one. Entries refused before
 * policy (`rule_id: pre_policy`: bad target, token, body, …) and other entry types are skipped.
 */
export function replayEntry(c: ReplayCandidate, entry: RecordedDecision): ReplayOutcome {
  if (entry.type !== 'chron.decision/v1') return { kind: 'skipped', why: 'not a decision entry' };
  const { agent: agentId, upstream: upstreamName, path } = entry;
  const method = entry.method as HttpMethod;
  if (entry.rule_id === 'pre_policy' || !agentId || !upstreamName || !path || !HTTP_METHODS.includes(method)) return { kind: 'skipped', why: 'refused before policy' };
  const decided = (effect: Effect, ruleId: string, reason: string): ReplayOutcome => ({
    kind: 'replayed', changed: effect !== entry.effect || ruleId !== entry.rule_id, after: { effect, ruleId, reason },
  });
  const agent = c.config.agents.find((a) => a.id === agentId);
  if (!agent) return decided('deny', 'pre_policy', 'unknown_agent');
  const upstream = c.config.upstreams.find((u) => u.name === upstreamName);
  if (!upstream) return decided('deny', 'pre_policy', 'unknown_mount');
  if (!upstream.aiorgs.includes(agent.aiorg)) return decided('deny', 'aiorg_wall', 'aiorg_boundary');

  const skill = skillOf(entry.skill);
  const facts: RequestFacts = { agent: agentId, upstream: upstreamName, method, path, query: [], headers: {}, ...(skill ? { skill } : {}) };
  const specs = c.specs.get(`${agentId}\u0000${upstreamName}`);
  const reads = new Set<Unrecorded>();
  const approved = new Set<string>();
  if (c.policySet.bodyNeed(agentId, upstreamName, method, path) !== undefined) reads.add('body');
  for (const r of c.policySet.explain(facts).rules) {
    if (!r.methodMatched) continue;
    const m = specs?.get(r.ruleId);
    if (!m) continue;
    if (m.match.query !== undefined) reads.add('query');
    if (m.match.headers !== undefined) reads.add('headers');
    if (m.match.json !== undefined || m.match.form !== undefined) reads.add('body');
    if (m.match.graphql !== undefined) reads.add('graphql');
    if (m.requires === 'approval') {
      // The session's scope is recorded only when the decision relied on it, and then it covered that rule.
      if (entry.approval && entry.rule_id === m.id) approved.add(m.id); else reads.add('approval session');
    }
  }
  if (reads.size > 0) return { kind: 'not_replayable', reads: [...reads] };
  const d = c.policySet.evaluate(approved.size > 0 ? { ...facts, approvedRuleIds: new Map([[upstreamName, approved]]) } : facts);
  return decided(d.effect, d.ruleId, d.reason);
}

function skillOf(text: string | null | undefined): { name: string; version: string } | undefined {
  if (!text) return undefined;
  const at = text.lastIndexOf('@');
  return at > 0 ? { name: text.slice(0, at), version: text.slice(at + 1) } : undefined;
}
