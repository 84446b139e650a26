import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rulesCommand } from '../../gateway/rules-cli/index.js';
import { captureIo, rulesFixture } from './rules-cli-fixture.js';

interface Doc {
  request: { upstream: string; path: string; query: [string, string][]; content_type_assumed: string | null };
  decision: { effect: string; ruleId: string; reason: string; params: Record<string, string> };
  rules: { ruleId: string; methodMatched: boolean; failed: string[]; matched: boolean }[];
  stage?: string;
}

async function explain(t: Parameters<typeof rulesFixture>[0], args: string[], files: Record<string, string> = {}): Promise<{ code: number; doc: Doc; dir: string }> {
  const f = rulesFixture(t, files);
  const io = captureIo();
  const code = await rulesCommand(['explain', '--config', f.config, '--json', ...args.map((a) => a.replace('@DIR', f.dir))], io, {});
  return { code, doc: (code === 0 ? JSON.parse(io.out()) : {}) as Doc, dir: f.dir };
}

test('rules explain – absolute URL with dot-segments and upper-case owner → canonical path, mount removed, deny no-merge', async (t) => {
  const { code, doc } = await explain(t, ['--agent', 'devops', 'PUT', 'https://gw.example/github/repos/ACME/app/pulls/7/./x/../merge?force=1']);
  assert.equal(code, 0);
  assert.equal(doc.request.upstream, 'github');
  assert.equal(doc.request.path, '/repos/ACME/app/pulls/7/merge');
  assert.deepEqual(doc.request.query, [['force', '1']]);
  assert.deepEqual([doc.decision.effect, doc.decision.ruleId, doc.decision.reason], ['deny', 'no-merge', 'denied_by_rule']);
  assert.deepEqual(doc.decision.params, { owner: 'ACME', repo: 'app', n: '7' });
  assert.deepEqual(doc.rules.map((r) => [r.ruleId, r.methodMatched, r.matched]), [['read-app', false, false], ['no-merge', true, true]]);
});

test('rules explain – JSON body that fails a condition → default deny, the nearly matching rule names the failed field', async (t) => {
  const f = rulesFixture(t, { 'approve.json': '{"event":"APPROVE"}' });
  const io = captureIo();
  assert.equal(await rulesCommand(['explain', '--config', f.config, '--agent', 'code-review', '--body', `${f.dir}/approve.json`, 'POST', '/github/repos/acme/app/pulls/7/reviews'], io, {}), 0);
  assert.match(io.out(), /^decision deny {2}rule default_deny {2}reason no_matching_rule$/m);
  assert.match(io.out(), /^ {2}no {4}comment-only \(allow\) \/repos\/\{owner\}\/\{repo\}\/pulls\/\{n\}\/reviews — failed: json\.event$/m);
  assert.match(io.out(), /assumed application\/json/);
});

test('rules explain – form body with its content-type header → allow small-charges', async (t) => {
  const { code, doc } = await explain(t, ['--agent', 'billing', '--header', 'Content-Type: application/x-www-form-urlencoded', '--body', '@DIR/charge.form', 'POST', '/stripe/v1/charges'], { 'charge.form': 'amount=500&currency=usd' });
  assert.equal(code, 0);
  assert.equal(doc.request.content_type_assumed, null);
  assert.deepEqual([doc.decision.effect, doc.decision.ruleId], ['allow', 'small-charges']);
});

test('rules explain – query condition read from the URL → allow only with the right label', async (t) => {
  const ok = await explain(t, ['--agent', 'devops', 'GET', '/github/repos/acme/issues?labels=bug']);
  assert.equal(ok.doc.decision.ruleId, 'issues-by-label');
  const no = await explain(t, ['--agent', 'devops', 'GET', '/github/repos/acme/issues?labels=bug&labels=wontfix']);
  assert.equal(no.doc.decision.ruleId, 'default_deny');
  assert.deepEqual(no.doc.rules.map((r) => r.failed), [['query.labels']]);
});

test('rules explain – refused before policy: aiorg wall, encoded slash, unknown mount, unknown agent, duplicate JSON key', async (t) => {
  const cases: [string[], string, string][] = [
    [['--agent', 'billing', 'GET', '/github/repos/acme/app'], 'aiorg_wall', 'aiorg_boundary'],
    [['--agent', 'devops', 'GET', '/github/repos/acme%2Fapp'], 'pre_policy', 'path_encoded_separator'],
    [['--agent', 'devops', 'GET', '/gitlab/x'], 'pre_policy', 'unknown_mount'],
    [['--agent', 'ghost', 'GET', '/github/repos/acme/app'], 'pre_policy', 'unknown_agent'],
    [['--agent', 'devops', '--header', 'content-type:application/json', '--body', '@DIR/dup.json', 'POST', '/github/repos/a/b/pulls/1/reviews'], 'pre_policy', 'body_duplicate_key'],
  ];
  for (const [args, rule, reason] of cases) {
    const { code, doc } = await explain(t, args, { 'dup.json': '{"event":"COMMENT","event":"APPROVE"}' });
    assert.equal(code, 0, reason);
    assert.deepEqual([doc.decision.effect, doc.decision.ruleId, doc.decision.reason], ['deny', rule, reason]);
  }
});

test('rules explain – usage errors → 2: no --agent, one positional, unreadable --body, --skill without version', async (t) => {
  const f = rulesFixture(t);
  for (const args of [['GET', '/github/x'], ['--agent', 'devops', 'GET'], ['--agent', 'devops', '--body', `${f.dir}/none.json`, 'POST', '/github/x'], ['--agent', 'devops', '--skill', 'review', 'GET', '/github/x']]) {
    const io = captureIo();
    assert.equal(await rulesCommand(['explain', '--config', f.config, ...args], io, {}), 2, args.join(' '));
    assert.match(io.err(), /Usage: claiim rules explain/);
  }
});
