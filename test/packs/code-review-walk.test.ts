import test from 'node:test';
import assert from 'node:assert/strict';
import { Octokit } from '@octokit/rest';
import { restEndpointMethods } from '@octokit/plugin-rest-endpoint-methods';
import { parseBody, type HttpMethod, type PolicySet } from '../../rules/index.js';
import { compilePack, PACKS } from './packs.js';

const pack = PACKS.find((p) => p.name === 'code-review');
if (!pack) throw new Error('code-review pack missing');

/**
 * The non-GET routes the code-review pack allows on purpose ("METHOD template" as Octokit spells them).
 * The review route is allowed only with event COMMENT (the walk sends that body to find it). GraphQL is
 * not in the REST list: its mutations are covered by the pack's rules.test.yaml cases.
 */
const ALLOWED_ON_PURPOSE = [
  'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
  'POST /repos/{owner}/{repo}/pulls/{pull_number}/comments',
  'POST /repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies',
  'POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews',
].sort();

/** Every REST route Octokit knows, from the plugin's endpoint list: `METHOD /template`. */
function octokitRoutes(): string[] {
  const { rest } = restEndpointMethods(new Octokit());
  const out = new Set<string>();
  for (const scope of Object.values(rest) as Record<string, { endpoint: { DEFAULTS: { method: string; url: string } } }>[]) {
    for (const fn of Object.values(scope)) out.add(`${fn.endpoint.DEFAULTS.method} ${fn.endpoint.DEFAULTS.url}`);
  }
  return [...out].sort();
}

/** A concrete path for a template: owner acme, repo app, refs heads/main, every other parameter a one-segment value. */
function concrete(template: string): string {
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => name === 'owner' || name === 'org' ? 'acme' : name === 'repo' ? 'app' : name === 'ref' ? 'heads/main' : `${name}-1`);
}

/** Evaluate one request the way the gateway does after canonicalisation, with the most permissive body an allow rule asks for. */
function decide(set: PolicySet, method: HttpMethod, path: string, body: unknown): ReturnType<PolicySet['evaluate']> {
  const base = { agent: 'code-review', upstream: 'github', method, path, query: [], headers: {}, skill: { name: 'code-review', version: '1.4.2' } } as const;
  const kind = set.bodyNeed('code-review', 'github', method, path);
  if (kind === undefined) return set.evaluate(base);
  const parsed = parseBody(kind, new TextEncoder().encode(JSON.stringify(body)), 'application/json');
  assert.ok(parsed.ok, `${method} ${path}: the walk's body must parse`);
  return set.evaluate({ ...base, body: parsed.body });
}

test('code-review walk – every non-GET Octokit REST route → denied unless listed on purpose', () => {
  const set = compilePack(pack);
  const routes = octokitRoutes();
  const writes = routes.filter((r) => !r.startsWith('GET ') && !r.startsWith('HEAD '));
  assert.ok(writes.length > 400, `the plugin ships the full endpoint list (got ${writes.length} non-GET routes)`);
  const allowed: string[] = [];
  for (const route of writes) {
    const [method = '', template = ''] = route.split(' ');
    const d = decide(set, method as HttpMethod, concrete(template), { event: 'COMMENT', body: 'x' });
    if (d.effect === 'allow') allowed.push(route);
  }
  assert.deepEqual(allowed.sort(), ALLOWED_ON_PURPOSE);
});

test('code-review walk – merge, approve, push and branch-delete routes → denied by a named rule, not by default', () => {
  const set = compilePack(pack);
  const routes = new Set(octokitRoutes());
  const named: [string, unknown, string][] = [
    ['PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge', { merge_method: 'rebase' }, 'gh-no-merge'],
    ['POST /repos/{owner}/{repo}/merges', { base: 'main', head: 'f' }, 'gh-no-merges'],
    ['POST /repos/{owner}/{repo}/merge-upstream', { branch: 'main' }, 'gh-no-merge-upstream'],
    ['PUT /repos/{owner}/{repo}/pulls/{pull_number}/update-branch', {}, 'gh-no-update-branch'],
    ['PATCH /repos/{owner}/{repo}/git/refs/{ref}', { sha: 'abc', force: true }, 'gh-no-ref-writes'],
    ['DELETE /repos/{owner}/{repo}/git/refs/{ref}', {}, 'gh-no-ref-writes'],
    ['POST /repos/{owner}/{repo}/git/refs', { ref: 'refs/heads/x', sha: 'abc' }, 'gh-no-ref-writes'],
    ['POST /repos/{owner}/{repo}/git/commits', { message: 'm', tree: 't' }, 'gh-no-git-writes'],
    ['PUT /repos/{owner}/{repo}/contents/{path}', { message: 'm', content: 'aGk=' }, 'gh-no-contents-write'],
    ['DELETE /repos/{owner}/{repo}/contents/{path}', { message: 'm', sha: 'abc' }, 'gh-no-contents-write'],
    ['POST /repos/{owner}/{repo}/branches/{branch}/rename', { new_name: 'x' }, 'gh-no-branch-writes'],
    ['POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews', { event: 'APPROVE' }, 'gh-no-approve'],
    ['POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/events', { event: 'APPROVE' }, 'gh-no-approve-pending'],
  ];
  for (const [route, body, rule] of named) {
    assert.ok(routes.has(route), `Octokit knows ${route}`);
    const [method = '', template = ''] = route.split(' ');
    const d = decide(set, method as HttpMethod, concrete(template), body);
    assert.deepEqual([route, d.effect, d.ruleId], [route, 'deny', rule]);
    // POST where PATCH/PUT is documented is denied just the same.
    const viaPost = decide(set, 'POST', concrete(template), body);
    assert.deepEqual([route, viaPost.effect], [route, 'deny']);
  }
});
