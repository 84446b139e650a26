import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { request } from 'undici';
import { chronCommand } from '../../chron/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';

/** A hostile path: markup, a CRLF, U+2028 and a bidi override, as an attacker-chosen request could leave in an entry. */
export const HOSTILE_PATH = '/repos/acme/app/</td><script>alert(1)</script>\r\n\u2028\u202e<img src=x onerror=alert(2)>';
/** A hostile agent name, as a forged entry could carry it. */
export const HOSTILE_AGENT = '"><svg onload=alert(3)>';

/** What buildExport made: the export directory, the trusted vkey file, and the harness behind it. */
export interface ReportFixture { readonly h: Harness; readonly exportDir: string; readonly vkey: string; readonly dir: string }

/**
 * Drives a real gateway (test/helpers/harness.ts): a1 reads (ALLOW gh-read), comments (ALLOW
 * gh-comment), tries to merge (DENY gh-no-merge) and to reach an unmatched path (DENY
 * no_matching_rule); f1 presents a skill it is not registered for and an unauthenticated call is
 * refused (both recorded with agent null). Then appends
 * directly what the gateway does not produce yet or must never be trusted: an approval session
 * (chron.approval/v1 steps as gateway/approvals/sessions.ts defines them) with one decision inside it,
 * a decision carrying HOSTILE_PATH and HOSTILE_AGENT, and an entry of an unknown type. Signs a
 * checkpoint and exports with `claiim chron export`.
 */
export async function buildExport(t: TestContext): Promise<ReportFixture> {
  const h = await startHarness(t);
  const a1 = await h.token('a1');
  const f1 = await h.token('f1', { skill: 'ledger@2.0.0' });
  const call = async (method: string, path: string, token?: string, body?: string): Promise<void> => {
    const res = await request(`${h.gw.agentUrl}/github${path}`, { method: method as 'GET', headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body } : {}) });
    await res.body.dump();
  };
  await call('GET', '/repos/acme/app/pulls/7', a1);
  await call('GET', '/repos/acme/app/issues/3', a1);
  await call('POST', '/repos/acme/app/issues/3/comments', a1, '{"body":"lgtm"}');
  await call('PUT', '/repos/acme/app/pulls/7/merge', a1, '{}');
  await call('DELETE', '/repos/acme/other', a1);
  await call('GET', '/repos/acme/app/pulls/7', f1);
  await call('GET', '/repos/acme/app/pulls/7');
  await waitFor(() => h.entries().filter((e) => e.type === 'chron.outcome/v1').length === 3);
  const digest = h.gw.policyDigest();
  const base = { agent: 'a1', aiorg: 'engineering', anchor: 'eng-lead@acme.example' };
  const step = (seq: number, event: string, actor: string | null, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    type: 'chron.approval/v1', id: `approval/${seq}`, seq, event, session_id: 'as-1', time: new Date(Date.UTC(2026, 0, 2, 10, seq)).toISOString(), ...base,
    actor, actor_role: actor === null ? 'gateway' : seq === 0 ? 'operator' : 'admin', ...extra,
  });
  await h.chron.append(step(0, 'requested', 'ops@acme.example', { scope: ['gh-merge'], reason: 'release 1.2', change_ref: 'CHG-42', expires_at: '2026-01-02T12:00:00.000Z', max_uses: 1 }));
  await h.chron.append(step(1, 'approved', 'admin-a@acme.example'));
  await h.chron.append(step(2, 'approved', 'admin-b@acme.example'));
  await h.chron.append(step(3, 'activated', null, { scope: ['gh-merge'], expires_at: '2026-01-02T12:00:00.000Z', approvers: ['admin-a@acme.example', 'admin-b@acme.example'] }));
  const decision = (over: Record<string, unknown>): Record<string, unknown> => ({
    type: 'chron.decision/v1', decision_id: 'd-merge-9', request_id: 'r-x', time: '2026-01-02T10:05:00.000Z', ...base, skill: 'code-review@1.4.2',
    upstream: 'github', method: 'PUT', path: '/repos/acme/app/pulls/9/merge', raw_path: null, raw_path_sha256: null, query_sha256: null, effect: 'allow', rule_id: 'gh-merge',
    reason: 'allowed_by_approval', detail: null, status: null, policy_digest: digest, body_sha256: null, shadow: [], approval: null, ...over,
  });
  await h.chron.append(decision({ approval: { session_id: 'as-1', approvers: ['admin-a@acme.example', 'admin-b@acme.example'] } }));
  await h.chron.append(step(4, 'used', null, { decision_id: 'd-merge-9', use: 1 }));
  await h.chron.append(decision({ decision_id: `d-${HOSTILE_PATH}`, agent: HOSTILE_AGENT, method: 'GET', path: HOSTILE_PATH, effect: 'deny', rule_id: 'default', reason: 'no_matching_rule', status: 403, policy_digest: 'sha256:next' }));
  await h.chron.append({ type: 'chron.policy-load/v9', time: '2026-01-02T10:06:00.000Z', note: '<b>unknown</b>' });
  await h.chron.checkpoint();
  const exportDir = join(h.dir, 'export');
  const io = { stdout: { write: () => true }, stderr: { write: (s: string) => { throw new Error(s); } } };
  const code = await chronCommand(['export', '--db', join(h.dir, 'chron.db'), '--out', exportDir], io);
  if (code !== 0) throw new Error(`chron export exited ${code}`);
  return { h, exportDir, vkey: join(exportDir, 'vkey'), dir: h.dir };
}

/** Polls `cond` every 10 ms for up to 5 s. */
export async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error('condition not reached in 5 s');
}
