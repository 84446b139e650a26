import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { request } from 'undici';
import { startFakeUpstream } from '../../gateway/demo/fake-upstreams/index.js';

type Json = Record<string, any>; // test-side probing of parsed JSON answers

const DEP = '/apis/apps/v1/namespaces';

async function deploy(t: TestContext) {
  const fake = await startFakeUpstream('deploy');
  t.after(() => fake.close());
  return async (method: string, path: string, body?: unknown, contentType?: string): Promise<{ status: number; body: Json }> => {
    const res = await request(`${fake.url}${path}`, {
      method: method as 'GET', body: body === undefined ? undefined : JSON.stringify(body),
      headers: { authorization: fake.expectedCredential, ...(contentType ? { 'content-type': contentType } : {}) },
    });
    return { status: res.statusCode, body: await res.body.json() as Json };
  };
}

const image = (d: Json): string => d.spec.template.spec.containers[0].image as string;

test('fake deploy GET deployments – list and item → DeploymentList / Deployment; unknown → 404 Status', async (t) => {
  const call = await deploy(t);
  const list = await call('GET', `${DEP}/staging/deployments`);
  assert.equal(list.status, 200);
  assert.equal(list.body.kind, 'DeploymentList');
  assert.deepEqual(list.body.items.map((d: Json) => d.metadata.name), ['web', 'api']);
  const web = await call('GET', `${DEP}/production/deployments/web`);
  assert.equal(web.body.kind, 'Deployment');
  assert.equal(image(web.body), 'registry.acme.example/web:1.4.1');
  assert.equal(web.body.status.observedGeneration, web.body.metadata.generation);
  const nf = await call('GET', `${DEP}/staging/deployments/nope`);
  assert.equal(nf.status, 404);
  assert.equal(nf.body.kind, 'Status');
  assert.equal(nf.body.reason, 'NotFound');
  assert.equal((await call('GET', '/apis/apps/v1/nothing')).status, 404);
});

test('fake deploy PATCH – strategic merge by container name → image changed, generation and revision bumped', async (t) => {
  const call = await deploy(t);
  const before = (await call('GET', `${DEP}/staging/deployments/web`)).body;
  const patched = await call('PATCH', `${DEP}/staging/deployments/web`, { spec: { template: { spec: { containers: [{ name: 'web', image: 'registry.acme.example/web:1.5.0' }] } } } }, 'application/strategic-merge-patch+json');
  assert.equal(patched.status, 200);
  assert.equal(image(patched.body), 'registry.acme.example/web:1.5.0');
  assert.deepEqual(patched.body.spec.template.spec.containers[0].ports, before.spec.template.spec.containers[0].ports);
  assert.equal(patched.body.metadata.generation, before.metadata.generation + 1);
  assert.equal(patched.body.metadata.annotations['deployment.kubernetes.io/revision'], '4');
  assert.equal(image((await call('GET', `${DEP}/staging/deployments/web`)).body), 'registry.acme.example/web:1.5.0');
});

test('fake deploy PATCH – merge-patch replaces the containers list; json-patch replaces one path; dryRun=All persists nothing', async (t) => {
  const call = await deploy(t);
  const restart = await call('PATCH', `${DEP}/staging/deployments/api`, { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-05-12T10:00:00Z' } } } } }, 'application/merge-patch+json');
  assert.equal(restart.body.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'], '2025-05-12T10:00:00Z');
  assert.deepEqual(restart.body.spec.template.metadata.labels, { app: 'api' });
  const jp = await call('PATCH', `${DEP}/staging/deployments/api`, [{ op: 'test', path: '/spec/replicas', value: 2 }, { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'registry.acme.example/api:1.9.9' }], 'application/json-patch+json');
  assert.equal(jp.status, 200);
  assert.equal(image(jp.body), 'registry.acme.example/api:1.9.9');
  const dry = await call('PATCH', `${DEP}/staging/deployments/api?dryRun=All`, { spec: { replicas: 7 } }, 'application/merge-patch+json');
  assert.equal(dry.body.spec.replicas, 7);
  assert.equal((await call('GET', `${DEP}/staging/deployments/api`)).body.spec.replicas, 2);
});

test('fake deploy PATCH – failed test op, invalid result, unknown content type → 422 / 422 / 415 Status', async (t) => {
  const call = await deploy(t);
  const failed = await call('PATCH', `${DEP}/staging/deployments/web`, [{ op: 'test', path: '/spec/replicas', value: 99 }], 'application/json-patch+json');
  assert.equal(failed.status, 422);
  assert.equal(failed.body.reason, 'Invalid');
  const rename = await call('PATCH', `${DEP}/staging/deployments/web`, { metadata: { name: 'other' } }, 'application/merge-patch+json');
  assert.equal(rename.status, 422);
  const proto = await call('PATCH', `${DEP}/staging/deployments/web`, [{ op: 'add', path: '/spec/__proto__', value: { polluted: true } }], 'application/json-patch+json');
  assert.equal(proto.status, 422);
  const wrongType = await call('PATCH', `${DEP}/staging/deployments/web`, { spec: {} }, 'application/json');
  assert.equal(wrongType.status, 415);
  assert.equal(wrongType.body.reason, 'UnsupportedMediaType');
});

test('fake deploy DELETE – existing deployment → 200 Success Status, then 404; wrong method on a collection → 405', async (t) => {
  const call = await deploy(t);
  const del = await call('DELETE', `${DEP}/production/deployments/web`);
  assert.equal(del.status, 200);
  assert.equal(del.body.status, 'Success');
  assert.equal(del.body.details.name, 'web');
  assert.equal((await call('GET', `${DEP}/production/deployments/web`)).status, 404);
  assert.equal((await call('DELETE', `${DEP}/production/deployments`)).status, 405);
});

test('fake deploy GET pods – PodList per replica, filtered by labelSelector', async (t) => {
  const call = await deploy(t);
  const all = await call('GET', '/api/v1/namespaces/production/pods');
  assert.equal(all.body.kind, 'PodList');
  assert.equal(all.body.items.length, 8);
  const web = await call('GET', '/api/v1/namespaces/production/pods?labelSelector=app%3Dweb');
  assert.equal(web.body.items.length, 4);
  assert.ok(web.body.items.every((p: Json) => p.status.phase === 'Running' && p.metadata.labels.app === 'web'));
  assert.equal((await call('GET', '/api/v1/namespaces/nowhere/pods')).body.items.length, 0);
});
