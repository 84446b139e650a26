import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { request } from 'undici';
import { GITHUB_VIEWER, startFakeUpstream, type FakeUpstream } from '../../gateway/demo/fake-upstreams/index.js';

type Json = Record<string, unknown>;

async function github(t: TestContext): Promise<{ fake: FakeUpstream; call: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; headers: Record<string, unknown>; body: unknown }> }> {
  const fake = await startFakeUpstream('github');
  t.after(() => fake.close());
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await request(`${fake.url}${path}`, {
      method: method as 'GET', headers: { authorization: fake.expectedCredential, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, body: text === '' ? undefined : String(res.headers['content-type']).startsWith('application/json') ? JSON.parse(text) as unknown : text };
  };
  return { fake, call };
}

test('fake github GET pulls/{n} – known pull → 200 pull object; unknown number or repo → 404 GitHub shape', async (t) => {
  const { call } = await github(t);
  const ok = await call('GET', '/repos/acme/app/pulls/7');
  assert.equal(ok.status, 200);
  const pr = ok.body as Json;
  assert.equal(pr.number, 7);
  assert.equal(pr.state, 'open');
  assert.equal(pr.merged, false);
  assert.equal((pr.head as Json).ref, 'feature/rate-limit');
  assert.equal(ok.headers['x-github-media-type'], 'github.v3; format=json');
  assert.equal((await call('GET', '/repos/ACME/App/pulls/7')).status, 200);
  assert.equal((await call('GET', '/repos/acme/app/pulls/7/')).status, 200);
  assert.equal((await call('GET', '/repos/acme/app/pulls/7//')).status, 404);
  for (const path of ['/repos/acme/app/pulls/99', '/repos/acme/other/pulls/7', '/repos/acme/app/nothing']) {
    const nf = await call('GET', path);
    assert.equal(nf.status, 404, path);
    assert.equal((nf.body as Json).message, 'Not Found');
    assert.equal((nf.body as Json).documentation_url, 'https://docs.github.com/rest');
  }
});

test('fake github GET pulls, pulls/{n}/files, diff media type, /user → list, files, diff text, viewer', async (t) => {
  const { call } = await github(t);
  const list = await call('GET', '/repos/acme/app/pulls?state=open');
  assert.deepEqual((list.body as Json[]).map((p) => p.number), [7, 8]);
  const files = await call('GET', '/repos/acme/app/pulls/7/files');
  assert.deepEqual((files.body as Json[]).map((f) => f.filename), ['src/webhooks/stripe.ts', 'src/limits.ts']);
  assert.equal((files.body as Json[])[0]?.changes, 14);
  const diff = await call('GET', '/repos/acme/app/pulls/8', undefined, { accept: 'application/vnd.github.diff' });
  assert.match(String(diff.body), /^diff --git a\/package\.json b\/package\.json/);
  const user = await call('GET', '/user');
  assert.equal((user.body as Json).login, GITHUB_VIEWER.login);
});

test('fake github POST issues/{n}/comments – body → 201 comment; no body field → 422; not JSON → 400', async (t) => {
  const { call, fake } = await github(t);
  const created = await call('POST', '/repos/acme/app/issues/7/comments', { body: 'Looks good to me' });
  assert.equal(created.status, 201);
  assert.equal((created.body as Json).body, 'Looks good to me');
  assert.match(String(created.headers.location), /\/repos\/acme\/app\/issues\/comments\/\d+$/);
  assert.equal((await call('POST', '/repos/acme/app/issues/7/comments', { text: 'x' })).status, 422);
  assert.equal((await call('POST', '/repos/acme/app/issues/7/comments', '{not json')).status, 400);
  const onIssue = await call('POST', '/repos/acme/app/issues/1/comments', { body: 'x' });
  assert.equal(onIssue.status, 201);
  assert.match(String((onIssue.body as Json).html_url), /\/acme\/app\/issues\/1#issuecomment-\d+$/);
  assert.equal((await call('POST', '/repos/acme/app/issues/9/comments', { body: 'x' })).status, 404);
  assert.equal(fake.received[0]?.body.toString(), '{"body":"Looks good to me"}');
});

test('fake github POST pulls/{n}/reviews – event maps to state; no event → PENDING; bad event → 422', async (t) => {
  const { call } = await github(t);
  for (const [event, state] of [['COMMENT', 'COMMENTED'], ['APPROVE', 'APPROVED'], ['REQUEST_CHANGES', 'CHANGES_REQUESTED'], [undefined, 'PENDING']] as const) {
    const r = await call('POST', '/repos/acme/app/pulls/7/reviews', { body: 'ok', ...(event ? { event } : {}) });
    assert.equal(r.status, 200);
    assert.equal((r.body as Json).state, state);
  }
  assert.equal((await call('POST', '/repos/acme/app/pulls/7/reviews', { event: 'MERGE' })).status, 422);
});

test('fake github PUT pulls/{n}/merge – open pull → 200 merged:true, then state merged; again → 405', async (t) => {
  const { call } = await github(t);
  const merged = await call('PUT', '/repos/acme/app/pulls/7/merge', { merge_method: 'squash' });
  assert.equal(merged.status, 200);
  assert.equal((merged.body as Json).merged, true);
  assert.equal((merged.body as Json).message, 'Pull Request successfully merged');
  assert.equal(((await call('GET', '/repos/acme/app/pulls/7')).body as Json).merged, true);
  assert.equal((await call('PUT', '/repos/acme/app/pulls/7/merge')).status, 405);
  assert.equal((await call('PUT', '/repos/acme/app/pulls/8/merge', { merge_method: 'octopus' })).status, 422);
});

test('fake github POST /graphql – viewer and repository query → data; unknown field → errors only', async (t) => {
  const { call } = await github(t);
  const q = await call('POST', '/graphql', {
    query: 'query Q($n: Int!) { viewer { login } r: repository(owner: "acme", name: "app") { ...Pr } } fragment Pr on Repository { pullRequest(number: $n) { number state } }',
    variables: { n: 8 },
  });
  assert.equal(q.status, 200);
  assert.deepEqual((q.body as Json).data, { viewer: { login: GITHUB_VIEWER.login }, r: { pullRequest: { number: 8, state: 'OPEN' } } });
  const bad = await call('POST', '/graphql', { query: '{ viewer { password } }' });
  assert.equal((bad.body as Json).data, undefined);
  assert.equal(((bad.body as { errors: Json[] }).errors[0]?.extensions as Json).code, 'undefinedField');
  const missing = await call('POST', '/graphql', { query: '{ repository(owner: "acme", name: "nope") { name } }' });
  assert.deepEqual((missing.body as Json).data, { repository: null });
  assert.equal((missing.body as { errors: Json[] }).errors[0]?.type, 'NOT_FOUND');
  const syntax = await call('POST', '/graphql', { query: '{ viewer { login ' });
  assert.equal(syntax.status, 200);
  assert.ok(Array.isArray((syntax.body as Json).errors));
});

test('fake github POST /graphql – mutation → echoed generically with resolved variables', async (t) => {
  const { call } = await github(t);
  const m = await call('POST', '/graphql', {
    query: 'mutation A($input: AddPullRequestReviewInput!) { review: addPullRequestReview(input: $input) { clientMutationId pullRequestReview { id } } }',
    variables: { input: { pullRequestId: 'PR_kwDOJj7', event: 'APPROVE', clientMutationId: 'c1' } },
  });
  assert.equal(m.status, 200);
  assert.deepEqual((m.body as Json).data, { review: { clientMutationId: 'c1', pullRequestReview: null } });
  assert.deepEqual(((m.body as Json).extensions as Json).fakeEcho, [{ field: 'addPullRequestReview', alias: 'review', arguments: { input: { pullRequestId: 'PR_kwDOJj7', event: 'APPROVE', clientMutationId: 'c1' } } }]);
});

test('fake github POST /graphql – no credential → 401 with the GraphQL authentication message', async (t) => {
  const { fake } = await github(t);
  const res = await request(`${fake.url}/graphql`, { method: 'POST', body: '{"query":"{ viewer { login } }"}' });
  assert.equal(res.statusCode, 401);
  assert.equal(((await res.body.json()) as Json).message, 'This endpoint requires you to be authenticated.');
});
