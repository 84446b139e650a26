// Review C: a rule id is unique only per (agent, upstream), so an approval session's scope names the
// upstream of every rule; what two admins approve is exactly what gets unlocked.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { request } from 'undici';
import { loadConfig } from '../../gateway/config/load.js';
import { startGateway, type RunningGateway } from '../../gateway/gateway.js';
import { createLogger } from '../../gateway/log.js';
import { startHarness } from '../helpers/harness.js';
import { signJws } from '../gateway/identity-fixtures.js';

const ADMIN_ISSUER = 'https://idp.test/admins';

/** a1 has `prod-change` (requires approval) on github for PUT merge, another `prod-change` on billing for DELETE, and `refund` on billing only. */
async function setup(t: TestContext) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const keyFile = `/tmp/claiim-admin-${process.pid}-${Math.random().toString(36).slice(2)}.jwk`;
  writeFileSync(keyFile, JSON.stringify({ ...publicKey.export({ format: 'jwk' }), kid: 'adm-1' }));
  t.after(() => rmSync(keyFile, { force: true }));
  const h = await startHarness(t, {
    limits: `approvals: { max_ttl_s: 3600, admins: { issuer: "${ADMIN_ISSUER}", audience: claiim-admin, algorithms: [EdDSA], key_files: ["${keyFile}"] } }`,
    rules: `
      - { id: gh-read, effect: allow, match: { methods: [GET], path: "/repos/acme/app/**" } }
      - { id: prod-change, effect: allow, requires: approval, match: { methods: [PUT], path: "/repos/{owner}/{repo}/pulls/{number}/merge" } }
`,
    extraUpstreams: '  - { name: billing, mount: /billing, target: "{{upstream_url}}", aiorgs: [engineering], credential: { header: authorization, format: "Bearer {secret}", env: IT_GITHUB_TOKEN } }',
    extraPolicies: `  - agents: [a1]
    upstream: billing
    rules:
      - { id: prod-change, effect: allow, requires: approval, match: { methods: [DELETE], path: "/**" } }
      - { id: refund, effect: allow, requires: approval, match: { methods: [POST], path: /refunds } }`,
  });
  let gw: RunningGateway = h.gw;
  const admin = (sub: string): string => {
    const s = Math.floor(Date.now() / 1000);
    return signJws({ alg: 'EdDSA', typ: 'JWT', kid: 'adm-1' }, { iss: ADMIN_ISSUER, aud: 'claiim-admin', sub, iat: s, exp: s + 600, claiim_role: 'admin', claiim_aiorgs: ['engineering'] }, privateKey as KeyObject);
  };
  const api = async (who: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: Record<string, any> }> => {
    const res = await request(`${gw.adminUrl}${path}`, { method, headers: { authorization: `Bearer ${admin(who)}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: res.statusCode, json: await res.body.json() as Record<string, any> };
  };
  const call = async (method: 'PUT' | 'DELETE' | 'POST', path: string, session: string): Promise<{ status: number; body: Record<string, any> }> => {
    const res = await request(`${gw.agentUrl}${path}`, { method, headers: { authorization: `Bearer ${await h.token('a1')}`, 'x-claiim-approval-session': session } });
    return { status: res.statusCode, body: await res.body.json().catch(() => ({})) as Record<string, any> };
  };
  /** Opens a session and has two admins approve it; returns the activated session view. */
  const approved = async (scope: string[], reason: string): Promise<Record<string, any>> => {
    const c = await api('oscar@acme.example', 'POST', '/approvals', { agent: 'a1', scope, reason });
    assert.equal(c.status, 201, JSON.stringify(c.json));
    const id = c.json.session.session_id as string;
    await api('alice@acme.example', 'POST', `/approvals/${id}/approve`, {});
    const act = await api('bob@acme.example', 'POST', `/approvals/${id}/approve`, {});
    assert.equal(act.json.session.state, 'active');
    return act.json.session;
  };
  const decisions = (upstream: string): Record<string, any>[] => {
    const out: Record<string, any>[] = [];
    for (let i = 0; i < gw.chron.treeSize(); i++) {
      const e = JSON.parse(gw.chron.entry(i)?.data.toString('utf8') ?? '{}') as Record<string, any>;
      if (e.type === 'chron.decision/v1' && e.upstream === upstream) out.push(e);
    }
    return out;
  };
  /** Stops the gateway and starts a new one on the same config and Chron database (a restart). */
  const restart = async (): Promise<void> => {
    await gw.close();
    const env = { IT_GITHUB_TOKEN: h.upstream.credentialSecret };
    const loaded = loadConfig(`${h.dir}/claiim.yaml`, env);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const next = await startGateway(loaded.config, loaded.policySet, loaded.secrets, createLogger('silent'), { env, sources: loaded.sources });
    t.after(() => next.close());
    gw = next;
  };
  return { h, api, call, approved, decisions, restart };
}

test('approvals upstream scope – review C repro: bare "prod-change" on two upstreams → 400 ERR_APPROVAL_SCOPE_AMBIGUOUS; a session for github/prod-change does not unlock billing DELETE', async (t) => {
  const { h, api, call, approved, decisions } = await setup(t);
  // The reviewer's request: the approvers would see only ["prod-change"], with no upstream.
  const bare = await api('oscar@acme.example', 'POST', '/approvals', { agent: 'a1', scope: ['prod-change'], reason: 'merge PR 1' });
  assert.equal(bare.status, 400, JSON.stringify(bare.json));
  assert.equal(bare.json.error.code, 'ERR_APPROVAL_SCOPE_AMBIGUOUS');
  assert.equal(h.allEntries().some((e) => e.type === 'chron.approval/v1'), false, 'nothing was requested');

  const s = await approved(['github/prod-change'], 'merge PR 1');
  assert.deepEqual(s.scope, ['github/prod-change'], 'the approvers see the upstream');
  const del = await call('DELETE', '/billing/customers/cus_1', s.session_id);
  assert.equal(del.status, 403);
  assert.equal(del.body.reason, 'approval_required');
  assert.equal(del.body.rule_id, 'prod-change');
  const billing = decisions('billing');
  assert.deepEqual(billing.map((e) => [e.effect, e.reason, e.approval]), [['deny', 'approval_required', null]]);
  assert.equal(h.upstream.received.some((r) => r.method === 'DELETE'), false, 'nothing reached billing');

  const merge = await call('PUT', '/github/repos/acme/app/pulls/7/merge', s.session_id);
  assert.equal(merge.status, 200, JSON.stringify(merge.body));
  assert.deepEqual(decisions('github').map((e) => [e.effect, e.reason, e.rule_id]), [['allow', 'allowed_by_approval', 'prod-change']]);
  const steps = h.allEntries().filter((e) => e.type === 'chron.approval/v1' && (e.event === 'requested' || e.event === 'activated'));
  assert.deepEqual(steps.map((e) => e.scope), [['github/prod-change'], ['github/prod-change']], 'Chron records what was approved, upstream included');
});

test('approvals upstream scope – a bare id used on one upstream only is accepted, recorded as upstream/rule-id, and unlocks that rule alone', async (t) => {
  const { h, api, call, approved, decisions } = await setup(t);
  const s = await approved(['refund'], 'refund order 7');
  assert.deepEqual(s.scope, ['billing/refund']);
  const shown = await api('carol@acme.example', 'GET', `/approvals/${s.session_id as string}`);
  assert.deepEqual(shown.json.session.scope, ['billing/refund']);
  const refund = await call('POST', '/billing/refunds', s.session_id);
  assert.notEqual(refund.status, 403, JSON.stringify(refund.body));
  assert.ok(h.upstream.received.some((r) => r.method === 'POST' && r.target === '/refunds'), 'the refund was forwarded');
  assert.equal((await call('DELETE', '/billing/customers/cus_1', s.session_id)).body.reason, 'approval_required');
  assert.equal((await call('PUT', '/github/repos/acme/app/pulls/1/merge', s.session_id)).body.reason, 'approval_required');
  assert.deepEqual(decisions('billing').map((e) => [e.effect, e.rule_id, e.reason]), [['allow', 'refund', 'allowed_by_approval'], ['deny', 'prod-change', 'approval_required']]);
  // A rule that exists, but not on the named upstream, is refused as not approvable.
  const wrong = await api('oscar@acme.example', 'POST', '/approvals', { agent: 'a1', scope: ['github/refund'], reason: 'x' });
  assert.equal(wrong.json.error?.code, 'ERR_APPROVAL_INVALID');
});

test('approvals upstream scope – after a restart the replayed session still unlocks github/prod-change and still not billing', async (t) => {
  const { h, api, call, approved, decisions, restart } = await setup(t);
  const s = await approved(['github/prod-change'], 'merge PR 7');
  assert.equal((await call('PUT', '/github/repos/acme/app/pulls/7/merge', s.session_id)).status, 200);
  await restart();
  const shown = await api('carol@acme.example', 'GET', `/approvals/${s.session_id as string}`);
  assert.deepEqual([shown.json.session.state, shown.json.session.scope, shown.json.session.uses], ['active', ['github/prod-change'], 1]);
  assert.equal((await call('DELETE', '/billing/customers/cus_1', s.session_id)).body.reason, 'approval_required');
  assert.equal(h.upstream.received.some((r) => r.method === 'DELETE'), false, 'nothing reached billing');
  await call('PUT', '/github/repos/acme/app/pulls/7/merge', s.session_id);
  assert.deepEqual(decisions('github').map((e) => [e.effect, e.reason]), [['allow', 'allowed_by_approval'], ['allow', 'allowed_by_approval']]);
  assert.equal(h.upstream.received.filter((r) => r.method === 'PUT').length, 2, 'both merges were forwarded');
});
