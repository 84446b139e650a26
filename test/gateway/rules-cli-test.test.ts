import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rulesCommand } from '../../gateway/rules-cli/index.js';
import { caseFileFor, testNameOf } from '../../gateway/rules-cli/policy-tests.js';
import { captureIo, CONFIG, GITHUB_CASES, rulesFixture } from './rules-cli-fixture.js';

test('rules test – passing cases beside the included rule file → 0, one PASS line per case and agent', async (t) => {
  const f = rulesFixture(t);
  const io = captureIo();
  assert.equal(await rulesCommand(['test', '--config', f.config], io, {}), 0);
  const pass = io.out().split('\n').filter((l) => l.startsWith('PASS '));
  assert.deepEqual(pass, [
    'PASS test_read_the_app_repo_allowed[code-review]', 'PASS test_read_the_app_repo_allowed[devops]',
    'PASS test_merge_is_denied_denied[code-review]', 'PASS test_merge_is_denied_denied[devops]',
    'PASS test_post_repos_acme_app_pulls_7_reviews_refused[code-review]', 'PASS test_post_repos_acme_app_pulls_7_reviews_refused[devops]',
  ]);
  assert.match(io.out(), /6 passed, 0 failed, 1 file\(s\)\n$/);
});

test('rules test – a case whose expectation is wrong → 1, FAIL and a file:line:col ERR_RULES_TEST_FAILED line per field', async (t) => {
  const f = rulesFixture(t, { 'rules/github.test.yaml': `${GITHUB_CASES}- name: merge is allowed
  agent: devops
  request: { method: PUT, path: /repos/acme/app/pulls/7/merge }
  expect: { effect: allow, rule: read-app }
` });
  const io = captureIo();
  assert.equal(await rulesCommand(['test', '--config', f.config], io, {}), 1);
  assert.match(io.out(), /^FAIL test_merge_is_allowed_allowed$/m);
  const failures = io.out().split('\n').filter((l) => l.includes('ERR_RULES_TEST_FAILED')).map((l) => l.replace(f.dir, ''));
  assert.deepEqual(failures, [
    '/rules/github.test.yaml:9:3: ERR_RULES_TEST_FAILED test_merge_is_allowed_allowed: effect: expected allow, got deny',
    '/rules/github.test.yaml:9:3: ERR_RULES_TEST_FAILED test_merge_is_allowed_allowed: rule: expected read-app, got no-merge',
  ]);
  assert.match(io.out(), /6 passed, 1 failed/);
});

test('rules test – unknown key in a case file → 2, ERR_RULES_TEST_SCHEMA at the key', async (t) => {
  const f = rulesFixture(t, { 'rules/github.test.yaml': GITHUB_CASES.replace('expect: { effect: allow, rule: read-app }', 'expect: { effect: allow, rulez: read-app }') });
  const io = captureIo();
  assert.equal(await rulesCommand(['test', '--config', f.config], io, {}), 2);
  const lines = io.out().split('\n').filter((l) => l.includes(': ERR_')).map((l) => l.replace(f.dir, ''));
  assert.deepEqual(lines, ['/rules/github.test.yaml:3:28: ERR_RULES_TEST_SCHEMA unknown key "rulez"']);
});

test('rules test – a case naming an unregistered agent → 2, ERR_RULES_TEST_REFERENCE', async (t) => {
  const f = rulesFixture(t, { 'rules/github.test.yaml': `- agent: nobody
  request: { method: GET, path: /repos/acme/app }
  expect: { effect: allow }
` });
  const io = captureIo();
  assert.equal(await rulesCommand(['test', '--config', f.config], io, {}), 2);
  assert.match(io.out(), /github\.test\.yaml:1:10: ERR_RULES_TEST_REFERENCE agent "nobody" is not registered/);
});

test('rules test – cases beside the config file → agent and upstream inferred from its inline policy', async (t) => {
  const f = rulesFixture(t, { 'claiim.test.yaml': `- name: small charge
  request: { method: POST, path: /v1/charges, form: "amount=500" }
  expect: { effect: allow, rule: small-charges }
- name: big charge
  request: { method: POST, path: /v1/charges, form: "amount=50000" }
  expect: { effect: deny, rule: default_deny }
` });
  const io = captureIo();
  assert.equal(await rulesCommand(['test', '--config', f.config, '--json'], io, {}), 0);
  const doc = JSON.parse(io.out()) as { passed: number; failed: number; files: string[]; cases: { name: string; line: number; decision?: { rule: string } }[] };
  assert.equal(doc.failed, 0);
  assert.equal(doc.passed, 8);
  assert.deepEqual(doc.files.map((x) => x.replace(f.dir, '')).sort(), ['/claiim.test.yaml', '/rules/github.test.yaml']);
  const big = doc.cases.find((c) => c.name === 'test_big_charge_denied');
  assert.equal(big?.line, 4);
  assert.equal(big?.decision?.rule, 'default_deny');
});

test('rules test – a config case without upstream when the config has no inline rules → 2, ERR_RULES_TEST_AMBIGUOUS', async (t) => {
  const f = rulesFixture(t, { 'claiim.test.yaml': `- agent: devops
  request: { method: GET, path: /x }
  expect: { effect: deny }
` });
  f.write('claiim.yaml', CONFIG.replace(/    rules:\n[\s\S]*$/, '    include: [rules/github.yaml]\n'));
  const io = captureIo();
  assert.equal(await rulesCommand(['test', '--config', f.config], io, {}), 2);
  assert.match(io.out(), /claiim\.test\.yaml:1:3: ERR_RULES_TEST_AMBIGUOUS /);
});

test('rules test – invalid config → 2 with the loader\'s problems on stderr', async (t) => {
  const f = rulesFixture(t, { 'rules/github.yaml': 'rules: [ { id: x } ]\n' });
  const io = captureIo();
  assert.equal(await rulesCommand(['test', '--config', f.config], io, {}), 2);
  assert.match(io.err(), /github\.yaml:1:\d+: ERR_CONFIG_SCHEMA /);
});

test('testNameOf / caseFileFor – OPA-style names and the case file beside a rule file', () => {
  assert.equal(testNameOf({ agent: 'a', upstream: 'u', name: 'Merge is DENIED!', request: { method: 'PUT', path: '/m' }, expect: { effect: 'deny' } }), 'test_merge_is_denied_denied');
  assert.equal(testNameOf({ agent: 'a', upstream: 'u', name: 'test_read_allowed', request: { method: 'GET', path: '/' }, expect: { effect: 'allow' } }), 'test_read_allowed');
  assert.equal(testNameOf({ agent: 'a', upstream: 'u', request: { method: 'GET', path: '/a/b' }, expect: { rule: 'r' } }), 'test_get_a_b_decided');
  assert.equal(caseFileFor('/x/rules/github.yaml'), '/x/rules/github.test.yaml');
  assert.equal(caseFileFor('/x/claiim.yml'), '/x/claiim.test.yaml');
});
