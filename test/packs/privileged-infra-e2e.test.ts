import test from 'node:test';
import assert from 'node:assert/strict';
import { assertObserved, startPackGateway } from './pack-gateway.js';

/** A Terraform-Cloud-style agent speaks JSON:API with a plain HTTP client (fetch). */
const JSON_API = 'application/vnd.api+json';

test('privileged-infra pack – plain fetch through the gateway → reads pass; run create/apply need an approval session; destroy and deletions never reach Terraform', async (t) => {
  const g = await startPackGateway(t);
  const token = await g.token('privileged-infra');
  const base = g.baseUrl('terraform');
  const fake = g.fakes.terraform;
  const call = async (method: string, path: string, body?: unknown): Promise<number> => {
    const r = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': JSON_API }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    await r.arrayBuffer();
    return r.status;
  };
  const run = (isDestroy?: boolean): object => ({ data: { type: 'runs', attributes: { message: 'CHG-1042', ...(isDestroy === undefined ? {} : { 'is-destroy': isDestroy }) }, relationships: { workspace: { data: { type: 'workspaces', id: 'ws-prod' } } } } });
  const expect = async (status: number, e: { effect: 'allow' | 'deny'; rule: string; reason?: string; method: string; path: string }, body?: unknown): Promise<void> => {
    const obs = await g.observe(fake, () => call(e.method, e.path, body));
    assert.equal(obs.result, status, `${e.method} ${e.path}: status`);
    assertObserved(assert, obs, { agent: 'privileged-infra', upstream: 'terraform', ...e });
  };

  await t.test('allowed – read workspaces, runs', async () => {
    await expect(200, { effect: 'allow', rule: 'tf-read-workspaces', method: 'GET', path: '/api/v2/workspaces/ws-prod' });
    await expect(200, { effect: 'allow', rule: 'tf-read-org-workspaces', method: 'GET', path: '/api/v2/organizations/acme/workspaces' });
    await expect(200, { effect: 'allow', rule: 'tf-read-runs', method: 'GET', path: '/api/v2/runs/run-1' });
  });

  await t.test('outside an approval session – create and apply are denied, naming the rule to ask approval for', async () => {
    await expect(403, { effect: 'deny', rule: 'tf-create-run', reason: 'approval_required', method: 'POST', path: '/api/v2/runs' }, run(false));
    await expect(403, { effect: 'deny', rule: 'tf-apply-run', reason: 'approval_required', method: 'POST', path: '/api/v2/runs/run-1/actions/apply' });
  });

  await t.test('blocked always – destroy runs, workspace and state deletion', async () => {
    await expect(403, { effect: 'deny', rule: 'tf-no-destroy-run', reason: 'denied_by_rule', method: 'POST', path: '/api/v2/runs' }, run(true));
    await expect(403, { effect: 'deny', rule: 'tf-no-workspace-delete', reason: 'denied_by_rule', method: 'DELETE', path: '/api/v2/workspaces/ws-prod' });
    await expect(403, { effect: 'deny', rule: 'tf-no-workspace-safe-delete', reason: 'denied_by_rule', method: 'POST', path: '/api/v2/workspaces/ws-prod/actions/safe-delete' });
    await expect(403, { effect: 'deny', rule: 'tf-no-workspace-delete-by-name', reason: 'denied_by_rule', method: 'DELETE', path: '/api/v2/organizations/acme/workspaces/production' });
    await expect(403, { effect: 'deny', rule: 'tf-no-state-writes', reason: 'denied_by_rule', method: 'DELETE', path: '/api/v2/state-versions/sv-1' });
    await expect(403, { effect: 'deny', rule: 'tf-no-state-upload', reason: 'denied_by_rule', method: 'POST', path: '/api/v2/workspaces/ws-prod/state-versions' }, { data: { type: 'state-versions' } });
  });

  await t.test('inside a two-person approval session – create and apply reach Terraform, and each entry names the session and both approvers', async () => {
    const api = async (who: string, path: string, body: unknown): Promise<Record<string, unknown>> => {
      const r = await fetch(`${g.gw.adminUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${g.adminToken(who)}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.ok(r.status === 200 || r.status === 201, `${path}: ${r.status}`);
      return await r.json() as Record<string, unknown>;
    };
    const created = await api('ops@acme.example', '/approvals', { agent: 'privileged-infra', scope: ['tf-create-run', 'tf-apply-run'], reason: 'CHG-1042 apply network change', change_ref: 'CHG-1042' });
    const id = (created.session as { session_id: string }).session_id;
    await api('cto@acme.example', `/approvals/${id}/approve`, {});
    await api('sre-lead@acme.example', `/approvals/${id}/approve`, {});
    const inSession = async (method: string, path: string, body?: unknown): Promise<number> => {
      const r = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': JSON_API, 'x-claiim-approval-session': id }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      await r.arrayBuffer();
      return r.status;
    };
    for (const [method, path, body, status, rule] of [['POST', '/api/v2/runs', run(false), 201, 'tf-create-run'], ['POST', '/api/v2/runs/run-1/actions/apply', undefined, 202, 'tf-apply-run']] as const) {
      const obs = await g.observe(fake, () => inSession(method, path, body));
      assert.equal(obs.result, status, `${method} ${path}`);
      assertObserved(assert, obs, { agent: 'privileged-infra', upstream: 'terraform', effect: 'allow', rule, reason: 'allowed_by_approval', method, path });
      assert.equal(obs.decisions[0]?.approval?.session_id, id);
      assert.deepEqual([...(obs.decisions[0]?.approval?.approvers ?? [])].sort(), ['cto@acme.example', 'sre-lead@acme.example']);
      assert.equal(obs.received[0]?.headers['x-claiim-approval-session'], undefined);
    }
    const destroy = await g.observe(fake, () => inSession('POST', '/api/v2/runs', run(true)));
    assert.equal(destroy.result, 403, 'a destroy run stays denied inside the session');
    assertObserved(assert, destroy, { agent: 'privileged-infra', upstream: 'terraform', effect: 'deny', rule: 'tf-no-destroy-run', method: 'POST', path: '/api/v2/runs' });
  });
});
