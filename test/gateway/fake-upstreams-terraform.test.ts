import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { request } from 'undici';
import { startFakeUpstream } from '../../gateway/demo/fake-upstreams/index.js';

type Json = Record<string, any>; // test-side probing of parsed JSON answers

async function terraform(t: TestContext) {
  const fake = await startFakeUpstream('terraform');
  t.after(() => fake.close());
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; type: unknown; text: string; body: Json }> => {
    const res = await request(`${fake.url}${path}`, {
      method: method as 'GET', body: body === undefined ? undefined : JSON.stringify(body),
      headers: { authorization: fake.expectedCredential, ...(body === undefined ? {} : { 'content-type': 'application/vnd.api+json' }) },
    });
    const text = await res.body.text();
    return { status: res.statusCode, type: res.headers['content-type'], text, body: text === '' ? {} : JSON.parse(text) as Json };
  };
}

const runDoc = (ws: string, attributes: Json = {}) => ({ data: { type: 'runs', attributes, relationships: { workspace: { data: { type: 'workspaces', id: ws } } } } });

test('fake terraform GET workspace and organisation workspaces → JSON:API documents; unknown → 404 errors', async (t) => {
  const call = await terraform(t);
  const ws = await call('GET', '/api/v2/workspaces/ws-prod');
  assert.equal(ws.status, 200);
  assert.equal(ws.type, 'application/vnd.api+json');
  assert.equal(ws.body.data.type, 'workspaces');
  assert.equal(ws.body.data.attributes.name, 'production');
  assert.deepEqual(ws.body.data.relationships['current-run'].data, { id: 'run-1', type: 'runs' });
  const list = await call('GET', '/api/v2/organizations/acme/workspaces');
  assert.deepEqual(list.body.data.map((w: Json) => w.id), ['ws-prod', 'ws-staging']);
  assert.equal(list.body.meta.pagination['total-count'], 2);
  const nf = await call('GET', '/api/v2/workspaces/ws-nope');
  assert.equal(nf.status, 404);
  assert.deepEqual(nf.body.errors, [{ status: '404', title: 'not found' }]);
  assert.equal((await call('DELETE', '/api/v2/workspaces/ws-prod')).status, 404);
});

test('fake terraform POST runs – valid document → 201 planned run; is-destroy kept; bad documents → 400/409/422/404', async (t) => {
  const call = await terraform(t);
  const r = await call('POST', '/api/v2/runs', runDoc('ws-staging', { message: 'bump module', 'is-destroy': true }));
  assert.equal(r.status, 201);
  assert.equal(r.body.data.type, 'runs');
  assert.equal(r.body.data.attributes.status, 'planned');
  assert.equal(r.body.data.attributes['is-destroy'], true);
  assert.equal(r.body.data.attributes.actions['is-confirmable'], true);
  assert.equal((await call('GET', `/api/v2/runs/${r.body.data.id}`)).body.data.attributes.message, 'bump module');
  assert.equal((await call('POST', '/api/v2/runs', { nothing: true })).status, 400);
  assert.equal((await call('POST', '/api/v2/runs', { data: { type: 'workspaces' } })).status, 409);
  assert.equal((await call('POST', '/api/v2/runs', { data: { type: 'runs' } })).status, 422);
  assert.equal((await call('POST', '/api/v2/runs', runDoc('ws-nope'))).status, 404);
});

test('fake terraform POST runs/{id}/actions/apply – planned run → 202 empty, applied; again → 409', async (t) => {
  const call = await terraform(t);
  const applied = await call('POST', '/api/v2/runs/run-1/actions/apply', { comment: 'approved in CO-42' });
  assert.equal(applied.status, 202);
  assert.equal(applied.text, '');
  assert.equal((await call('GET', '/api/v2/runs/run-1')).body.data.attributes.status, 'applied');
  const again = await call('POST', '/api/v2/runs/run-1/actions/apply');
  assert.equal(again.status, 409);
  assert.equal(again.body.errors[0].title, 'transition not allowed');
  assert.equal((await call('POST', '/api/v2/runs/run-nope/actions/apply')).status, 404);
});

test('fake terraform POST runs/{id}/actions/discard – planned run → 202, discarded; apply afterwards → 409', async (t) => {
  const call = await terraform(t);
  const created = await call('POST', '/api/v2/runs', runDoc('ws-prod'));
  const id = created.body.data.id as string;
  assert.equal((await call('POST', `/api/v2/runs/${id}/actions/discard`)).status, 202);
  assert.equal((await call('GET', `/api/v2/runs/${id}`)).body.data.attributes.status, 'discarded');
  assert.equal((await call('POST', `/api/v2/runs/${id}/actions/apply`)).status, 409);
});
