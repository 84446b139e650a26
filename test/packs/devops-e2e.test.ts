import test from 'node:test';
import assert from 'node:assert/strict';
import { AppsV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { assertObserved, startPackGateway, statusOf } from './pack-gateway.js';

test('devops pack – @kubernetes/client-node through the gateway → staging rollouts pass; production and deletes never reach the cluster', async (t) => {
  const g = await startPackGateway(t);
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'gw', server: g.baseUrl('deploy'), skipTLSVerify: true }],
    users: [{ name: 'devops', token: await g.token('devops') }],
    contexts: [{ name: 'gw', cluster: 'gw', user: 'devops' }],
    currentContext: 'gw',
  });
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const merge = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
  const fake = g.fakes.deploy;
  const allow = async (rule: string, method: string, path: string, fn: () => Promise<unknown>): Promise<Buffer | undefined> => {
    const obs = await g.observe(fake, fn);
    assert.equal(obs.error, undefined, `${rule}: the client call succeeds`);
    return assertObserved(assert, obs, { agent: 'devops', upstream: 'deploy', effect: 'allow', rule, method, path })?.body;
  };
  const deny = async (rule: string, method: string, fn: () => Promise<unknown>): Promise<void> => {
    const obs = await g.observe(fake, fn);
    assert.equal(statusOf(obs.error), 403, `${rule}: the client sees 403`);
    assertObserved(assert, obs, { agent: 'devops', upstream: 'deploy', effect: 'deny', rule, reason: 'denied_by_rule', method });
  };
  const image = (tag: string): object => ({ spec: { template: { spec: { containers: [{ name: 'web', image: `registry.acme.example/web:${tag}` }] } } } });
  const restart = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z' } } } } };

  await t.test('allowed in staging – read health, deploy, roll back, restart', async () => {
    await allow('k8s-staging-read-deployments', 'GET', '/apis/apps/v1/namespaces/staging/deployments', () => apps.listNamespacedDeployment({ namespace: 'staging' }));
    await allow('k8s-staging-read-deployments', 'GET', '/apis/apps/v1/namespaces/staging/deployments/web', () => apps.readNamespacedDeployment({ namespace: 'staging', name: 'web' }));
    await allow('k8s-staging-read-pods', 'GET', '/api/v1/namespaces/staging/pods', () => core.listNamespacedPod({ namespace: 'staging', labelSelector: 'app=web' }));
    const deployed = await allow('k8s-staging-rollout', 'PATCH', '/apis/apps/v1/namespaces/staging/deployments/web', () => apps.patchNamespacedDeployment({ namespace: 'staging', name: 'web', body: image('1.5.0') }, merge));
    assert.deepEqual(JSON.parse(deployed?.toString('utf8') ?? '{}'), image('1.5.0'));
    await allow('k8s-staging-rollout', 'PATCH', '/apis/apps/v1/namespaces/staging/deployments/web', () => apps.patchNamespacedDeployment({ namespace: 'staging', name: 'web', body: image('1.4.2') }, merge));
    const restarted = await allow('k8s-staging-rollout', 'PATCH', '/apis/apps/v1/namespaces/staging/deployments/web', () => apps.patchNamespacedDeployment({ namespace: 'staging', name: 'web', body: restart }, merge));
    assert.deepEqual(JSON.parse(restarted?.toString('utf8') ?? '{}'), restart);
  });

  await t.test('blocked in production – deploy, roll back, restart, read health', async () => {
    await deny('k8s-no-production-apis', 'PATCH', () => apps.patchNamespacedDeployment({ namespace: 'production', name: 'web', body: image('1.5.0') }, merge));
    await deny('k8s-no-production-apis', 'PATCH', () => apps.patchNamespacedDeployment({ namespace: 'production', name: 'web', body: restart }, merge));
    await deny('k8s-no-production-apis', 'GET', () => apps.listNamespacedDeployment({ namespace: 'production' }));
    await deny('k8s-no-production-core', 'GET', () => core.listNamespacedPod({ namespace: 'production' }));
  });

  await t.test('blocked everywhere – deletes of deployments, workloads and namespaces', async () => {
    await deny('k8s-no-delete', 'DELETE', () => apps.deleteNamespacedDeployment({ namespace: 'production', name: 'web' }));
    await deny('k8s-no-delete', 'DELETE', () => apps.deleteNamespacedDeployment({ namespace: 'staging', name: 'web' }));
    await deny('k8s-no-delete', 'DELETE', () => apps.deleteCollectionNamespacedStatefulSet({ namespace: 'staging' }));
    await deny('k8s-no-delete', 'DELETE', () => core.deleteNamespacedPod({ namespace: 'staging', name: 'web-1' }));
    await deny('k8s-no-delete', 'DELETE', () => core.deleteNamespace({ name: 'staging' }));
  });
});
