/** Test helpers: compile a policy set or fail the test with every problem; build request facts. */
import assert from 'node:assert/strict';
import { compilePolicySet, type HttpMethod, type PolicySet, type PolicySpec, type RequestFacts, type RuleSpec, type UpstreamRulesOptions } from '../../rules/index.js';

/** Compile, asserting success. */
export function compileOk(policies: readonly PolicySpec[], upstreams: readonly UpstreamRulesOptions[] = [{ name: 'gh' }]): PolicySet {
  const r = compilePolicySet(policies, upstreams);
  if (!r.ok) assert.fail(`unexpected problems: ${JSON.stringify(r.problems)}`);
  return r.policySet;
}

/** One policy for agent `a1` on upstream `gh` (or `upstream`). */
export function rulesFor(rules: readonly RuleSpec[], opts: { upstream?: string; pathCase?: 'sensitive' | 'insensitive' } = {}): PolicySet {
  const upstream = opts.upstream ?? 'gh';
  return compileOk([{ agents: ['a1'], upstream, rules }], [{ name: upstream, pathCase: opts.pathCase ?? 'sensitive' }]);
}

/** Request facts for agent a1 on gh; override what the test is about. */
export function req(method: HttpMethod, path: string, more: Partial<RequestFacts> = {}): RequestFacts {
  return { agent: 'a1', upstream: 'gh', method, path, query: [], headers: {}, ...more };
}
