/**
 * The compiled policy set and its decision procedure (docs/rules.md "Evaluation"):
 * candidates from the (agent, upstream, method) trie → conditions → deny wins → allow →
 * approval → default deny. Shadow rules are reported beside the outcome and never change it.
 */
import { makeContext, type Condition } from './conditions.js';
import { explainBucket, type Explanation } from './explain.js';
import { resolveGraphqlFacts } from './graphql-facts.js';
import { splitPath, type PathTemplate } from './path-template.js';
import type { PathTrie, TrieMatch } from './path-trie.js';
import type { BodyKind, Decision, DecisionReason, Effect, GraphqlFacts, HttpMethod, PolicySet, RequestFacts } from './types.js';

/** One rule after compilation. `order` is its global declaration position (earlier wins ties). */
export interface CompiledRule {
  readonly id: string;
  readonly effect: Effect;
  readonly shadow: boolean;
  readonly approval: boolean;
  readonly order: number;
  readonly methods: readonly HttpMethod[];
  readonly template: PathTemplate;
  readonly conditions: readonly Condition[];
  readonly bodyKind: BodyKind | undefined;
  readonly graphql: boolean;
}

/** The rules of one (agent, upstream): a trie per method, and the body kinds they read. */
export interface Bucket {
  readonly tries: ReadonlyMap<HttpMethod, PathTrie<CompiledRule>>;
  readonly bodyKinds: Set<BodyKind>;
  readonly ids: Set<string>;
}

const EMPTY: Readonly<Record<string, string>> = Object.freeze(Object.create(null) as Record<string, string>);

function deny(reason: DecisionReason, shadow: Decision['shadow'] = []): Decision {
  return { effect: 'deny', ruleId: 'default_deny', reason, params: EMPTY, shadow };
}

function decided(effect: Effect, m: TrieMatch<CompiledRule>, reason: DecisionReason, shadow: Decision['shadow']): Decision {
  return { effect, ruleId: m.value.id, reason, params: m.params, shadow };
}

/** A frozen, indexed rule set. Construct only through `compilePolicySet`. */
export class CompiledPolicySet implements PolicySet {
  readonly digest: string;
  readonly #index: ReadonlyMap<string, ReadonlyMap<string, Bucket>>;

  constructor(index: ReadonlyMap<string, ReadonlyMap<string, Bucket>>, digest: string) {
    this.#index = index;
    this.digest = digest;
    Object.freeze(this);
  }

  #candidates(agent: string, upstream: string, method: HttpMethod, path: string): TrieMatch<CompiledRule>[] {
    const trie = this.#index.get(agent)?.get(upstream)?.tries.get(method);
    if (!trie || trie.size === 0) return [];
    return trie.match(splitPath(path)).sort((a, b) => a.value.order - b.value.order);
  }

  /** See PolicySet.bodyNeed. GraphQL wins over JSON (its parse carries the JSON value too). */
  bodyNeed(agent: string, upstream: string, method?: HttpMethod, path?: string): BodyKind | undefined {
    let kinds: Set<BodyKind | undefined>;
    if (method !== undefined && path !== undefined) kinds = new Set(this.#candidates(agent, upstream, method, path).map((m) => m.value.bodyKind));
    else kinds = new Set(this.#index.get(agent)?.get(upstream)?.bodyKinds ?? []);
    return kinds.has('graphql') ? 'graphql' : kinds.has('json') ? 'json' : kinds.has('form') ? 'form' : undefined;
  }

  /** See PolicySet.explain. */
  explain(facts: RequestFacts): Explanation {
    return explainBucket(this.#index.get(facts.agent)?.get(facts.upstream), facts, this.evaluate(facts));
  }

  /** See PolicySet.evaluate. Pure and total: every path returns a Decision. */
  evaluate(facts: RequestFacts): Decision {
    const candidates = this.#candidates(facts.agent, facts.upstream, facts.method, facts.path);
    if (candidates.length === 0) return deny('no_matching_rule');
    let graphql: GraphqlFacts | undefined;
    if (candidates.some((m) => m.value.graphql)) {
      const g = resolveGraphqlFacts(facts);
      if ('reason' in g) return deny(g.reason);
      graphql = g;
    }
    const ctx = makeContext(facts, graphql);
    // Approval is per (upstream, rule id): only what the session approved for this upstream is lifted.
    const approvedHere = facts.approvedRuleIds?.get(facts.upstream);
    const shadow: { ruleId: string; effect: Effect }[] = [];
    let firstDeny: TrieMatch<CompiledRule> | undefined;
    let firstAllow: TrieMatch<CompiledRule> | undefined;
    let firstApproved: TrieMatch<CompiledRule> | undefined;
    let firstPending: TrieMatch<CompiledRule> | undefined;
    for (const m of candidates) {
      const r = m.value;
      if (!r.conditions.every((c) => c.holds(ctx, r.effect))) continue;
      const approved = !r.approval || approvedHere?.has(r.id) === true;
      if (r.shadow) { if (approved) shadow.push({ ruleId: r.id, effect: r.effect }); continue; }
      if (r.effect === 'deny') firstDeny ??= m;
      else if (!r.approval) firstAllow ??= m;
      else if (approved) firstApproved ??= m;
      else firstPending ??= m;
    }
    if (firstDeny) return decided('deny', firstDeny, 'denied_by_rule', shadow);
    if (firstAllow) return decided('allow', firstAllow, 'allowed_by_rule', shadow);
    if (firstApproved) return decided('allow', firstApproved, 'allowed_by_approval', shadow);
    if (firstPending) return decided('deny', firstPending, 'approval_required', shadow);
    return deny('no_matching_rule', shadow);
  }
}
