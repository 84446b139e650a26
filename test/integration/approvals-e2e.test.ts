import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'undici';
import { startHarness } from '../helpers/harness.js';
import { signJws } from '../gateway/identity-fixtures.js';

const ADMIN_ISSUER = 'https://idp.test/admins';

/** Gateway with an approval-only merge rule for a1, and an admin issuer; returns helpers to drive sessions. */
async function setup(t: Parameters<typeof startHarness>[0]) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const keyFile = `/tmp/claiim-admin-${process.pid}-${Math.random().toString(36).slice(2)}.jwk`;
  writeFileSync(keyFile, JSON.stringify({ ...publicKey.export({ format: 'jwk' }), kid: 'adm-1' }));
  t.after(() => rmSync(keyFile, { force: true }));
  let ms = Date.now();
  const clock = { now: () => ms, advance: (d: number) => { ms += d; } };
  const h = await startHarness(t, {
    now: clock.now,
    limits: `approvals: { max_ttl_s: 3600, admins: { issuer: "${ADMIN_ISSUER}", audience: claiim-admin, algorithms: [EdDSA], key_files: ["${keyFile}"] } }`,
    rules: `
      - { id: gh-read, effect: allow, match: { methods: [GET], path: "/repos/acme/app/**" } }
      - { id: gh-merge-approved, effect: allow, requires: approval, match: { methods: [PUT], path: "/repos/{owner}/{repo}/pulls/{number}/merge" } }
`,
  });
  const admin = (sub: string, aiorgs = ['engineering']): string => signJws({ alg: 'EdDSA', typ: 'JWT', kid: 'adm-1' },
    { iss: ADMIN_ISSUER, aud: 'claiim-admin', sub, iat: Math.floor(ms / 1000), exp: Math.floor(ms / 1000) + 600, claiim_role: 'admin', claiim_aiorgs: aiorgs }, privateKey as KeyObject);
  const api = async (who: string, method: 'GET' | 'POST', path: string, body?: unknown, aiorgs?: string[]): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await request(`${h.gw.adminUrl}${path}`, { method, headers: { authorization: `Bearer ${admin(who, aiorgs)}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: res.statusCode, json: await res.body.json() as Record<string, unknown> };
  };
  const merge = async (session?: string, sub = 'a1'): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/7/merge`, {
      method: 'PUT', headers: { authorization: `Bearer ${await h.token(sub, sub === 'f1' ? { skill: '' } : {})}`, ...(session ? { 'x-claiim-approval-session': session } : {}) },
    });
    return { status: res.statusCode, body: await res.body.json() as Record<string, unknown> };
  };
  return { h, api, merge, clock };
}

test('approvals e2e – without a session the approval-only rule does not match; with two approvals it allows and the entry names both approvers', async (t) => {
  const { h, api, merge } = await setup(t);
  const none = await merge();
  assert.equal(none.status, 403);
  assert.equal(none.body.reason, 'approval_required');

  const created = await api('ops@acme.example', 'POST', '/approvals', { agent: 'a1', scope: ['gh-merge-approved'], reason: 'CHG-42 hotfix merge' });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const id = String((created.json.session as { session_id: string }).session_id);
  const first = await api('alice@acme.example', 'POST', `/approvals/${id}/approve`, {});
  assert.equal(first.status, 200, `${id} ${JSON.stringify(first.json)}`);
  const pending = await merge(id);
  assert.equal(pending.body.reason, 'approval_session_inactive', 'one approval is not enough');
  assert.equal((await api('bob@acme.example', 'POST', `/approvals/${id}/approve`, {})).status, 200);

  const ok = await merge(id);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  const got = h.upstream.received.at(-1);
  assert.equal(got?.target, '/repos/acme/app/pulls/7/merge');
  assert.equal(got?.headers['x-claiim-approval-session'], undefined, 'the session header never goes upstream');
  const decision = h.entries().filter((e) => e.type === 'chron.decision/v1').at(-1) as { reason: string; rule_id: string; approval: { session_id: string; approvers: string[] } };
  assert.equal(decision.reason, 'allowed_by_approval');
  assert.equal(decision.rule_id, 'gh-merge-approved');
  assert.equal(decision.approval.session_id, id);
  assert.deepEqual([...decision.approval.approvers].sort(), ['alice@acme.example', 'bob@acme.example']);
  const steps = h.allEntries().filter((e) => e.type === 'chron.approval/v1').map((e) => e.event);
  assert.deepEqual(steps, ['requested', 'approved', 'approved', 'activated', 'used']);
  // The `used` entry is the one right before its decision (same transaction), and names it.
  const all = h.allEntries();
  const at = all.findIndex((e) => e.type === 'chron.decision/v1' && e.decision_id === (decision as unknown as { decision_id: string }).decision_id);
  assert.ok(at > 0);
  const used = all[at - 1] as { type: string; event: string; decision_id: string; use: number };
  assert.equal(used.type, 'chron.approval/v1');
  assert.equal(used.event, 'used');
  assert.equal(used.decision_id, (decision as unknown as { decision_id: string }).decision_id);
  assert.equal(used.use, 1);
});

test('approvals e2e – revoked or expired sessions deny at once; a session for a1 does not help another agent', async (t) => {
  const { api, merge, clock } = await setup(t);
  const open = async (): Promise<string> => {
    const c = await api('ops@acme.example', 'POST', '/approvals', { agent: 'a1', scope: ['gh-merge-approved'], reason: 'CHG-43', ttl_s: 600 });
    const id = String((c.json.session as { session_id: string }).session_id);
    await api('alice@acme.example', 'POST', `/approvals/${id}/approve`, {});
    await api('bob@acme.example', 'POST', `/approvals/${id}/approve`, {});
    return id;
  };
  const s1 = await open();
  assert.equal((await merge(s1, 'f1')).body.reason, 'aiorg_boundary', 'the wall comes first');
  assert.equal((await api('alice@acme.example', 'POST', `/approvals/${s1}/revoke`, {})).status, 200);
  assert.equal((await merge(s1)).body.reason, 'approval_session_inactive');
  const s2 = await open();
  assert.equal((await merge(s2)).status, 200);
  clock.advance(601_000);
  assert.equal((await merge(s2)).body.reason, 'approval_session_expired');
});

test('approvals e2e – a policy reload that adds an agent or changes its anchor applies to the next session request', async (t) => {
  const { h, api } = await setup(t);
  const askA2 = { agent: 'a2', scope: ['gh-merge-approved'], reason: 'CHG-43' };
  const before = await api('ops@acme.example', 'POST', '/approvals', askA2);
  assert.equal(before.status, 400, `a2 is not configured yet: ${JSON.stringify(before.json)}`);
  const file = `${h.dir}/claiim.yaml`;
  writeFileSync(file, readFileSync(file, 'utf8')
    .replace('{ id: a1, aiorg: engineering, anchor: eng-lead@acme.example,', '{ id: a1, aiorg: engineering, anchor: release-lead@acme.example,')
    .replace('  - { id: f1, aiorg: finance, anchor: cfo@acme.example }', '  - { id: f1, aiorg: finance, anchor: cfo@acme.example }\n  - { id: a2, aiorg: engineering, anchor: platform-lead@acme.example }')
    .replace('  - agents: [a1]\n', '  - agents: [a1, a2]\n'));
  const r = await h.gw.reload();
  assert.ok(r.ok && r.changed, JSON.stringify(r));
  const added = await api('ops@acme.example', 'POST', '/approvals', askA2);
  assert.equal(added.status, 201, `a2 exists after the reload: ${JSON.stringify(added.json)}`);
  assert.equal((await api('ops@acme.example', 'POST', '/approvals', { ...askA2, agent: 'a1' })).status, 201);
  const requested = h.allEntries().filter((e) => e.type === 'chron.approval/v1' && e.event === 'requested') as { agent: string; anchor: string }[];
  assert.deepEqual(requested.map((e) => [e.agent, e.anchor]), [['a2', 'platform-lead@acme.example'], ['a1', 'release-lead@acme.example']], 'entries carry the reloaded anchors');
});

test('approvals e2e – a reload that changes the approvals section (admin keys, caps) is refused as restart-only, never half-applied', async (t) => {
  const { h, api } = await setup(t);
  const file = `${h.dir}/claiim.yaml`;
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.replace('max_ttl_s: 3600', 'max_ttl_s: 600'));
  const r = await h.gw.reload();
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.problems[0]?.message ?? '', /approvals need a restart/);
  const rejected = h.allEntries().filter((e) => e.type === 'chron.policy/v1' && e.event === 'rejected');
  assert.equal(rejected.length, 1, 'the refusal is recorded');
  // Nothing was pretended: the running cap is still 3600 s, as the reload said.
  const ask = await api('ops@acme.example', 'POST', '/approvals', { agent: 'a1', scope: ['gh-merge-approved'], reason: 'CHG-44', ttl_s: 3000 });
  assert.equal(ask.status, 201, JSON.stringify(ask.json));
});
