import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Chron } from '../../chron/index.js';
import { createApprovals } from '../../gateway/approvals/index.js';
import { AGENTS, APPROVAL_RULES, T0, WHO, approvalsFixture } from './approvals-fixture.js';

const TF = { agent: 'infra-bot', scope: ['tf-apply'], reason: 'CHG-1042 widen prod VPC', changeRef: 'CHG-1042' };

test('approvals – one approval is not enough; the second distinct admin activates → grant with both approvers', async (t) => {
  const f = await approvalsFixture(t);
  const s = await f.approvals.request(WHO.oscar, TF);
  assert.equal(s.state, 'pending');
  await f.approvals.approve(WHO.alice, s.session_id);
  assert.deepEqual(f.approvals.grantFor('infra-bot', s.session_id, f.clock.now()), { ok: false, reason: 'approval_session_inactive' });
  const after = await f.approvals.approve(WHO.bob, s.session_id);
  assert.equal(after.state, 'active');
  const g = f.approvals.grantFor('infra-bot', s.session_id, f.clock.now());
  assert.ok(g?.ok);
  assert.deepEqual(g.grant.approvers, [WHO.alice.subject, WHO.bob.subject]);
  assert.deepEqual(g.grant.ruleIds, new Map([['terraform', new Set(['tf-apply'])]]));
  assert.equal(f.approvals.activeCount(f.clock.now()), 1);
  assert.deepEqual(f.approvalEntries().map((e) => e.event), ['requested', 'approved', 'approved', 'activated']);
});

test('approvals – the requester approving their own session → ERR_APPROVAL_SELF_APPROVAL, still inactive', async (t) => {
  const f = await approvalsFixture(t);
  const s = await f.approvals.request(WHO.alice, TF);
  await assert.rejects(f.approvals.approve(WHO.alice, s.session_id), { code: 'ERR_APPROVAL_SELF_APPROVAL' });
  await f.approvals.approve(WHO.bob, s.session_id);
  assert.deepEqual(f.approvals.grantFor('infra-bot', s.session_id, f.clock.now()), { ok: false, reason: 'approval_session_inactive' });
  await f.approvals.approve(WHO.carol, s.session_id);
  assert.equal(f.approvals.show(s.session_id)?.state, 'active');
  assert.deepEqual(f.approvals.show(s.session_id)?.approvers, [WHO.bob.subject, WHO.carol.subject]);
});

test('approvals – two approvals by the same admin count once and add no entry', async (t) => {
  const f = await approvalsFixture(t);
  const s = await f.approvals.request(WHO.oscar, TF);
  await f.approvals.approve(WHO.alice, s.session_id);
  const again = await f.approvals.approve(WHO.alice, s.session_id);
  assert.equal(again.state, 'pending');
  assert.deepEqual(again.approvers, [WHO.alice.subject]);
  assert.deepEqual(f.approvalEntries().map((e) => e.event), ['requested', 'approved']);
  assert.deepEqual(f.approvals.grantFor('infra-bot', s.session_id, f.clock.now()), { ok: false, reason: 'approval_session_inactive' });
});

test('approvals – an admin of another aiorg, or an operator, cannot approve → ERR_APPROVAL_FORBIDDEN', async (t) => {
  const f = await approvalsFixture(t);
  const s = await f.approvals.request(WHO.alice, TF);
  await assert.rejects(f.approvals.approve(WHO.frank, s.session_id), { code: 'ERR_APPROVAL_FORBIDDEN' });
  await assert.rejects(f.approvals.approve(WHO.oscar, s.session_id), { code: 'ERR_APPROVAL_FORBIDDEN' });
  await assert.rejects(f.approvals.reject(WHO.frank, s.session_id), { code: 'ERR_APPROVAL_FORBIDDEN' });
  await assert.rejects(f.approvals.request(WHO.frank, TF), { code: 'ERR_APPROVAL_FORBIDDEN' });
  assert.deepEqual(f.approvals.show(s.session_id)?.approvers, []);
});

test('approvals – one reject ends the session; later approvals → ERR_APPROVAL_STATE', async (t) => {
  const f = await approvalsFixture(t);
  const s = await f.approvals.request(WHO.oscar, TF);
  await f.approvals.approve(WHO.alice, s.session_id);
  const r = await f.approvals.reject(WHO.bob, s.session_id, 'not during the freeze');
  assert.equal(r.state, 'rejected');
  await assert.rejects(f.approvals.approve(WHO.carol, s.session_id), { code: 'ERR_APPROVAL_STATE' });
  assert.deepEqual(f.approvals.grantFor('infra-bot', s.session_id, f.clock.now()), { ok: false, reason: 'approval_session_inactive' });
  const rejected = f.approvalEntries().at(-1);
  assert.equal(rejected?.event, 'rejected');
  assert.equal(rejected?.actor, WHO.bob.subject);
  assert.equal(rejected?.note, 'not during the freeze');
});

async function active(f: Awaited<ReturnType<typeof approvalsFixture>>, over: Partial<Omit<typeof TF, 'scope'>> & { scope?: string[]; ttlS?: number; maxUses?: number } = {}): Promise<string> {
  const s = await f.approvals.request(WHO.oscar, { ...TF, ...over });
  await f.approvals.approve(WHO.alice, s.session_id);
  await f.approvals.approve(WHO.bob, s.session_id);
  return s.session_id;
}

test('approvals – expiry is enforced at decision time on the gateway clock, before any expired entry exists', async (t) => {
  const f = await approvalsFixture(t);
  const id = await active(f, { ttlS: 600 });
  f.clock.advance(599_999);
  assert.equal(f.approvals.grantFor('infra-bot', id, f.clock.now())?.ok, true);
  f.clock.advance(1);
  assert.deepEqual(f.approvals.grantFor('infra-bot', id, f.clock.now()), { ok: false, reason: 'approval_session_expired' });
  await assert.rejects(f.approvals.consume(id, 'd-late', f.clock.now()), { code: 'ERR_APPROVAL_STATE' });
  assert.equal(f.approvalEntries().some((e) => e.event === 'expired'), false);
  assert.equal(await f.approvals.expireDue(f.clock.now()), 1);
  assert.equal(f.approvals.show(id)?.state, 'expired');
  assert.equal(f.approvalEntries().at(-1)?.event, 'expired');
  assert.equal(await f.approvals.expireDue(f.clock.now()), 0);
});

test('approvals – a pending session past its expiry cannot be approved any more', async (t) => {
  const f = await approvalsFixture(t);
  const s = await f.approvals.request(WHO.oscar, { ...TF, ttlS: 60 });
  await f.approvals.approve(WHO.alice, s.session_id);
  f.clock.advance(60_000);
  await assert.rejects(f.approvals.approve(WHO.bob, s.session_id), { code: 'ERR_APPROVAL_STATE' });
  assert.deepEqual(f.approvals.grantFor('infra-bot', s.session_id, f.clock.now()), { ok: false, reason: 'approval_session_expired' });
});

test('approvals – a revoked session denies immediately; consume after revoke → ERR_APPROVAL_STATE', async (t) => {
  const f = await approvalsFixture(t);
  const id = await active(f);
  const r = await f.approvals.revoke(WHO.carol, id, 'incident over');
  assert.equal(r.state, 'revoked');
  assert.equal(r.ended_by, WHO.carol.subject);
  assert.deepEqual(f.approvals.grantFor('infra-bot', id, f.clock.now()), { ok: false, reason: 'approval_session_inactive' });
  await assert.rejects(f.approvals.consume(id, 'd-1', f.clock.now()), { code: 'ERR_APPROVAL_STATE' });
  await assert.rejects(f.approvals.revoke(WHO.alice, id), { code: 'ERR_APPROVAL_STATE' });
  await assert.rejects(f.approvals.revoke(WHO.frank, await active(f)), { code: 'ERR_APPROVAL_FORBIDDEN' });
});

test('approvals – the use count runs out: exhausted after max_uses, a further consume → ERR_APPROVAL_EXHAUSTED', async (t) => {
  const f = await approvalsFixture(t);
  const id = await active(f, { maxUses: 2 });
  await f.approvals.consume(id, 'd-1', f.clock.now());
  assert.equal(f.approvals.grantFor('infra-bot', id, f.clock.now())?.ok, true);
  await f.approvals.consume(id, 'd-2', f.clock.now());
  assert.deepEqual(f.approvals.grantFor('infra-bot', id, f.clock.now()), { ok: false, reason: 'approval_session_exhausted' });
  await assert.rejects(f.approvals.consume(id, 'd-3', f.clock.now()), { code: 'ERR_APPROVAL_EXHAUSTED' });
  assert.equal(f.approvals.show(id)?.state, 'exhausted');
  assert.equal(f.approvals.activeCount(f.clock.now()), 0);
});

test('approvals – concurrent consumes of the last use → exactly one succeeds (fail closed)', async (t) => {
  const f = await approvalsFixture(t);
  const id = await active(f, { maxUses: 1 });
  const results = await Promise.allSettled([1, 2, 3].map((i) => f.approvals.consume(id, `d-${i}`, f.clock.now())));
  assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected', 'rejected']);
  assert.equal(f.approvalEntries().filter((e) => e.event === 'used').length, 1);
});

test('approvals – the config cap bounds max_uses and fills it in when the request names none', async (t) => {
  const f = await approvalsFixture(t, { maxUses: 5 });
  await assert.rejects(f.approvals.request(WHO.oscar, { ...TF, maxUses: 6 }), { code: 'ERR_APPROVAL_INVALID' });
  assert.equal((await f.approvals.request(WHO.oscar, TF)).max_uses, 5);
});

test('approvals – a session for agent A does not help agent B → approval_session_other_agent', async (t) => {
  const f = await approvalsFixture(t);
  const id = await active(f);
  assert.deepEqual(f.approvals.grantFor('code-bot', id, f.clock.now()), { ok: false, reason: 'approval_session_other_agent' });
  assert.equal(f.approvals.grantFor('infra-bot', id, f.clock.now())?.ok, true);
});

test('approvals – no header → undefined; an unknown or malformed id → approval_session_unknown', async (t) => {
  const f = await approvalsFixture(t);
  assert.equal(f.approvals.grantFor('infra-bot', undefined, f.clock.now()), undefined);
  assert.deepEqual(f.approvals.grantFor('infra-bot', '00000000-0000-4000-8000-000000000000', f.clock.now()), { ok: false, reason: 'approval_session_unknown' });
  assert.deepEqual(f.approvals.grantFor('infra-bot', '../etc', f.clock.now()), { ok: false, reason: 'approval_session_unknown' });
});

test('approvals – scope, ttl and agent are checked at request → ERR_APPROVAL_INVALID', async (t) => {
  const f = await approvalsFixture(t);
  await assert.rejects(f.approvals.request(WHO.oscar, { ...TF, scope: ['gh-read'] }), { code: 'ERR_APPROVAL_INVALID' });
  await assert.rejects(f.approvals.request(WHO.oscar, { ...TF, scope: [] }), { code: 'ERR_APPROVAL_INVALID' });
  await assert.rejects(f.approvals.request(WHO.oscar, { ...TF, ttlS: 4 * 3600 + 1 }), { code: 'ERR_APPROVAL_INVALID' });
  await assert.rejects(f.approvals.request(WHO.oscar, { ...TF, agent: 'nobody' }), { code: 'ERR_APPROVAL_INVALID' });
  const s = await f.approvals.request(WHO.oscar, TF);
  assert.equal(Date.parse(s.expires_at), T0 + 3600_000);
  assert.equal(f.approvalEntries().length, 1);
});

test('approvals – every step is a chron.approval/v1 entry; used entries carry the decision and both approvers', async (t) => {
  const f = await approvalsFixture(t);
  const id = await active(f);
  await f.approvals.consume(id, 'dec-7', f.clock.now());
  await f.approvals.revoke(WHO.alice, id);
  const es = f.approvalEntries();
  assert.deepEqual(es.map((e) => e.event), ['requested', 'approved', 'approved', 'activated', 'used', 'revoked']);
  assert.deepEqual(es.map((e) => e.id), es.map((_, i) => `approval/${i}`));
  for (const e of es) {
    assert.equal(e.session_id, id);
    assert.equal(e.agent, 'infra-bot');
    assert.equal(e.anchor, 'eng-lead@acme.example');
  }
  const used = es[4] as Record<string, unknown>;
  assert.equal(used.decision_id, 'dec-7');
  assert.equal(used.use, 1);
  assert.deepEqual(used.approvers, [WHO.alice.subject, WHO.bob.subject]);
  assert.deepEqual(es[3]?.approvers, [WHO.alice.subject, WHO.bob.subject]);
  assert.equal(es[0]?.change_ref, 'CHG-1042');
  const show = f.approvals.show(id);
  assert.deepEqual(show?.steps?.map((s) => s.chron_index), es.map((e) => f.chron.indexOfId(e.id as string)));
});

test('approvals – restart replays Chron: state, approvers, uses and steps survive; expiry while down is recorded', async (t) => {
  const f = await approvalsFixture(t);
  const id = await active(f, { maxUses: 3, ttlS: 1200 });
  await f.approvals.consume(id, 'd-1', f.clock.now());
  const pending = await f.approvals.request(WHO.oscar, { ...TF, ttlS: 60 });
  await f.chron.append({ type: 'chron.decision/v1', decision_id: 'unrelated', agent: 'code-bot' });
  const before = f.approvals.show(id);
  f.approvals.close();
  f.clock.advance(61_000);
  const again = await f.restart();
  assert.deepEqual(again.show(id), before);
  assert.equal(again.show(pending.session_id)?.state, 'expired');
  assert.equal(again.grantFor('infra-bot', id, f.clock.now())?.ok, true);
  await again.consume(id, 'd-2', f.clock.now());
  assert.equal(again.show(id)?.uses, 2);
  assert.deepEqual(f.approvalEntries().map((e) => e.id), f.approvalEntries().map((_, i) => `approval/${i}`));
});

test('approvals – Chron cannot write → ERR_APPROVAL_UNRECORDED and nothing changes', async (t) => {
  const f = await approvalsFixture(t);
  const id = await active(f, { maxUses: 1 });
  const broken = new Proxy(f.chron, {
    get(target, prop) {
      if (prop === 'append' || prop === 'appendAll') return () => Promise.reject(Object.assign(new Error('disk full'), { code: 'ERR_CHRON_WRITE' }));
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as Chron;
  const a = await createApprovals({ config: f.config, chron: broken, agents: AGENTS, rulesRequiringApproval: (x) => APPROVAL_RULES[x] ?? new Map(), now: f.clock.now });
  t.after(() => a.close());
  await assert.rejects(a.consume(id, 'd-1', f.clock.now()), { code: 'ERR_APPROVAL_UNRECORDED' });
  await assert.rejects(a.request(WHO.oscar, TF), { code: 'ERR_APPROVAL_UNRECORDED' });
  assert.equal(a.show(id)?.uses, 0);
  assert.equal(a.list().length, 1);
});

test('approvals – concurrent uses are recorded in groups: never more than max_uses, gapless ids, uses 1..n, fewer transactions than uses', async (t) => {
  const f = await approvalsFixture(t);
  const id = await active(f, { maxUses: 20 });
  const before = f.chron.stats();
  const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => f.approvals.consume(id, `d-${i}`, f.clock.now())));
  const ok = results.filter((r) => r.status === 'fulfilled').length;
  assert.equal(ok, 20);
  for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as { code?: string }).code, 'ERR_APPROVAL_EXHAUSTED');
  // The first 20 callers, in call order, got the uses.
  assert.deepEqual(results.map((r) => r.status), [...Array(20).fill('fulfilled'), ...Array(30).fill('rejected')]);
  const used = f.approvalEntries().filter((e) => e.event === 'used');
  assert.deepEqual(used.map((e) => e.use), Array.from({ length: 20 }, (_, i) => i + 1));
  assert.deepEqual(used.map((e) => e.decision_id), Array.from({ length: 20 }, (_, i) => `d-${i}`));
  assert.deepEqual(f.approvalEntries().map((e) => e.id), f.approvalEntries().map((_, i) => `approval/${i}`));
  const after = f.chron.stats();
  assert.equal(after.appends - before.appends, 20);
  assert.ok(after.transactions - before.transactions < 20, `expected group commits, got ${after.transactions - before.transactions} transactions for 20 uses`);
  assert.equal(f.approvals.show(id)?.uses, 20);
  // A restart replays the same state.
  f.approvals.close();
  const again = await f.restart();
  assert.equal(again.show(id)?.uses, 20);
  assert.deepEqual(again.grantFor('infra-bot', id, f.clock.now()), { ok: false, reason: 'approval_session_exhausted' });
});

test('approvals – a group whose Chron transaction fails records no use and changes nothing; the next group works', async (t) => {
  const f = await approvalsFixture(t);
  const id = await active(f, { maxUses: 5 });
  let failing = true;
  const flaky = new Proxy(f.chron, {
    get(target, prop) {
      if (prop === 'appendAll' && failing) return () => Promise.reject(Object.assign(new Error('disk full'), { code: 'ERR_CHRON_WRITE' }));
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as Chron;
  f.approvals.close();
  const a = await createApprovals({ config: f.config, chron: flaky, agents: AGENTS, rulesRequiringApproval: (x) => APPROVAL_RULES[x] ?? new Map(), now: f.clock.now });
  t.after(() => a.close());
  const first = await Promise.allSettled([a.consume(id, 'd-1', f.clock.now()), a.consume(id, 'd-2', f.clock.now())]);
  assert.deepEqual(first.map((r) => r.status === 'rejected' && (r.reason as { code?: string }).code), ['ERR_APPROVAL_UNRECORDED', 'ERR_APPROVAL_UNRECORDED']);
  assert.equal(a.show(id)?.uses, 0);
  failing = false;
  await a.consume(id, 'd-3', f.clock.now());
  assert.equal(a.show(id)?.uses, 1);
  const used = f.approvalEntries().filter((e) => e.event === 'used');
  assert.deepEqual(used.map((e) => [e.decision_id, e.use]), [['d-3', 1]]);
  assert.deepEqual(f.approvalEntries().map((e) => e.id), f.approvalEntries().map((_, i) => `approval/${i}`));
});

test('approvals – consume with the decision entry: each decision lands right after its own `used` entry, in the same transaction, and its index is returned', async (t) => {
  const f = await approvalsFixture(t);
  const id = await active(f, { maxUses: 10 });
  const before = f.chron.stats().transactions;
  const rs = await Promise.all([0, 1, 2].map((i) => f.approvals.consume(id, `d-${i}`, f.clock.now(), { type: 'chron.decision/v1', decision_id: `d-${i}` })));
  for (const [i, r] of rs.entries()) {
    assert.ok(r.decisionIndex !== undefined);
    const decision = JSON.parse(f.chron.entry(r.decisionIndex)?.data.toString('utf8') ?? '{}') as Record<string, unknown>;
    const used = JSON.parse(f.chron.entry(r.decisionIndex - 1)?.data.toString('utf8') ?? '{}') as Record<string, unknown>;
    assert.equal(decision.decision_id, `d-${i}`);
    assert.deepEqual([used.event, used.decision_id, used.use], ['used', `d-${i}`, i + 1]);
  }
  assert.ok(f.chron.stats().transactions - before <= 2, 'three uses with their decisions in at most two transactions');
  assert.equal((await f.approvals.consume(id, 'd-x', f.clock.now())).decisionIndex, undefined, 'no decision given, no index');
});

test('approvals – a bare rule id that requires approval on two upstreams of the agent → ERR_APPROVAL_SCOPE_AMBIGUOUS, nothing recorded', async (t) => {
  const f = await approvalsFixture(t);
  await assert.rejects(f.approvals.request(WHO.oscar, { ...TF, scope: ['break-glass'] }), { code: 'ERR_APPROVAL_SCOPE_AMBIGUOUS' });
  await assert.rejects(f.approvals.request(WHO.oscar, { ...TF, scope: ['tf-apply', 'break-glass'] }), { code: 'ERR_APPROVAL_SCOPE_AMBIGUOUS' });
  assert.equal(f.approvalEntries().length, 0);
  const s = await f.approvals.request(WHO.oscar, { ...TF, scope: ['aws/break-glass'] });
  assert.deepEqual(s.scope, ['aws/break-glass']);
});

test('approvals – scope entries resolve to upstream/rule-id; the grant covers exactly those (upstream, rule) pairs', async (t) => {
  const f = await approvalsFixture(t);
  const s = await f.approvals.request(WHO.oscar, { ...TF, scope: ['tf-apply', 'terraform/tf-apply', 'aws/break-glass'] });
  assert.deepEqual(s.scope, ['terraform/tf-apply', 'aws/break-glass'], 'bare id resolved, duplicates removed, order kept');
  assert.deepEqual(f.approvalEntries()[0]?.scope, ['terraform/tf-apply', 'aws/break-glass'], 'recorded resolved');
  await f.approvals.approve(WHO.alice, s.session_id);
  await f.approvals.approve(WHO.bob, s.session_id);
  assert.deepEqual(f.approvalEntries().at(-1)?.scope, ['terraform/tf-apply', 'aws/break-glass'], 'the activated entry names the same pairs');
  const g = f.approvals.grantFor('infra-bot', s.session_id, f.clock.now());
  assert.ok(g?.ok);
  assert.deepEqual(g.grant.ruleIds, new Map([['terraform', new Set(['tf-apply'])], ['aws', new Set(['break-glass'])]]));
  for (const scope of [['aws/tf-apply'], ['terraform'], ['/tf-apply'], ['terraform/'], ['nowhere/tf-apply']]) {
    await assert.rejects(f.approvals.request(WHO.oscar, { ...TF, scope }), { code: 'ERR_APPROVAL_INVALID' }, JSON.stringify(scope));
  }
});

test('approvals – restart replays scoped sessions; older entries with bare rule ids resolve to their one upstream, ambiguous ones unlock nothing', async (t) => {
  const f = await approvalsFixture(t);
  const scoped = await active(f, { scope: ['terraform/tf-destroy'] });
  // Steps as a gateway before scoped rule ids wrote them: bare ids in `requested` and `activated`.
  const legacy = '11111111-2222-4333-8444-555555555555';
  const base = { type: 'chron.approval/v1', session_id: legacy, time: new Date(T0).toISOString(), agent: 'infra-bot', aiorg: 'engineering', anchor: 'eng-lead@acme.example' };
  const seq0 = f.approvalEntries().length;
  const old = [
    { event: 'requested', actor: WHO.oscar.subject, actor_role: 'operator', scope: ['tf-apply', 'break-glass'], reason: 'old', change_ref: null, expires_at: new Date(T0 + 3600_000).toISOString(), max_uses: null },
    { event: 'approved', actor: WHO.alice.subject, actor_role: 'admin', note: null },
    { event: 'approved', actor: WHO.bob.subject, actor_role: 'admin', note: null },
    { event: 'activated', actor: null, actor_role: 'gateway', scope: ['tf-apply', 'break-glass'], approvers: [WHO.alice.subject, WHO.bob.subject], expires_at: new Date(T0 + 3600_000).toISOString(), max_uses: null },
  ];
  for (const [i, e] of old.entries()) await f.chron.append({ ...base, id: `approval/${seq0 + i}`, seq: seq0 + i, ...e });
  f.approvals.close();
  const again = await f.restart();
  assert.deepEqual(again.show(scoped)?.scope, ['terraform/tf-destroy']);
  const g = again.grantFor('infra-bot', scoped, f.clock.now());
  assert.ok(g?.ok);
  assert.deepEqual(g.grant.ruleIds, new Map([['terraform', new Set(['tf-destroy'])]]));
  assert.deepEqual([again.show(legacy)?.state, again.show(legacy)?.scope], ['active', ['terraform/tf-apply']]);
  const lg = again.grantFor('infra-bot', legacy, f.clock.now());
  assert.ok(lg?.ok);
  assert.deepEqual(lg.grant.ruleIds, new Map([['terraform', new Set(['tf-apply'])]]), '"break-glass" is on two upstreams: dropped, fail closed');
  await again.consume(legacy, 'd-legacy', f.clock.now());
  assert.equal(again.show(legacy)?.uses, 1);
  assert.deepEqual(f.approvalEntries().map((e) => e.id), f.approvalEntries().map((_, i) => `approval/${i}`));
});
