/**
 * The scope of an approval session: which rules it unlocks. A rule id is unique only per (agent, upstream)
 * (ERR_RULE_DUPLICATE_ID), so a scope entry names the upstream too: `upstream/rule-id`. Rule ids and
 * upstream names cannot contain `/`, so the form is unambiguous. A bare `rule-id` is accepted at request
 * time only when exactly one upstream of the agent has an approval-requiring rule of that id, and is then
 * recorded resolved. Sessions keep their scope as these strings (Chron, admin API, CLI) and, for the
 * decision path, as the ApprovedRules map the policy evaluation reads.
 */
import type { ApprovedRules } from '../../rules/index.js';
import { ApprovalError } from './errors.js';

/** Approval-requiring rules of one agent: upstream name → rule ids (what a scope may name). */
export type ApprovableRules = ReadonlyMap<string, ReadonlySet<string>>;

/** A policy as this module needs it (structurally the gateway's PolicyConfig). */
export interface ApprovalPolicy {
  readonly agents: readonly string[];
  readonly upstream: string;
  readonly rules: readonly { readonly id: string; readonly effect: string; readonly requires?: string }[];
}

/** The allow rules marked `requires: approval` that `agent`'s policies bind, by upstream. */
export function approvableRules(policies: readonly ApprovalPolicy[], agent: string): ApprovableRules {
  const out = new Map<string, Set<string>>();
  for (const p of policies) {
    if (!p.agents.includes(agent)) continue;
    for (const r of p.rules) {
      if (r.requires !== 'approval' || r.effect !== 'allow') continue;
      let ids = out.get(p.upstream);
      if (ids === undefined) out.set(p.upstream, (ids = new Set()));
      ids.add(r.id);
    }
  }
  return out;
}

/** The upstreams of `approvable` that have an approval-requiring rule `ruleId`, sorted. */
function upstreamsOf(approvable: ApprovableRules, ruleId: string): string[] {
  return [...approvable].filter(([, ids]) => ids.has(ruleId)).map(([up]) => up).sort();
}

/**
 * Resolves the scope of a session request: every entry becomes `upstream/rule-id`, duplicates removed,
 * order kept. Throws ApprovalError ERR_APPROVAL_INVALID when the scope is empty or an entry names no
 * approval-requiring rule of the agent (every such entry is listed), and ERR_APPROVAL_SCOPE_AMBIGUOUS
 * when a bare rule id requires approval on more than one upstream of the agent (the message names them).
 */
export function resolveScope(agent: string, entries: readonly string[], approvable: ApprovableRules): string[] {
  if (entries.length === 0) throw new ApprovalError('ERR_APPROVAL_INVALID', `"scope" must name at least one rule of agent "${agent}" marked requires: approval`);
  const resolved: string[] = [];
  const unknown: string[] = [];
  const ambiguous: string[] = [];
  for (const entry of entries) {
    const slash = entry.indexOf('/');
    if (slash !== -1) {
      const upstream = entry.slice(0, slash);
      const ruleId = entry.slice(slash + 1);
      if (approvable.get(upstream)?.has(ruleId) === true) resolved.push(entry); else unknown.push(`"${entry}"`);
      continue;
    }
    const ups = upstreamsOf(approvable, entry);
    if (ups.length === 1) resolved.push(`${ups[0] as string}/${entry}`);
    else if (ups.length === 0) unknown.push(`"${entry}"`);
    else ambiguous.push(`"${entry}" is on upstreams ${ups.join(', ')} (name one, e.g. "${ups[0] as string}/${entry}")`);
  }
  const ambiguity = `a rule id that requires approval on more than one upstream of agent "${agent}": ${ambiguous.join('; ')}`;
  if (unknown.length > 0) {
    throw new ApprovalError('ERR_APPROVAL_INVALID', `"scope" entries must name rules of agent "${agent}" marked requires: approval, as "upstream/rule-id" or a rule id used on one upstream only; not such a rule: ${unknown.join(', ')}${ambiguous.length > 0 ? `; also ${ambiguity}` : ''}`);
  }
  if (ambiguous.length > 0) throw new ApprovalError('ERR_APPROVAL_SCOPE_AMBIGUOUS', `"scope" names ${ambiguity}`);
  return [...new Set(resolved)];
}

/**
 * A scope recorded before entries named their upstream (older `chron.approval/v1` entries hold bare rule
 * ids), resolved against the agent's rules at replay: a bare id approval-requiring on exactly one upstream
 * becomes `upstream/rule-id`; one that is ambiguous or no longer approvable is dropped (fail closed: the
 * session no longer unlocks it; Chron keeps the original entry). Returns `scope` itself when nothing is bare.
 */
export function qualifyLegacyScope(scope: readonly string[], approvable: ApprovableRules): readonly string[] {
  if (scope.every((e) => e.includes('/'))) return scope;
  const out: string[] = [];
  for (const e of scope) {
    if (e.includes('/')) { out.push(e); continue; }
    const ups = upstreamsOf(approvable, e);
    if (ups.length === 1) out.push(`${ups[0] as string}/${e}`);
  }
  return [...new Set(out)];
}

/** The ApprovedRules of a resolved scope (`upstream/rule-id` strings); entries without an upstream unlock nothing. */
export function approvedRulesOf(scope: readonly string[]): ApprovedRules {
  const out = new Map<string, Set<string>>();
  for (const e of scope) {
    const slash = e.indexOf('/');
    if (slash <= 0) continue;
    const upstream = e.slice(0, slash);
    let ids = out.get(upstream);
    if (ids === undefined) out.set(upstream, (ids = new Set()));
    ids.add(e.slice(slash + 1));
  }
  return out;
}
