import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { Agent, Client, request } from 'undici';
import { openChronReadonly } from '../../chron/index.js';
import { startHarness } from '../helpers/harness.js';

test('operations – the agent listener serves HTTPS from the configured certificate', async (t) => {
  const h = await startHarness(t, { tls: true });
  assert.match(h.gw.agentUrl, /^https:/);
  const dispatcher = new Agent({ connect: { ca: readFileSync(`${h.dir}/certs/ca.crt`), servername: 'localhost' } });
  t.after(() => dispatcher.close());
  const res = await request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/7`, { dispatcher, headers: { authorization: `Bearer ${await h.token('a1')}` } });
  await res.body.dump();
  assert.equal(res.statusCode, 200);
});

test('operations – mTLS: an agent that requires a client cert is refused without one and with another agent\'s cert', async (t) => {
  const h = await startHarness(t, { tls: true, requireClientCert: true });
  const ca = readFileSync(`${h.dir}/certs/ca.crt`);
  const token = await h.token('a1');
  const call = async (client?: string): Promise<{ status: number; reason?: string }> => {
    const dispatcher = new Agent({ connect: { ca, servername: 'localhost', ...(client ? { cert: readFileSync(`${h.dir}/certs/client-${client}.crt`), key: readFileSync(`${h.dir}/certs/client-${client}.key`) } : {}) } });
    try {
      const res = await request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/7`, { dispatcher, headers: { authorization: `Bearer ${token}` } });
      const body = await res.body.text();
      return { status: res.statusCode, ...(res.statusCode === 401 ? { reason: (JSON.parse(body) as { reason: string }).reason } : {}) };
    } finally { await dispatcher.close(); }
  };
  assert.deepEqual(await call(), { status: 401, reason: 'client_cert_mismatch' });
  assert.deepEqual(await call('f1'), { status: 401, reason: 'client_cert_mismatch' });
  assert.deepEqual(await call('a1'), { status: 200 });
  assert.equal(h.upstream.received.length, 1);
});

test('operations – /metrics exposes decisions with bounded labels, Chron append latency and the policy digest', async (t) => {
  const h = await startHarness(t);
  const token = await h.token('a1');
  for (const p of ['/github/repos/acme/app/pulls/7', '/github/repos/acme/app/pulls/7/merge', '/github/repos/acme/app/pulls/7/%3Cscript%3E']) {
    await (await request(`${h.gw.agentUrl}${p}`, { method: p.endsWith('merge') ? 'PUT' : 'GET', headers: { authorization: `Bearer ${token}` } })).body.dump();
  }
  const res = await request(`${h.gw.adminUrl}/metrics`);
  const text = await res.body.text();
  assert.equal(res.statusCode, 200);
  assert.match(text, /claiim_decisions_total\{[^}]*agent="a1"[^}]*effect="allow"[^}]*rule="gh-read"[^}]*\} 2/);
  assert.match(text, /claiim_decisions_total\{[^}]*effect="deny"[^}]*reason="denied_by_rule"[^}]*rule="gh-no-merge"[^}]*\} 1/);
  assert.match(text, /claiim_chron_append_duration_seconds_count \d+/);
  assert.match(text, /claiim_chron_batch_entries_count [1-9]\d*/, 'group-commit batch sizes are observed');
  assert.match(text, /claiim_policy_info\{digest="[0-9a-f]{64}"\} 1/);
  assert.equal(text.includes('<script') || text.includes('%3C'), false, 'request data never becomes a label');
  assert.equal(text.includes(token), false);
});

test('operations – more in-flight requests than max_concurrent_per_agent → 429 too_many_requests, recorded', async (t) => {
  const h = await startHarness(t, { upstream: { behaviour: { delayMs: 400 } }, limits: 'limits: { max_concurrent_per_agent: 2 }' });
  const token = await h.token('a1');
  const results = await Promise.all([0, 1, 2, 3].map(async () => {
    const r = await request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/7`, { headers: { authorization: `Bearer ${token}` } });
    await r.body.dump();
    return r.statusCode;
  }));
  assert.deepEqual([...results].sort(), [200, 200, 429, 429]);
  assert.equal(h.entries().filter((e) => e.reason === 'too_many_requests').length, 2);
});

test('operations – close() lets an in-flight request finish, then signs a final checkpoint', async (t) => {
  const h = await startHarness(t, { upstream: { behaviour: { delayMs: 300 } } });
  const before = h.chron.checkpoints().length;
  const pending = request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/7`, { headers: { authorization: `Bearer ${await h.token('a1')}` } });
  await new Promise((r) => setTimeout(r, 100));
  const closing = h.gw.close();
  const res = await pending;
  await res.body.dump();
  await closing;
  assert.equal(res.statusCode, 200);
  const after = openChronReadonly(`${h.dir}/chron.db`);
  t.after(() => after.close());
  assert.ok(after.checkpoints().length > before, 'a final checkpoint was signed');
  assert.equal(after.checkpoints().at(-1)?.treeSize, after.treeSize(), 'the final checkpoint covers every entry');
});

test('operations – a streamed (chunked) body larger than max_body_bytes → 413 body_too_large, recorded; the upstream never gets it whole', async (t) => {
  const h = await startHarness(t, { limits: 'limits: { max_body_bytes: 1024 }' });
  const token = await h.token('a1');
  const big = Buffer.alloc(64 * 1024, 'a');
  const res = await request(`${h.gw.agentUrl}/github/repos/acme/app/issues/1/comments`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: Readable.from([big]),
  });
  const body = await res.body.json() as { reason: string };
  assert.equal(res.statusCode, 413);
  assert.equal(body.reason, 'body_too_large');
  assert.equal(h.upstream.received.filter((r) => r.body.length >= big.length).length, 0);
  const declared = await request(`${h.gw.agentUrl}/github/repos/acme/app/issues/1/comments`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: big });
  assert.equal(declared.statusCode, 413, 'a declared Content-Length over the limit is refused before anything is forwarded');
  await declared.body.dump();
});

test('operations – a request arriving during shutdown (pipelined on an open connection) gets 503 shutting_down and is recorded', async (t) => {
  const h = await startHarness(t, { upstream: { behaviour: { delayMs: 300 } } });
  const token = await h.token('a1');
  const client = new Client(h.gw.agentUrl, { pipelining: 2 });
  t.after(() => client.destroy());
  const first = client.request({ path: '/github/repos/acme/app/pulls/7', method: 'GET', headers: { authorization: `Bearer ${token}` } });
  await new Promise((r) => setTimeout(r, 100));
  const closing = h.gw.close();
  const second = client.request({ path: '/github/repos/acme/app/pulls/8', method: 'GET', headers: { authorization: `Bearer ${token}` } });
  const [a, b] = await Promise.all([first, second]);
  assert.equal(a.statusCode, 200, 'the in-flight request completes');
  await a.body.dump();
  assert.equal(b.statusCode, 503);
  assert.equal((await b.body.json() as { reason: string }).reason, 'shutting_down');
  await closing;
  const log = openChronReadonly(`${h.dir}/chron.db`);
  t.after(() => log.close());
  const reasons: string[] = [];
  for (let i = 0; i < log.treeSize(); i++) reasons.push(String((JSON.parse(log.entry(i)?.data.toString('utf8') ?? '{}') as { reason?: string }).reason));
  assert.ok(reasons.includes('shutting_down'), 'the refused request is in Chron');
});

test('operations – /readyz turns 503 when Chron cannot write, and names the failing check', async (t) => {
  const h = await startHarness(t, { readonlyChron: true });
  const before = await request(`${h.gw.adminUrl}/readyz`);
  await before.body.dump();
  await (await request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/7`, { headers: { authorization: `Bearer ${await h.token('a1')}` } })).body.dump();
  const after = await request(`${h.gw.adminUrl}/readyz`);
  const body = await after.body.json() as { checks: { chron: boolean } };
  assert.equal(after.statusCode, 503);
  assert.equal(body.checks.chron, false);
});
