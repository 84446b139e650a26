import test from 'node:test';
import assert from 'node:assert/strict';
import { compileOk, req, rulesFor } from './helpers.js';

const github = rulesFor([
  { id: 'read-app', effect: 'allow', match: { methods: ['GET'], path: '/repos/acme/app/**' } },
  { id: 'comment', effect: 'allow', match: { methods: ['POST'], path: '/repos/acme/app/issues/*/comments' } },
  { id: 'write-app', effect: 'allow', match: { methods: ['PUT', 'PATCH'], path: '/repos/acme/app/**' } },
  { id: 'no-merge', effect: 'deny', match: { methods: '*', path: '/repos/{owner}/{repo}/pulls/{number}/merge' } },
]);

test('evaluate – allow rule matches → allow naming the rule', () => {
  const d = github.evaluate(req('GET', '/repos/acme/app/pulls/7'));
  assert.equal(d.effect, 'allow');
  assert.equal(d.ruleId, 'read-app');
  assert.equal(d.reason, 'allowed_by_rule');
});

test('evaluate – deny rule and allow rule both match → deny', () => {
  const d = github.evaluate(req('PUT', '/repos/acme/app/pulls/7/merge'));
  assert.equal(d.effect, 'deny');
  assert.equal(d.ruleId, 'no-merge');
  assert.equal(d.reason, 'denied_by_rule');
  assert.deepEqual({ ...d.params }, { owner: 'acme', repo: 'app', number: '7' });
});

test('evaluate – deny declared after allow still wins (order does not matter) → deny', () => {
  const d = github.evaluate(req('GET', '/repos/acme/app/pulls/7/merge'));
  assert.equal(d.ruleId, 'no-merge');
});

test('evaluate – no rule matches → default_deny no_matching_rule', () => {
  for (const f of [req('DELETE', '/repos/acme/app'), req('GET', '/repos/acme/other'), req('POST', '/repos/acme/app/issues/1/comments/x')]) {
    const d = github.evaluate(f);
    assert.equal(d.effect, 'deny');
    assert.equal(d.ruleId, 'default_deny');
    assert.equal(d.reason, 'no_matching_rule');
    assert.deepEqual({ ...d.params }, {});
  }
});

test('evaluate – method not listed → default deny (index is per method)', () => {
  const d = github.evaluate(req('POST', '/repos/acme/app/pulls/7'));
  assert.equal(d.ruleId, 'default_deny');
  assert.equal(github.evaluate(req('HEAD', '/repos/acme/app')).ruleId, 'default_deny');
});

test('evaluate – trailing slash on a denied path (CASES P07) → deny', () => {
  assert.equal(github.evaluate(req('PUT', '/repos/acme/app/pulls/7/merge/')).ruleId, 'no-merge');
});

test('evaluate – unknown agent or upstream → default deny', () => {
  assert.equal(github.evaluate(req('GET', '/repos/acme/app', { agent: 'a2' })).ruleId, 'default_deny');
  assert.equal(github.evaluate(req('GET', '/repos/acme/app', { upstream: 'stripe' })).ruleId, 'default_deny');
});

test('evaluate – two allow rules match → the first declared names the decision', () => {
  const set = rulesFor([
    { id: 'first', effect: 'allow', match: { path: '/a/**' } },
    { id: 'second', effect: 'allow', match: { path: '/a/b' } },
  ]);
  assert.equal(set.evaluate(req('GET', '/a/b')).ruleId, 'first');
});

test('evaluate – pathCase insensitive upstream, case-changed owner on denied path → deny', () => {
  const rules = [
    { id: 'write', effect: 'allow' as const, match: { methods: ['PUT' as const], path: '/repos/acme/app/**' } },
    { id: 'no-merge', effect: 'deny' as const, match: { path: '/repos/acme/app/pulls/*/merge' } },
  ];
  const ci = rulesFor(rules, { pathCase: 'insensitive' });
  assert.equal(ci.evaluate(req('PUT', '/repos/ACME/App/pulls/7/merge')).ruleId, 'no-merge');
  assert.equal(ci.evaluate(req('PUT', '/repos/ACME/App/pulls/7')).ruleId, 'write');
  const cs = rulesFor(rules, { pathCase: 'sensitive' });
  assert.equal(cs.evaluate(req('PUT', '/repos/ACME/App/pulls/7/merge')).ruleId, 'default_deny');
});

test('evaluate – shadow deny matches an allowed request → still allow, shadow reported', () => {
  const set = rulesFor([
    { id: 'read', effect: 'allow', match: { methods: ['GET'], path: '/**' } },
    { id: 'would-block', effect: 'deny', mode: 'shadow', match: { path: '/secrets/**' } },
    { id: 'would-allow', effect: 'allow', mode: 'shadow', match: { methods: ['DELETE'], path: '/**' } },
  ]);
  const d = set.evaluate(req('GET', '/secrets/x'));
  assert.equal(d.effect, 'allow');
  assert.equal(d.ruleId, 'read');
  assert.deepEqual(d.shadow, [{ ruleId: 'would-block', effect: 'deny' }]);
  const d2 = set.evaluate(req('DELETE', '/x'));
  assert.equal(d2.effect, 'deny');
  assert.equal(d2.ruleId, 'default_deny');
  assert.deepEqual(d2.shadow, [{ ruleId: 'would-allow', effect: 'allow' }]);
});

test('evaluate – rule requiring approval without approval → deny approval_required naming the rule', () => {
  const set = rulesFor([{ id: 'merge', effect: 'allow', requires: 'approval', match: { methods: ['PUT'], path: '/repos/{o}/{r}/pulls/{n}/merge' } }]);
  const d = set.evaluate(req('PUT', '/repos/acme/app/pulls/7/merge'));
  assert.equal(d.effect, 'deny');
  assert.equal(d.ruleId, 'merge');
  assert.equal(d.reason, 'approval_required');
  const ok = set.evaluate(req('PUT', '/repos/acme/app/pulls/7/merge', { approvedRuleIds: new Map([['gh', new Set(['merge'])]]) }));
  assert.equal(ok.effect, 'allow');
  assert.equal(ok.reason, 'allowed_by_approval');
  const other = set.evaluate(req('PUT', '/repos/acme/app/pulls/7/merge', { approvedRuleIds: new Map([['gh', new Set(['other'])]]) }));
  assert.equal(other.reason, 'approval_required');
});

test('evaluate – approved rule and deny rule both match → deny', () => {
  const set = rulesFor([
    { id: 'merge', effect: 'allow', requires: 'approval', match: { path: '/m/**' } },
    { id: 'never', effect: 'deny', match: { path: '/m/main' } },
  ]);
  assert.equal(set.evaluate(req('PUT', '/m/main', { approvedRuleIds: new Map([['gh', new Set(['merge'])]]) })).ruleId, 'never');
});

test('evaluate – plain allow and approved allow both match → plain allow names the decision', () => {
  const set = rulesFor([
    { id: 'merge', effect: 'allow', requires: 'approval', match: { path: '/m/**' } },
    { id: 'plain', effect: 'allow', match: { path: '/m/x' } },
  ]);
  const d = set.evaluate(req('GET', '/m/x', { approvedRuleIds: new Map([['gh', new Set(['merge'])]]) }));
  assert.equal(d.ruleId, 'plain');
  assert.equal(d.reason, 'allowed_by_rule');
});

test('evaluate – policy for a group of agents → each agent gets the rules, others do not', () => {
  const set = compileOk([
    { agents: ['a1', 'a2'], upstream: 'gh', rules: [{ id: 'r', effect: 'allow', match: { path: '/x' } }] },
    { agents: ['a3'], upstream: 'gh', rules: [{ id: 'r', effect: 'deny', match: { path: '/x' } }] },
  ]);
  assert.equal(set.evaluate(req('GET', '/x', { agent: 'a2' })).effect, 'allow');
  assert.equal(set.evaluate(req('GET', '/x', { agent: 'a3' })).reason, 'denied_by_rule');
  assert.equal(set.evaluate(req('GET', '/x', { agent: 'a4' })).ruleId, 'default_deny');
});

test('evaluate – 10,000 rules → the first, a middle and the last rule each decide their own path', () => {
  // Speed is measured in bench/rules-bench.ts, never asserted here.
  const set = rulesFor(Array.from({ length: 10_000 }, (_, i) => ({
    id: `r${i}`, effect: 'allow' as const, match: { methods: ['GET' as const], path: `/orgs/org${i}/repos/{repo}/issues/*` },
  })));
  for (const i of [0, 4_321, 9_999]) assert.equal(set.evaluate(req('GET', `/orgs/org${i}/repos/x/issues/1`)).ruleId, `r${i}`);
  assert.equal(set.evaluate(req('GET', '/orgs/org10000/repos/x/issues/1')).ruleId, 'default_deny');
  assert.equal(set.evaluate(req('POST', '/orgs/org7/repos/x/issues/1')).ruleId, 'default_deny');
});

test('explain – lists path-matching rules with the method and conditions that failed', () => {
  const set = rulesFor([
    { id: 'comment-review', effect: 'allow', match: { methods: ['POST'], path: '/repos/{o}/{r}/pulls/{n}/reviews', query: { draft: 'false' }, headers: { 'x-a': 'b' } } },
    { id: 'read', effect: 'allow', match: { methods: ['GET'], path: '/repos/**' } },
    { id: 'shadow-deny', effect: 'deny', mode: 'shadow', match: { path: '/repos/*/*/pulls/*/reviews' } },
    { id: 'elsewhere', effect: 'allow', match: { path: '/orgs/**' } },
    { id: 'approved-merge', effect: 'allow', requires: 'approval', match: { methods: ['POST'], path: '/repos/**' } },
  ]);
  const e = set.explain(req('POST', '/repos/acme/app/pulls/7/reviews', { query: [['draft', 'true']], headers: { 'x-a': ['b'] } }));
  assert.equal(e.decision.ruleId, 'approved-merge');
  assert.equal(e.decision.reason, 'approval_required');
  assert.deepEqual(e.rules.map((r) => [r.ruleId, r.methodMatched, r.failed, r.matched]), [
    ['comment-review', true, ['query.draft'], false],
    ['read', false, [], false],
    ['shadow-deny', true, [], true],
    ['approved-merge', true, [], false],
  ]);
  assert.equal(e.rules[3]?.approved, false);
  assert.deepEqual({ ...e.rules[0]?.params }, { o: 'acme', r: 'app', n: '7' });
});

test('evaluate – review C: approval of prod-change on one upstream, same id on another upstream → approval_required there', () => {
  const set = compileOk([
    { agents: ['a1'], upstream: 'gh', rules: [{ id: 'prod-change', effect: 'allow', requires: 'approval', match: { methods: ['PUT'], path: '/repos/{o}/{r}/pulls/{n}/merge' } }] },
    { agents: ['a1'], upstream: 'billing', rules: [{ id: 'prod-change', effect: 'allow', requires: 'approval', match: { methods: ['DELETE'], path: '/**' } }] },
  ], [{ name: 'gh' }, { name: 'billing' }]);
  const approvedRuleIds = new Map([['gh', new Set(['prod-change'])]]);
  const del = set.evaluate(req('DELETE', '/customers/cus_1', { upstream: 'billing', approvedRuleIds }));
  assert.deepEqual([del.effect, del.ruleId, del.reason], ['deny', 'prod-change', 'approval_required']);
  assert.equal(set.explain(req('DELETE', '/customers/cus_1', { upstream: 'billing', approvedRuleIds })).rules[0]?.approved, false);
  const merge = set.evaluate(req('PUT', '/repos/acme/app/pulls/1/merge', { approvedRuleIds }));
  assert.deepEqual([merge.effect, merge.reason], ['allow', 'allowed_by_approval']);
});
