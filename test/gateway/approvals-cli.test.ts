import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { APPROVALS_HELP, approvalsCommand } from '../../gateway/approvals/index.js';
import { captureIo } from '../chron/helpers.js';
import { WHO, approvalsFixture, type Fixture } from './approvals-fixture.js';

async function serve(t: TestContext, f: Fixture): Promise<string> {
  const routes = f.approvals.adminRoutes();
  const server = createServer((req, res) => { if (!routes(req, res, new URL(req.url ?? '/', 'http://a'))) res.writeHead(404).end(); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await approvalsCommand(argv, io);
  return { code, out: io.out(), err: io.err() };
}

test('claiim approvals – request, approve twice, show and list through the admin API', async (t) => {
  const f = await approvalsFixture(t);
  const admin = await serve(t, f);
  const tokenFile = (who: (typeof WHO)[keyof typeof WHO]): string => { const p = join(f.dir, `${who.subject}.jwt`); writeFileSync(p, `${f.tokenFor(who)}\n`); return p; };
  const req = await run(['request', '--admin', admin, '--token-file', tokenFile(WHO.oscar), '--agent', 'infra-bot', '--scope', 'tf-apply', '--reason', 'CHG-1042', '--ttl', '30m', '--max-uses', '2', '--json']);
  assert.equal(req.code, 0, req.err);
  const id = (JSON.parse(req.out) as { session: { session_id: string; expires_at: string } }).session.session_id;
  assert.equal(f.approvals.show(id)?.max_uses, 2);
  assert.equal(Date.parse(f.approvals.show(id)?.expires_at ?? ''), f.clock.now() + 1800_000);
  assert.equal((await run(['approve', id, '--admin', admin, '--token-file', tokenFile(WHO.alice)])).code, 0);
  const second = await run(['approve', id, '--admin', admin, '--token', f.tokenFor(WHO.bob), '--note', 'plan reviewed']);
  assert.equal(second.code, 0, second.err);
  assert.match(second.out, /^state {4}active$/m);
  const show = await run(['show', id, '--admin', admin, '--token-file', tokenFile(WHO.carol)]);
  assert.match(show.out, /activated/);
  assert.match(show.out, /approvers: alice@acme\.example, bob@acme\.example/);
  assert.match(show.out, /^scope {4}terraform\/tf-apply$/m, 'approvers see the upstream of the rule');
  const list = await run(['list', '--state', 'active', '--admin', admin, '--token-file', tokenFile(WHO.carol)]);
  assert.match(list.out, new RegExp(`^${id} +active +infra-bot  terraform/tf-apply `, 'm'));
  assert.doesNotMatch(show.out + list.out + req.out + second.out, /eyJ/);
});

test('claiim approvals – the gateway refuses (self-approval) → exit 1 with the error code on stderr', async (t) => {
  const f = await approvalsFixture(t);
  const admin = await serve(t, f);
  const s = await f.approvals.request(WHO.alice, { agent: 'infra-bot', scope: ['tf-apply'], reason: 'x' });
  const r = await run(['approve', s.session_id, '--admin', admin, '--token', f.tokenFor(WHO.alice)]);
  assert.equal(r.code, 1);
  assert.match(r.err, /403 ERR_APPROVAL_SELF_APPROVAL/);
  assert.doesNotMatch(r.err, /eyJ/);
});

test('claiim approvals – a bare --scope id used on two upstreams → exit 1 with ERR_APPROVAL_SCOPE_AMBIGUOUS; UPSTREAM/RULE works', async (t) => {
  const f = await approvalsFixture(t);
  const admin = await serve(t, f);
  const ask = (scope: string): Promise<{ code: number; out: string; err: string }> => run(['request', '--admin', admin, '--token', f.tokenFor(WHO.oscar), '--agent', 'infra-bot', '--scope', scope, '--reason', 'x']);
  const r = await ask('break-glass');
  assert.equal(r.code, 1);
  assert.match(r.err, /400 ERR_APPROVAL_SCOPE_AMBIGUOUS/);
  const ok = await ask('aws/break-glass');
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /^scope {4}aws\/break-glass$/m);
});

test('claiim approvals – bad usage → exit 2; --help on every subcommand → exit 0 with its usage', async (t) => {
  const f = await approvalsFixture(t);
  const tok = f.tokenFor(WHO.alice);
  assert.equal((await run([])).code, 2);
  assert.equal((await run(['bless'])).code, 2);
  assert.equal((await run(['approve', '--admin', 'http://127.0.0.1:1', '--token', tok])).code, 2);
  assert.equal((await run(['request', '--admin', 'http://127.0.0.1:1', '--token', tok, '--agent', 'infra-bot'])).code, 2);
  assert.equal((await run(['list', '--admin', 'http://127.0.0.1:1', '--token', 'not-a-jwt'])).code, 2);
  assert.equal((await run(['list', '--admin', 'http://127.0.0.1:1', '--token', tok, '--frobnicate'])).code, 2);
  assert.equal((await run(['request', '--admin', 'http://127.0.0.1:1', '--token', tok, '--agent', 'a', '--scope', 'r', '--reason', 'x', '--ttl', '1d'])).code, 2);
  for (const sub of ['request', 'approve', 'reject', 'revoke', 'list', 'show']) {
    const h = await run([sub, '--help']);
    assert.equal(h.code, 0, sub);
    assert.equal(h.out, APPROVALS_HELP[sub]);
    assert.match(h.out, new RegExp(`^Usage: claiim approvals ${sub}`));
  }
  assert.equal((await run(['--help'])).code, 0);
});

test('claiim approvals – gateway unreachable → exit 1', async (t) => {
  const f = await approvalsFixture(t);
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  const r = await run(['list', '--admin', `http://127.0.0.1:${port}`, '--token', f.tokenFor(WHO.alice)]);
  assert.equal(r.code, 1);
  assert.match(r.err, /cannot reach/);
});
