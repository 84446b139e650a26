import { randomUUID } from 'node:crypto';
import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from './patch.js';
import { isRecord, parseJsonBody, Router } from './route.js';
import type { FakeApi, FakeReply, FakeRequest, RouteParams } from './types.js';

/** The fixed demo service-account token the fake Kubernetes API requires (`Bearer …`). */
export const DEPLOY_DEMO_TOKEN = 'k8s_demo_not_a_real_token';

const T0 = '2025-05-12T09:30:00Z';
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

type Deployment = Record<string, unknown> & { metadata: Record<string, unknown>; spec: Record<string, unknown> };

/** A `meta/v1` Status object, the error (and delete) shape of every Kubernetes API answer. */
function status(code: number, reason: string, message: string, details?: Record<string, unknown>): FakeReply {
  return { status: code, json: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code } };
}

function notFound(name: string): FakeReply {
  return status(404, 'NotFound', `deployments.apps "${name}" not found`, { name, group: 'apps', kind: 'deployments' });
}

/**
 * A fake Kubernetes API server (apps/v1 Deployments and core/v1 Pods) with namespaces `staging` and
 * `production`, each holding deployments `web` and `api`. Reads, PATCH (json-patch, merge-patch and the
 * list-by-name subset of strategic-merge-patch; `?dryRun=All` honoured) and DELETE act on in-memory state;
 * rollouts complete at once (status mirrors spec). Errors are `meta/v1` Status objects, as kube-apiserver sends.
 */
export function createDeployApi(): FakeApi {
  let rv = 1000;
  const store = new Map<string, Map<string, Deployment>>();
  for (const [ns, webTag, apiTag, replicas] of [['staging', '1.4.2', '2.0.1', 2], ['production', '1.4.1', '2.0.0', 4]] as const) {
    store.set(ns, new Map([['web', seed(ns, 'web', `registry.acme.example/web:${webTag}`, replicas, ++rv)], ['api', seed(ns, 'api', `registry.acme.example/api:${apiTag}`, replicas, ++rv)]]));
  }
  const withDeployment = (fn: (d: Deployment, req: FakeRequest, p: RouteParams) => FakeReply) => (req: FakeRequest, p: RouteParams): FakeReply => {
    const d = store.get(p.ns ?? '')?.get(p.name ?? '');
    return d === undefined ? notFound(p.name ?? '') : fn(d, req, p);
  };
  const deploymentsOf = (req: FakeRequest, ns: string): Deployment[] => [...(store.get(ns)?.values() ?? [])].filter((d) => selects(req, d.metadata.labels));

  const router = new Router([
    { method: 'GET', template: '/apis/apps/v1/namespaces/{ns}/deployments', handler: (req, p) => ({ status: 200, json: {
      kind: 'DeploymentList', apiVersion: 'apps/v1', metadata: { resourceVersion: String(rv) }, items: deploymentsOf(req, p.ns ?? ''),
    } }) },
    { method: 'GET', template: '/apis/apps/v1/namespaces/{ns}/deployments/{name}', handler: withDeployment((d) => ({ status: 200, json: d })) },
    { method: 'PATCH', template: '/apis/apps/v1/namespaces/{ns}/deployments/{name}', handler: withDeployment((d, req, p) => {
      const type = String(req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (!PATCH_TYPES.includes(type)) return status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`);
      const patch = parseJsonBody(req.body);
      if (patch === undefined) return status(400, 'BadRequest', 'error decoding patch: invalid JSON');
      let next: unknown;
      try {
        next = type === 'application/json-patch+json' ? jsonPatch(d, patch) : type === 'application/merge-patch+json' ? mergePatch(d, patch) : strategicMergePatch(d, patch);
      } catch (e) {
        if (e instanceof PatchError) return status(422, 'Invalid', `Deployment.apps "${p.name}" is invalid: ${e.message}`);
        throw e;
      }
      const problem = invalid(next, p.ns ?? '', p.name ?? '');
      if (problem !== undefined) return status(422, 'Invalid', `Deployment.apps "${p.name}" is invalid: ${problem}`, { name: p.name, group: 'apps', kind: 'Deployment' });
      const updated = settle(d, next as Deployment, ++rv);
      if (req.query.get('dryRun') !== 'All') store.get(p.ns ?? '')?.set(p.name ?? '', updated);
      return { status: 200, json: updated };
    }) },
    { method: 'DELETE', template: '/apis/apps/v1/namespaces/{ns}/deployments/{name}', handler: withDeployment((d, req, p) => {
      if (req.query.get('dryRun') !== 'All') store.get(p.ns ?? '')?.delete(p.name ?? '');
      return { status: 200, json: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: p.name, group: 'apps', kind: 'deployments', uid: d.metadata.uid } } };
    }) },
    { method: 'GET', template: '/api/v1/namespaces/{ns}/pods', handler: (req, p) => ({ status: 200, json: {
      kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: String(rv) }, items: [...(store.get(p.ns ?? '')?.values() ?? [])].flatMap(podsOf).filter((pod) => selects(req, pod.metadata.labels)),
    } }) },
  ]);

  return {
    kind: 'deploy',
    schemes: ['bearer'],
    defaultSecret: DEPLOY_DEMO_TOKEN,
    jsonContentType: 'application/json',
    commonHeaders: { 'x-kubernetes-pf-flowschema-uid': '6c1d1e7e-0d2a-4f57-9d8e-5a0d7c3c9a01' },
    unauthorized: () => status(401, 'Unauthorized', 'Unauthorized'),
    handle(req) {
      const m = router.match(req.method, req.path);
      const reply = m.found ? m.handler(req, m.params) : m.pathKnown
        ? status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource')
        : status(404, 'NotFound', 'the server could not find the requested resource');
      return { ...reply, headers: { ...reply.headers, 'audit-id': randomUUID() } };
    },
  };
}

function seed(ns: string, name: string, image: string, replicas: number, rv: number): Deployment {
  const labels = { app: name };
  const spec = {
    replicas, selector: { matchLabels: labels }, revisionHistoryLimit: 10, progressDeadlineSeconds: 600,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
    template: { metadata: { labels }, spec: { containers: [{ name, image, ports: [{ containerPort: 8080, protocol: 'TCP' }], imagePullPolicy: 'IfNotPresent' }], restartPolicy: 'Always' } },
  };
  const d: Deployment = {
    kind: 'Deployment', apiVersion: 'apps/v1',
    metadata: { name, namespace: ns, uid: randomUUID(), resourceVersion: String(rv), generation: 3, creationTimestamp: T0, labels, annotations: { 'deployment.kubernetes.io/revision': '3' } },
    spec,
  };
  return { ...d, status: statusOf(d) };
}

/** The next stored version: resourceVersion bumped; generation and revision bumped when spec / template changed. */
function settle(prev: Deployment, next: Deployment, rv: number): Deployment {
  const specChanged = JSON.stringify(prev.spec) !== JSON.stringify(next.spec);
  const templateChanged = JSON.stringify(prev.spec.template) !== JSON.stringify(next.spec.template);
  const generation = Number(prev.metadata.generation) + (specChanged ? 1 : 0);
  const annotations = isRecord(next.metadata.annotations) ? { ...next.metadata.annotations } : {};
  const revision = Number(isRecord(prev.metadata.annotations) ? prev.metadata.annotations['deployment.kubernetes.io/revision'] : 1);
  annotations['deployment.kubernetes.io/revision'] = String(templateChanged ? revision + 1 : revision);
  const d: Deployment = { ...next, metadata: { ...next.metadata, uid: prev.metadata.uid, resourceVersion: String(rv), generation, annotations } };
  return { ...d, status: statusOf(d) };
}

function statusOf(d: Deployment): Record<string, unknown> {
  const replicas = Number(d.spec.replicas ?? 1);
  const condition = (type: string, reason: string, message: string) => ({ type, status: 'True', lastUpdateTime: T0, lastTransitionTime: T0, reason, message });
  return {
    observedGeneration: d.metadata.generation, replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas,
    conditions: [
      condition('Available', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'),
      condition('Progressing', 'NewReplicaSetAvailable', `ReplicaSet "${String(d.metadata.name)}-${podHash(d)}" has successfully progressed.`),
    ],
  };
}

/** What kube-apiserver's validation would refuse in the fields the demo touches; `undefined` when valid. */
function invalid(next: unknown, ns: string, name: string): string | undefined {
  if (!isRecord(next) || !isRecord(next.metadata) || !isRecord(next.spec)) return 'metadata and spec must be objects';
  if (next.metadata.name !== name || next.metadata.namespace !== ns) return 'metadata.name and metadata.namespace are immutable';
  if (next.spec.replicas !== undefined && (!Number.isInteger(next.spec.replicas) || Number(next.spec.replicas) < 0)) return 'spec.replicas: must be greater than or equal to 0';
  const tpl = next.spec.template;
  const containers = isRecord(tpl) && isRecord(tpl.spec) ? tpl.spec.containers : undefined;
  if (!Array.isArray(containers) || containers.length === 0) return 'spec.template.spec.containers: Required value';
  if (!containers.every((c) => isRecord(c) && typeof c.name === 'string' && typeof c.image === 'string' && c.image !== '')) return 'spec.template.spec.containers: name and image are required';
  return undefined;
}

function podHash(d: Deployment): string {
  let h = 0x811c9dc5;
  for (const c of JSON.stringify(d.spec.template)) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h.toString(36).slice(0, 10);
}

function podsOf(d: Deployment): (Record<string, unknown> & { metadata: Record<string, unknown> })[] {
  const tpl = d.spec.template as { metadata: { labels: Record<string, string> }; spec: { containers: { name: string; image: string }[] } };
  const hash = podHash(d);
  return Array.from({ length: Number(d.spec.replicas ?? 1) }, (_, i) => ({
    metadata: { name: `${String(d.metadata.name)}-${hash}-${'bcdfg'[i % 5]}${i}x${i}q`, namespace: d.metadata.namespace, labels: { ...tpl.metadata.labels, 'pod-template-hash': hash }, creationTimestamp: T0 },
    spec: { containers: tpl.spec.containers, nodeName: `node-${i % 3}` },
    status: {
      phase: 'Running', startTime: T0,
      conditions: [{ type: 'Ready', status: 'True' }, { type: 'ContainersReady', status: 'True' }],
      containerStatuses: tpl.spec.containers.map((c) => ({ name: c.name, image: c.image, ready: true, restartCount: 0, started: true, state: { running: { startedAt: T0 } } })),
    },
  }));
}

/** `?labelSelector=a=b,c=d` (equality terms only); an absent selector selects everything. */
function selects(req: FakeRequest, labels: unknown): boolean {
  const sel = req.query.get('labelSelector');
  if (sel === null || sel === '') return true;
  const have = isRecord(labels) ? labels : {};
  return sel.split(',').every((term) => {
    const [k, v] = term.split(/==?/).map((s) => s.trim());
    return k !== undefined && v !== undefined && have[k] === v;
  });
}
