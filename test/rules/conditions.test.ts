import test from 'node:test';
import assert from 'node:assert/strict';
import { parseBody, type BodyFacts, type BodyKind, type RuleSpec } from '../../rules/index.js';
import { compilePolicySet } from '../../rules/index.js';
import { req, rulesFor } from './helpers.js';

function body(kind: BodyKind, text: string): BodyFacts {
  const ct = kind === 'form' ? 'application/x-www-form-urlencoded' : 'application/json';
  const r = parseBody(kind, new TextEncoder().encode(text), ct);
  if (!r.ok) assert.fail(`body refused: ${r.reason}`);
  return r.body;
}

const reviews = rulesFor([
  { id: 'comment-review', effect: 'allow', match: { methods: ['POST'], path: '/repos/acme/app/pulls/*/reviews', json: { event: { equals: 'COMMENT' } } } },
]);

test('json – review event COMMENT → allow; APPROVE, approve, " APPROVE", missing → deny (CASES B13, S05)', () => {
  const f = (text: string) => reviews.evaluate(req('POST', '/repos/acme/app/pulls/7/reviews', { body: body('json', text) }));
  assert.equal(f('{"event":"COMMENT","body":"x"}').effect, 'allow');
  for (const t of ['{"event":"APPROVE"}', '{"event":"approve"}', '{"event":" COMMENT"}', '{"event":"COMMENT\\u200b"}', '{}', '{"event":null}']) {
    assert.equal(f(t).ruleId, 'default_deny', t);
  }
  assert.equal(reviews.evaluate(req('POST', '/repos/acme/app/pulls/7/reviews')).ruleId, 'default_deny');
});

test('json – unicode-escaped key (CASES B02) → parsed, then denied', () => {
  const d = reviews.evaluate(req('POST', '/repos/acme/app/pulls/7/reviews', { body: body('json', '{"\\u0065vent":"APPROVE"}') }));
  assert.equal(d.ruleId, 'default_deny');
});

const zendesk = rulesFor([
  { id: 'private-note', effect: 'allow', match: { methods: ['PUT'], path: '/api/v2/tickets/{id}', json: { 'ticket.comment.public': false } } },
], { upstream: 'gh' });

test('json – Zendesk public=false → allow; public missing or true or "false" → deny (CASES S08)', () => {
  const f = (text: string) => zendesk.evaluate(req('PUT', '/api/v2/tickets/42', { body: body('json', text) })).effect;
  assert.equal(f('{"ticket":{"comment":{"body":"hi","public":false}}}'), 'allow');
  assert.equal(f('{"ticket":{"comment":{"body":"hi"}}}'), 'deny');
  assert.equal(f('{"ticket":{"comment":{"public":true}}}'), 'deny');
  assert.equal(f('{"ticket":{"comment":{"public":"false"}}}'), 'deny');
  assert.equal(f('{"ticket":{"comment":[{"public":false}]}}'), 'deny');
  assert.equal(zendesk.evaluate(req('PUT', '/api/v2/tickets/42', { body: { kind: 'json', value: undefined } })).effect, 'deny');
});

test('json – array wildcard: allow needs all elements, deny needs one (default quantifier)', () => {
  const set = rulesFor([
    { id: 'bulk-private', effect: 'allow', match: { path: '/tickets', json: { 'tickets[*].comment.public': false } } },
    { id: 'no-urgent', effect: 'deny', match: { path: '/tickets', json: { 'tickets[*].priority': 'urgent' } } },
  ]);
  const f = (text: string) => set.evaluate(req('POST', '/tickets', { body: body('json', text) })).ruleId;
  assert.equal(f('{"tickets":[{"comment":{"public":false}},{"comment":{"public":false}}]}'), 'bulk-private');
  assert.equal(f('{"tickets":[{"comment":{"public":false}},{"comment":{}}]}'), 'default_deny');
  assert.equal(f('{"tickets":[{"comment":{"public":false}},{"priority":"urgent","comment":{"public":false}}]}'), 'no-urgent');
});

test('json – explicit any/all override the effect default', () => {
  const set = rulesFor([
    { id: 'has-bug-label', effect: 'allow', match: { path: '/x', json: { 'labels[*]': { any: { equals: 'bug' } } } } },
    { id: 'all-closed', effect: 'deny', match: { path: '/y', json: { 'items[*].state': { all: { equals: 'closed' } } } } },
  ]);
  const f = (path: string, text: string) => set.evaluate(req('POST', path, { body: body('json', text) })).ruleId;
  assert.equal(f('/x', '{"labels":["ui","bug"]}'), 'has-bug-label');
  assert.equal(f('/x', '{"labels":["ui"]}'), 'default_deny');
  assert.equal(f('/y', '{"items":[{"state":"closed"},{"state":"open"}]}'), 'default_deny');
  assert.equal(f('/y', '{"items":[{"state":"closed"}]}'), 'all-closed');
});

test('json – numbers compared exactly above 2^53', () => {
  const set = rulesFor([
    { id: 'small', effect: 'allow', match: { path: '/pay', json: { amount: { lte: '9007199254740992' } } } },
    { id: 'exact', effect: 'allow', match: { path: '/id', json: { id: 9007199254740993n } } },
  ]);
  const f = (path: string, text: string) => set.evaluate(req('POST', path, { body: body('json', text) })).effect;
  assert.equal(f('/pay', '{"amount":9007199254740992}'), 'allow');
  assert.equal(f('/pay', '{"amount":9007199254740993}'), 'deny');
  assert.equal(f('/pay', '{"amount":9007199254740992.5}'), 'deny');
  assert.equal(f('/pay', '{"amount":1e2}'), 'allow');
  assert.equal(f('/pay', '{"amount":"100"}'), 'deny');
  assert.equal(f('/id', '{"id":9007199254740993}'), 'allow');
  assert.equal(f('/id', '{"id":9007199254740992}'), 'deny');
  assert.equal(f('/id', '{"id":9007199254740993.0}'), 'allow');
});

test('json – unsafe integer literal in a rule → ERR_RULE_NUMBER_UNSAFE', () => {
  const r = compilePolicySet([{ agents: ['a1'], upstream: 'gh', rules: [{ id: 'r', effect: 'allow', match: { path: '/x', json: { n: { gt: 9007199254740993 } } } }] }], [{ name: 'gh' }]);
  assert.equal(r.ok, false);
  if (!r.ok) assert.deepEqual(r.problems.map((p) => [p.code, p.path.join('.')]), [['ERR_RULE_NUMBER_UNSAFE', 'match.json.n.gt']]);
});

test('json – exists, missing, not_in, in, glob, regex', () => {
  const set = rulesFor([
    { id: 'branch-set', effect: 'allow', match: { path: '/contents', json: { branch: { exists: true, not_in: ['main', 'master'] } } } },
    { id: 'no-force', effect: 'deny', match: { path: '/refs', json: { force: { missing: false, in: [true, 'true'] } } } },
    { id: 'refs', effect: 'allow', match: { path: '/refs', json: { ref: { glob: 'refs/heads/feature/*' } } } },
    { id: 'sha', effect: 'allow', match: { path: '/sha', json: { sha: { regex: '[0-9a-f]{40}' } } } },
  ]);
  const f = (path: string, text: string) => set.evaluate(req('POST', path, { body: body('json', text) })).ruleId;
  assert.equal(f('/contents', '{"branch":"feature"}'), 'branch-set');
  assert.equal(f('/contents', '{"branch":"main"}'), 'default_deny');
  assert.equal(f('/contents', '{"message":"m"}'), 'default_deny'); // CASES S03: missing = default branch
  assert.equal(f('/refs', '{"ref":"refs/heads/feature/x"}'), 'refs');
  assert.equal(f('/refs', '{"ref":"refs/heads/feature/x","force":true}'), 'no-force');
  assert.equal(f('/refs', '{"ref":"refs/heads/main"}'), 'default_deny');
  assert.equal(f('/sha', `{"sha":"${'a'.repeat(40)}"}`), 'sha');
  assert.equal(f('/sha', `{"sha":"${'a'.repeat(40)}x"}`), 'default_deny');
});

test('form – Stripe amount limit and metadata bracket key', () => {
  const set = rulesFor([
    { id: 'small-charge', effect: 'allow', match: { methods: ['POST'], path: '/v1/charges', form: { amount: { lte: 1000 }, currency: ['usd', 'eur'], 'metadata[source]': 'agent' } } },
  ]);
  const f = (text: string) => set.evaluate(req('POST', '/v1/charges', { body: body('form', text) })).effect;
  assert.equal(f('amount=500&currency=usd&metadata[source]=agent'), 'allow');
  assert.equal(f('amount=500&currency=usd&metadata%5Bsource%5D=agent'), 'allow');
  assert.equal(f('amount=5000&currency=usd&metadata[source]=agent'), 'deny');
  assert.equal(f('amount=500&currency=gbp&metadata[source]=agent'), 'deny');
  assert.equal(f('amount=500&currency=usd&metadata[source]=human'), 'deny');
  assert.equal(f('amount=abc&currency=usd&metadata[source]=agent'), 'deny');
});

test('form – items[*][price] wildcard over indexed items', () => {
  const set = rulesFor([{ id: 'basic-only', effect: 'allow', match: { path: '/v1/subscriptions', form: { 'items[*][price]': { glob: 'price_basic_*' } } } }]);
  const f = (text: string) => set.evaluate(req('POST', '/v1/subscriptions', { body: body('form', text) })).effect;
  assert.equal(f('items[0][price]=price_basic_1&items[1][price]=price_basic_2'), 'allow');
  assert.equal(f('items[0][price]=price_basic_1&items[1][price]=price_gold'), 'deny');
});

test('query – equals on a parameter; repeated parameter fails closed for allow and deny', () => {
  const set = rulesFor([
    { id: 'list-open', effect: 'allow', match: { methods: ['GET'], path: '/issues', query: { state: 'open' } } },
    { id: 'no-per-page-max', effect: 'deny', match: { methods: ['GET'], path: '/issues', query: { per_page: { gt: 50 } } } },
  ]);
  const f = (q: [string, string][]) => set.evaluate(req('GET', '/issues', { query: q })).ruleId;
  assert.equal(f([['state', 'open']]), 'list-open');
  assert.equal(f([['state', 'open'], ['state', 'all']]), 'default_deny');
  assert.equal(f([]), 'default_deny');
  assert.equal(f([['state', 'open'], ['per_page', '10'], ['per_page', '100']]), 'no-per-page-max');
});

test('headers – every value and every comma element is checked (CASES H15)', () => {
  const set = rulesFor([
    { id: 'v2022', effect: 'allow', match: { path: '/x', headers: { 'x-github-api-version': '2022-11-28' } } },
    { id: 'no-admin', effect: 'deny', match: { path: '/x', headers: { 'x-role': 'admin' } } },
  ]);
  const f = (headers: Record<string, string[]>) => set.evaluate(req('GET', '/x', { headers })).ruleId;
  assert.equal(f({ 'x-github-api-version': ['2022-11-28'] }), 'v2022');
  assert.equal(f({ 'x-github-api-version': ['2022-11-28', '2099-01-01'] }), 'default_deny');
  assert.equal(f({ 'x-github-api-version': ['2022-11-28, 2099-01-01'] }), 'default_deny');
  assert.equal(f({ 'x-github-api-version': ['2022-11-28'], 'x-role': ['ok, admin'] }), 'no-admin');
});

test('skill – name and semver range; no skill claim → no match', () => {
  const set = rulesFor([{ id: 'cr', effect: 'allow', match: { path: '/x', skill: { name: 'code-review', version: '>=1.4.0 <2' } } }]);
  const f = (skill?: { name: string; version: string }) => set.evaluate(req('GET', '/x', skill ? { skill } : {})).effect;
  assert.equal(f({ name: 'code-review', version: '1.4.2' }), 'allow');
  assert.equal(f({ name: 'code-review', version: '2.0.0' }), 'deny');
  assert.equal(f({ name: 'other', version: '1.4.2' }), 'deny');
  assert.equal(f({ name: 'code-review', version: 'not-semver' }), 'deny');
  assert.equal(f(), 'deny');
});

test('conditions – malformed conditions → every problem with its path', () => {
  const bad: RuleSpec = {
    id: 'r', effect: 'allow', match: {
      path: '/x',
      json: { 'a[': 1, ok: { regex: '(' }, n: { gt: 'ten' }, k: { between: 1 } },
      form: { a: 1 },
      headers: { 'X-Upper': 'v' },
      skill: { version: 'not a range!!' },
    } as RuleSpec['match'],
  };
  const r = compilePolicySet([{ agents: ['a1'], upstream: 'gh', rules: [bad] }], [{ name: 'gh' }]);
  assert.equal(r.ok, false);
  if (r.ok) return;
  const got = r.problems.map((p) => `${p.code} ${p.path.join('.')}`).sort();
  assert.deepEqual(got, [
    'ERR_RULE_BODY_KIND_CONFLICT match.form',
    'ERR_RULE_FIELD_PATH_INVALID match.json.a[',
    'ERR_RULE_INVALID match.headers.X-Upper',
    'ERR_RULE_REGEX_INVALID match.json.ok.regex',
    'ERR_RULE_SEMVER_INVALID match.skill.version',
    'ERR_RULE_TEST_INVALID match.json.n.gt',
    'ERR_RULE_UNKNOWN_KEY match.json.k.between',
  ]);
});

test('bodyNeed – per request: only rules whose method and path match count', () => {
  const set = rulesFor([
    { id: 'rev', effect: 'allow', match: { methods: ['POST'], path: '/repos/*/*/pulls/*/reviews', json: { event: 'COMMENT' } } },
    { id: 'gql', effect: 'allow', match: { methods: ['POST', 'GET'], path: '/graphql', graphql: { operation: 'query' } } },
    { id: 'read', effect: 'allow', match: { methods: ['GET'], path: '/repos/**' } },
  ]);
  assert.equal(set.bodyNeed('a1', 'gh', 'POST', '/repos/a/b/pulls/1/reviews'), 'json');
  assert.equal(set.bodyNeed('a1', 'gh', 'POST', '/graphql'), 'graphql');
  assert.equal(set.bodyNeed('a1', 'gh', 'GET', '/repos/a/b'), undefined);
  assert.equal(set.bodyNeed('a1', 'gh'), 'graphql');
  assert.equal(set.bodyNeed('a2', 'gh'), undefined);
});

test('bodyNeed – form and JSON rules for one agent and upstream → ERR_RULE_BODY_KIND_CONFLICT', () => {
  const r = compilePolicySet([{ agents: ['a1'], upstream: 'gh', rules: [
    { id: 'j', effect: 'allow', match: { path: '/a', json: { x: 1 } } },
    { id: 'f', effect: 'allow', match: { path: '/b', form: { x: 1 } } },
  ] }], [{ name: 'gh' }]);
  assert.equal(r.ok, false);
  if (!r.ok) assert.deepEqual(r.problems.map((p) => [p.code, p.rule]), [['ERR_RULE_BODY_KIND_CONFLICT', 1]]);
});
