import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { WHO, approvalsFixture, type Fixture } from './approvals-fixture.js';

/** A real admin listener on port 0 serving only the approvals routes. */
async function serve(t: TestContext, f: Fixture): Promise<string> {
  const routes = f.approvals.adminRoutes();
  const server = createServer((req, res) => {
    if (!routes(req, res, new URL(req.url ?? '/', 'http://admin.invalid'))) res.writeHead(404).end('not mine');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

type Answer = { status: number; body: { session?: Record<string, unknown>; sessions?: Record<string, unknown>[]; error?: { code: string } } };

function client(base: string, f: Fixture) {
  return async (method: string, path: string, who: (typeof WHO)[keyof typeof WHO] | null, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(who ? { authorization: `Bearer ${f.tokenFor(who)}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: await res.json() as Answer['body'] };
  };
}

const REQ = { agent: 'infra-bot', scope: ['tf-apply'], reason: 'CHG-1042 widen prod VPC', change_ref: 'CHG-1042', ttl_s: 1800, max_uses: 3 };

test('approvals admin API – request, two approvals, show with Chron indexes, list by state', async (t) => {
  const f = await approvalsFixture(t);
  const call = client(await serve(t, f), f);
  const created = await call('POST', '/approvals', WHO.oscar, REQ);
  assert.equal(created.status, 201);
  const id = created.body.session?.session_id as string;
  assert.equal(created.body.session?.state, 'pending');
  assert.equal(created.body.session?.max_uses, 3);
  assert.equal((await call('POST', `/approvals/${id}/approve`, WHO.alice)).body.session?.state, 'pending');
  const act = await call('POST', `/approvals/${id}/approve`, WHO.bob, { note: 'checked the plan' });
  assert.equal(act.status, 200);
  assert.equal(act.body.session?.state, 'active');
  assert.deepEqual(created.body.session?.scope, ['terraform/tf-apply'], 'the bare id is answered resolved to its upstream');
  const shown = await call('GET', `/approvals/${id}`, WHO.carol);
  assert.deepEqual(shown.body.session?.scope, ['terraform/tf-apply']);
  const ambiguous = await call('POST', '/approvals', WHO.oscar, { ...REQ, scope: ['break-glass'] });
  assert.deepEqual([ambiguous.status, ambiguous.body.error?.code], [400, 'ERR_APPROVAL_SCOPE_AMBIGUOUS']);
  assert.deepEqual((shown.body.session?.steps as { event: string }[]).map((s) => s.event), ['requested', 'approved', 'approved', 'activated']);
  assert.deepEqual((await call('GET', '/approvals?state=active', WHO.alice)).body.sessions?.map((s) => s.session_id), [id]);
  assert.deepEqual((await call('GET', '/approvals?state=pending', WHO.alice)).body.sessions, []);
  assert.equal(f.approvals.grantFor('infra-bot', id, f.clock.now())?.ok, true);
});

test('approvals admin API – no token → 401; bad signature → 401; token without role → 403', async (t) => {
  const f = await approvalsFixture(t);
  const base = await serve(t, f);
  const call = client(base, f);
  const none = await call('GET', '/approvals', null);
  assert.equal(none.status, 401);
  assert.equal(none.body.error?.code, 'ERR_APPROVAL_UNAUTHENTICATED');
  const forged = await call('POST', '/approvals', null, REQ, { authorization: `Bearer ${f.tokenFor(WHO.alice).replace(/.{4}$/, 'AAAA')}` });
  assert.equal(forged.status, 401);
  const roleless = await call('GET', '/approvals', null, undefined, { authorization: `Bearer ${f.tokenFor(WHO.alice, { claiim_role: 'viewer' })}` });
  assert.equal(roleless.status, 403);
  assert.equal(roleless.body.error?.code, 'ERR_APPROVAL_FORBIDDEN');
  assert.equal(f.approvalEntries().length, 0);
});

test('approvals admin API – self-approval 403, other aiorg 404 (ids do not leak), wrong state 409', async (t) => {
  const f = await approvalsFixture(t);
  const call = client(await serve(t, f), f);
  const id = (await call('POST', '/approvals', WHO.alice, REQ)).body.session?.session_id as string;
  const self = await call('POST', `/approvals/${id}/approve`, WHO.alice);
  assert.equal(self.status, 403);
  assert.equal(self.body.error?.code, 'ERR_APPROVAL_SELF_APPROVAL');
  const foreign = await call('POST', `/approvals/${id}/approve`, WHO.frank);
  assert.equal(foreign.status, 404);
  assert.equal(foreign.body.error?.code, 'ERR_APPROVAL_NOT_FOUND');
  assert.deepEqual((await call('GET', '/approvals', WHO.frank)).body.sessions, []);
  assert.equal((await call('POST', `/approvals/${id}/reject`, WHO.bob, { note: 'no' })).status, 200);
  const late = await call('POST', `/approvals/${id}/approve`, WHO.carol);
  assert.equal(late.status, 409);
  assert.equal(late.body.error?.code, 'ERR_APPROVAL_STATE');
});

test('approvals admin API – bad bodies → 400 ERR_APPROVAL_INVALID; wrong method → 405; unknown path → 404', async (t) => {
  const f = await approvalsFixture(t);
  const call = client(await serve(t, f), f);
  for (const body of [{ ...REQ, sneaky: 1 }, { ...REQ, scope: 'tf-apply' }, { ...REQ, scope: ['gh-read'] }, { ...REQ, ttl_s: 999999 }, '{"agent":', { agent: 'infra-bot' }]) {
    const r = await call('POST', '/approvals', WHO.oscar, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.body.error?.code, 'ERR_APPROVAL_INVALID');
  }
  const wrongType = await call('POST', '/approvals', WHO.oscar, REQ, { 'content-type': 'text/plain' });
  assert.equal(wrongType.status, 400);
  assert.equal((await call('DELETE', '/approvals', WHO.oscar)).status, 405);
  assert.equal((await call('GET', '/approvals/x/approve', WHO.oscar)).status, 405);
  assert.equal((await call('POST', '/approvals/x/bless', WHO.oscar)).status, 404);
  assert.equal((await call('POST', '/approvals/00000000-0000-4000-8000-000000000000/approve', WHO.alice)).status, 404);
  assert.equal(f.approvalEntries().length, 0);
});

test('approvals admin API – revoke of an active session → 200 and the next grantFor denies', async (t) => {
  const f = await approvalsFixture(t);
  const call = client(await serve(t, f), f);
  const id = (await call('POST', '/approvals', WHO.oscar, REQ)).body.session?.session_id as string;
  await call('POST', `/approvals/${id}/approve`, WHO.alice);
  await call('POST', `/approvals/${id}/approve`, WHO.bob);
  const r = await call('POST', `/approvals/${id}/revoke`, WHO.oscar, { note: 'done early' });
  assert.equal(r.status, 200);
  assert.equal(r.body.session?.state, 'revoked');
  assert.deepEqual(f.approvals.grantFor('infra-bot', id, f.clock.now()), { ok: false, reason: 'approval_session_inactive' });
});

test('approvals admin API – paths outside /approvals are not handled', async (t) => {
  const f = await approvalsFixture(t);
  const res = await fetch(`${await serve(t, f)}/approvalsx`);
  assert.equal(res.status, 404);
  assert.equal(await res.text(), 'not mine');
});
