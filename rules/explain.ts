/**
 * explain: why a request got its decision (issue 5 item 6, `claiim rules explain`). Lists every
 * rule of the agent and upstream whose path template matches the request path — whatever its
 * methods — with what held and what did not, in declaration order. Pure, like evaluate.
 */
import { makeContext } from './conditions.js';
import { resolveGraphqlFacts } from './graphql-facts.js';
import { splitPath } from './path-template.js';
import type { Bucket, CompiledRule } from './policy-set.js';
import type { Decision, Effect, GraphqlFacts, RequestFacts } from './types.js';

/** One rule's verdict on the request. `matched` is true only if method, path, conditions and approval all held. */
export interface RuleExplanation {
  readonly ruleId: string;
  readonly effect: Effect;
  readonly mode: 'enforce' | 'shadow';
  readonly template: string;
  readonly params: Readonly<Record<string, string>>;
  readonly methodMatched: boolean;
  /** Labels of the conditions that did not hold (`json.ticket.comment.public`, `graphql`, `skill`). */
  readonly failed: readonly string[];
  /** For a rule with `requires: approval`: whether `approvedRuleIds` covers it on this upstream. */
  readonly approved?: boolean;
  readonly matched: boolean;
}

/** The decision and the rules that matched or nearly matched. */
export interface Explanation {
  readonly decision: Decision;
  readonly rules: readonly RuleExplanation[];
  /** Set when the request's GraphQL could not be resolved (then `graphql` conditions are listed as failed). */
  readonly graphqlRefused?: string;
}

/**
 * Explain `facts` against one (agent, upstream) bucket (undefined: the agent has no rules there).
 * Precondition: `decision` is `evaluate(facts)` of the same policy set.
 */
export function explainBucket(bucket: Bucket | undefined, facts: RequestFacts, decision: Decision): Explanation {
  if (!bucket) return { decision, rules: [] };
  const segments = splitPath(facts.path);
  const seen = new Map<number, { rule: CompiledRule; params: Readonly<Record<string, string>> }>();
  for (const trie of bucket.tries.values()) {
    for (const m of trie.match(segments)) if (!seen.has(m.value.order)) seen.set(m.value.order, { rule: m.value, params: m.params });
  }
  const found = [...seen.values()].sort((a, b) => a.rule.order - b.rule.order);
  let graphql: GraphqlFacts | undefined;
  let graphqlRefused: string | undefined;
  if (found.some((f) => f.rule.graphql)) {
    const g = resolveGraphqlFacts(facts);
    if ('reason' in g) graphqlRefused = g.reason; else graphql = g;
  }
  const ctx = makeContext(facts, graphql);
  const rules = found.map(({ rule, params }): RuleExplanation => {
    const failed = rule.conditions
      .filter((c) => (c.label === 'graphql' && graphqlRefused !== undefined) || !c.holds(ctx, rule.effect))
      .map((c) => c.label);
    const methodMatched = rule.methods.includes(facts.method);
    const approved = rule.approval ? facts.approvedRuleIds?.get(facts.upstream)?.has(rule.id) === true : undefined;
    return {
      ruleId: rule.id, effect: rule.effect, mode: rule.shadow ? 'shadow' : 'enforce', template: rule.template.source, params,
      methodMatched, failed, ...(approved === undefined ? {} : { approved }),
      matched: methodMatched && failed.length === 0 && approved !== false,
    };
  });
  return graphqlRefused === undefined ? { decision, rules } : { decision, rules, graphqlRefused };
}
