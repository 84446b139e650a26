import { randomBytes } from 'node:crypto';
import { isRecord, parseJsonBody, Router } from './route.js';
import type { FakeApi, FakeReply, FakeRequest, RouteParams } from './types.js';

/** The fixed demo team token the fake Terraform Cloud API requires (`Bearer …`). */
export const TERRAFORM_DEMO_TOKEN = 'tfc_demo_not_a_real_token.atlasv1.demo';

const JSONAPI = 'application/vnd.api+json';
const T0 = '2025-05-12T09:30:00.000Z';

interface Workspace { id: string; name: string; org: string; autoApply: boolean; locked: boolean }
interface Run { id: string; ws: string; status: string; isDestroy: boolean; message: string; createdAt: string; autoApply: boolean }

/** The JSON:API error document Terraform Cloud answers with. */
function tfError(status: number, title: string, detail?: string, pointer?: string): FakeReply {
  return { status, json: { errors: [{ status: String(status), title, ...(detail ? { detail } : {}), ...(pointer ? { source: { pointer } } : {}) }] } };
}

/**
 * A fake Terraform Cloud / Enterprise API (JSON:API, `application/vnd.api+json`) for organisation `acme`
 * with workspaces `ws-prod` (name `production`) and `ws-staging` (name `staging`) and one planned run,
 * `run-1`, on `ws-prod`. Run creation plans at once (status `planned`, confirmable; `auto-apply` goes
 * straight to `applied`); apply and discard answer 202 with no body and move the run on, or 409 when the
 * run is not confirmable/discardable; shapes follow developer.hashicorp.com/terraform/cloud-docs/api-docs.
 */
export function createTerraformApi(): FakeApi {
  const workspaces = new Map<string, Workspace>([
    ['ws-prod', { id: 'ws-prod', name: 'production', org: 'acme', autoApply: false, locked: false }],
    ['ws-staging', { id: 'ws-staging', name: 'staging', org: 'acme', autoApply: false, locked: false }],
  ]);
  const runs = new Map<string, Run>([['run-1', { id: 'run-1', ws: 'ws-prod', status: 'planned', isDestroy: false, message: 'Queued manually via the Terraform Enterprise API', createdAt: T0, autoApply: false }]]);

  const wsJson = (w: Workspace) => ({
    id: w.id, type: 'workspaces',
    attributes: {
      name: w.name, 'auto-apply': w.autoApply, locked: w.locked, 'execution-mode': 'remote', 'terraform-version': '1.9.5',
      'working-directory': '', 'created-at': T0, 'updated-at': T0, 'resource-count': 42, 'queue-all-runs': false,
      permissions: { 'can-queue-run': true, 'can-queue-apply': true, 'can-queue-destroy': true, 'can-lock': true, 'can-destroy': true },
    },
    relationships: {
      organization: { data: { id: w.org, type: 'organizations' } },
      'current-run': { data: latestRun(w.id) ?? null },
    },
    links: { self: `/api/v2/organizations/${w.org}/workspaces/${w.name}` },
  });
  const latestRun = (wsId: string) => {
    const r = [...runs.values()].filter((x) => x.ws === wsId).at(-1);
    return r === undefined ? undefined : { id: r.id, type: 'runs' };
  };
  const runJson = (r: Run) => ({
    id: r.id, type: 'runs',
    attributes: {
      status: r.status, 'is-destroy': r.isDestroy, message: r.message, source: 'tfe-api', 'created-at': r.createdAt,
      'auto-apply': r.autoApply, 'has-changes': true, 'plan-only': false, 'trigger-reason': 'manual',
      actions: { 'is-cancelable': false, 'is-confirmable': r.status === 'planned', 'is-discardable': r.status === 'planned', 'is-force-cancelable': false },
      'status-timestamps': { 'planned-at': r.createdAt },
    },
    relationships: { workspace: { data: { id: r.ws, type: 'workspaces' } } },
    links: { self: `/api/v2/runs/${r.id}` },
  });
  const withRun = (fn: (r: Run, req: FakeRequest) => FakeReply) => (req: FakeRequest, p: RouteParams): FakeReply => {
    const r = runs.get(p.id ?? '');
    return r === undefined ? tfError(404, 'not found') : fn(r, req);
  };

  const router = new Router([
    { method: 'GET', template: '/api/v2/workspaces/{id}', handler: (_req, p) => {
      const w = workspaces.get(p.id ?? '');
      return w === undefined ? tfError(404, 'not found') : { status: 200, json: { data: wsJson(w) } };
    } },
    { method: 'GET', template: '/api/v2/organizations/{org}/workspaces', handler: (_req, p) => {
      if (p.org !== 'acme') return tfError(404, 'not found');
      const data = [...workspaces.values()].map(wsJson);
      return { status: 200, json: { data, links: { self: `/api/v2/organizations/acme/workspaces?page%5Bnumber%5D=1&page%5Bsize%5D=20`, first: null, prev: null, next: null, last: null },
        meta: { pagination: { 'current-page': 1, 'page-size': 20, 'prev-page': null, 'next-page': null, 'total-pages': 1, 'total-count': data.length } } } };
    } },
    { method: 'GET', template: '/api/v2/runs/{id}', handler: withRun((r) => ({ status: 200, json: { data: runJson(r) } })) },
    { method: 'POST', template: '/api/v2/runs', handler: (req) => {
      const doc = parseJsonBody(req.body);
      if (!isRecord(doc) || !isRecord(doc.data)) return tfError(400, 'bad request', 'the request body must be a JSON:API document with "data"', '/data');
      const d = doc.data;
      if (d.type !== 'runs') return tfError(409, 'conflict', 'data.type must be "runs"', '/data/type');
      const rel = isRecord(d.relationships) && isRecord(d.relationships.workspace) && isRecord(d.relationships.workspace.data) ? d.relationships.workspace.data : undefined;
      if (rel === undefined || typeof rel.id !== 'string') return tfError(422, 'invalid attribute', 'Workspace is required', '/data/relationships/workspace');
      const w = workspaces.get(rel.id);
      if (w === undefined) return tfError(404, 'not found');
      const attrs = isRecord(d.attributes) ? d.attributes : {};
      const autoApply = typeof attrs['auto-apply'] === 'boolean' ? attrs['auto-apply'] : w.autoApply;
      const r: Run = {
        id: `run-${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`, ws: w.id, isDestroy: attrs['is-destroy'] === true,
        message: typeof attrs.message === 'string' ? attrs.message : 'Queued manually via the Terraform Enterprise API',
        createdAt: new Date().toISOString(), autoApply, status: autoApply ? 'applied' : 'planned',
      };
      runs.set(r.id, r);
      return { status: 201, json: { data: runJson(r) } };
    } },
    { method: 'POST', template: '/api/v2/runs/{id}/actions/apply', handler: withRun((r) => transition(r, 'applied')) },
    { method: 'POST', template: '/api/v2/runs/{id}/actions/discard', handler: withRun((r) => transition(r, 'discarded')) },
  ]);

  return {
    kind: 'terraform',
    schemes: ['bearer'],
    defaultSecret: TERRAFORM_DEMO_TOKEN,
    jsonContentType: JSONAPI,
    commonHeaders: { 'tfp-api-version': '2.6', 'x-ratelimit-limit': '30' },
    unauthorized: () => tfError(401, 'unauthorized'),
    handle(req) {
      const m = router.match(req.method, req.path);
      return m.found ? m.handler(req, m.params) : tfError(404, 'not found');
    },
  };
}

/** A run action: only a `planned` run can be applied or discarded (JSON:API 409 otherwise). */
function transition(r: Run, to: 'applied' | 'discarded'): FakeReply {
  if (r.status !== 'planned') return tfError(409, 'transition not allowed', `run is ${r.status}`);
  r.status = to;
  return { status: 202, text: '' };
}
