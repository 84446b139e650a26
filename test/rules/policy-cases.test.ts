import test from 'node:test';
import assert from 'node:assert/strict';
import { runPolicyCases } from '../../rules/index.js';
import { rulesFor } from './helpers.js';

const set = rulesFor([
  { id: 'comment', effect: 'allow', match: { methods: ['POST'], path: '/r/*/reviews', json: { event: 'COMMENT' } } },
  { id: 'no-merge', effect: 'deny', match: { path: '/r/*/merge' } },
]);

test('runPolicyCases – matching expectations → passed; each wrong field → one failure naming it', () => {
  const [ok, wrong, refused, notRefused] = runPolicyCases(set, [
    { agent: 'a1', upstream: 'gh', request: { method: 'POST', path: '/r/1/reviews', json: { event: 'COMMENT' } }, expect: { effect: 'allow', rule: 'comment', reason: 'allowed_by_rule', shadow: [] } },
    { name: 'wrong', agent: 'a1', upstream: 'gh', request: { method: 'PUT', path: '/r/1/merge' }, expect: { effect: 'allow', rule: 'comment' } },
    { agent: 'a1', upstream: 'gh', request: { method: 'POST', path: '/r/1/reviews', raw_json: '{"event":"COMMENT","event":"APPROVE"}' }, expect: { refused: 'body_duplicate_key' } },
    { agent: 'a1', upstream: 'gh', request: { method: 'POST', path: '/r/1/reviews', json: { event: 'APPROVE' } }, expect: { refused: 'body_duplicate_key' } },
  ]);
  assert.equal(ok?.passed, true);
  assert.deepEqual(ok?.failures, []);
  assert.equal(wrong?.name, 'wrong');
  assert.equal(wrong?.passed, false);
  assert.deepEqual(wrong?.failures.map((f) => f.split(':')[0]), ['effect', 'rule']);
  assert.equal(refused?.passed, true);
  assert.equal(refused?.refused, 'body_duplicate_key');
  assert.equal(notRefused?.passed, false);
  assert.equal(notRefused?.decision?.ruleId, 'default_deny');
});
