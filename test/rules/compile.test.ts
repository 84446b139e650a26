import test from 'node:test';
import assert from 'node:assert/strict';
import { compilePolicySet, type CompileProblem, type PolicySpec, type RuleSpec } from '../../rules/index.js';
import { compileOk } from './helpers.js';

function problems(rules: readonly unknown[], upstream = 'gh'): CompileProblem[] {
  const r = compilePolicySet([{ agents: ['a1'], upstream, rules: rules as RuleSpec[] }], [{ name: 'gh' }]);
  assert.equal(r.ok, false, 'expected problems');
  return r.ok ? [] : r.problems;
}

function codes(rules: readonly unknown[]): string[] {
  return problems(rules).map((p) => p.code);
}

test('compilePolicySet – valid rules → ok with a 64-hex digest', () => {
  const set = compileOk([{ agents: ['a1'], upstream: 'gh', rules: [{ id: 'r', effect: 'allow', match: { path: '/x' } }] }]);
  assert.match(set.digest, /^[0-9a-f]{64}$/);
});

test('compilePolicySet – every problem reported together with policy, rule and path', () => {
  const ps = problems([
    { id: 'ok', effect: 'allow', match: { path: '/x' } },
    { id: 'bad path', effect: 'allow', match: { path: 'x', methods: ['put'] } },
    { id: 'r3', effect: 'maybe', match: { path: '/a//b' }, extra: 1 },
  ]);
  assert.deepEqual(ps.map((p) => [p.code, p.policy, p.rule, p.path.join('.')]), [
    ['ERR_RULE_INVALID', 0, 1, 'id'],
    ['ERR_RULE_METHOD_INVALID', 0, 1, 'match.methods.0'],
    ['ERR_RULE_PATH_INVALID', 0, 1, 'match.path'],
    ['ERR_RULE_UNKNOWN_KEY', 0, 2, 'extra'],
    ['ERR_RULE_INVALID', 0, 2, 'effect'],
    ['ERR_RULE_PATH_INVALID', 0, 2, 'match.path'],
  ]);
  for (const p of ps) assert.ok(p.message.length > 0);
});

test('compilePolicySet – unknown match key → ERR_RULE_UNKNOWN_KEY', () => {
  assert.deepEqual(codes([{ id: 'r', effect: 'allow', match: { path: '/x', body: {} } }]), ['ERR_RULE_UNKNOWN_KEY']);
});

test('compilePolicySet – same rule id twice for one agent and upstream → ERR_RULE_DUPLICATE_ID', () => {
  const rule = { id: 'r', effect: 'allow', match: { path: '/x' } };
  assert.deepEqual(codes([rule, rule]), ['ERR_RULE_DUPLICATE_ID']);
  const r = compilePolicySet([
    { agents: ['a1'], upstream: 'gh', rules: [rule as RuleSpec] },
    { agents: ['a1', 'a2'], upstream: 'gh', rules: [rule as RuleSpec] },
  ], [{ name: 'gh' }]);
  assert.equal(r.ok, false);
  if (!r.ok) assert.deepEqual(r.problems.map((p) => [p.code, p.policy]), [['ERR_RULE_DUPLICATE_ID', 1]]);
});

test('compilePolicySet – policy for an unconfigured upstream → ERR_RULE_UPSTREAM_UNKNOWN at [upstream]', () => {
  const ps = problems([{ id: 'r', effect: 'allow', match: { path: '/x' } }], 'nope');
  assert.deepEqual(ps.map((p) => [p.code, p.rule, p.path]), [['ERR_RULE_UPSTREAM_UNKNOWN', undefined, ['upstream']]]);
});

test('compilePolicySet – requires approval on a deny rule → ERR_RULE_APPROVAL_ON_DENY', () => {
  assert.deepEqual(codes([{ id: 'r', effect: 'deny', requires: 'approval', match: { path: '/x' } }]), ['ERR_RULE_APPROVAL_ON_DENY']);
});

test('compilePolicySet – rule id default_deny → ERR_RULE_INVALID', () => {
  assert.deepEqual(codes([{ id: 'default_deny', effect: 'deny', match: { path: '/x' } }]), ['ERR_RULE_INVALID']);
});

test('compilePolicySet – digest: equal input equal digest; defaults normalised; any rule change changes it', () => {
  const base: PolicySpec[] = [{ agents: ['a1'], upstream: 'gh', rules: [{ id: 'r', effect: 'allow', match: { path: '/x' } }] }];
  const explicit: PolicySpec[] = [{ agents: ['a1'], upstream: 'gh', rules: [{ id: 'r', effect: 'allow', mode: 'enforce', match: { path: '/x', methods: '*' } }] }];
  const changed: PolicySpec[] = [{ agents: ['a1'], upstream: 'gh', rules: [{ id: 'r', effect: 'deny', match: { path: '/x' } }] }];
  const d = (p: PolicySpec[], pathCase: 'sensitive' | 'insensitive' = 'sensitive') => compileOk(p, [{ name: 'gh', pathCase }]).digest;
  assert.equal(d(base), d(base));
  assert.equal(d(base), d(explicit));
  assert.notEqual(d(base), d(changed));
  assert.notEqual(d(base), d(base, 'insensitive'));
});

test('compilePolicySet – the compiled set is frozen', () => {
  const set = compileOk([{ agents: ['a1'], upstream: 'gh', rules: [] }]);
  assert.ok(Object.isFrozen(set));
});
