import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { request } from 'undici';
import { startHarness } from '../helpers/harness.js';

// The writer worker is reached through a spy on worker_threads.Worker: builtin ESM exports are live
// bindings, so chron/writer-client.ts constructs the spy once syncBuiltinESMExports ran.
const wt = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
const workers: InstanceType<typeof wt.Worker>[] = [];
const Original = wt.Worker;
(wt as { Worker: unknown }).Worker = class extends Original {
  constructor(...a: ConstructorParameters<typeof Original>) { super(...a); workers.push(this); }
};
syncBuiltinESMExports();

/** A Logger that keeps every line, as the JSON object it would write. */
function capture(): { lines: Record<string, unknown>[]; info: (f: Record<string, unknown> & { msg: string }) => void; error: (f: Record<string, unknown> & { msg: string }) => void } {
  const lines: Record<string, unknown>[] = [];
  return { lines, info: (f) => { lines.push({ level: 'info', ...f }); }, error: (f) => { lines.push({ level: 'error', ...f }); } };
}

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await request(url);
  return { status: r.statusCode, body: await r.body.json() as Record<string, unknown> };
}

test('healthz – Chron writer thread exits → /healthz 503 chron_closed writer_exited, /readyz 503 at once, one chron_closed error line', async (t) => {
  const log = capture();
  const first = workers.length;
  const h = await startHarness(t, { log });
  const worker = workers[first];
  if (worker === undefined) throw new Error('the gateway started no writer worker');
  assert.equal((await get(`${h.gw.adminUrl}/healthz`)).status, 200);
  const exited = new Promise((r) => worker.once('exit', r));
  await worker.terminate();
  await exited;
  const health = await get(`${h.gw.adminUrl}/healthz`);
  assert.equal(health.status, 503);
  assert.deepEqual({ status: health.body.status, reason: health.body.reason, cause: health.body.cause }, { status: 'unhealthy', reason: 'chron_closed', cause: 'writer_exited' });
  // Not ready without waiting for a request to fail.
  const ready = await get(`${h.gw.adminUrl}/readyz`);
  assert.equal(ready.status, 503);
  assert.equal((ready.body.checks as { chron: boolean }).chron, false);
  const token = await h.token('a1');
  for (let i = 0; i < 3; i++) {
    const r = await request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/7`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.statusCode, 503);
    await r.body.dump();
  }
  const closed = log.lines.filter((l) => l.msg === 'chron_closed');
  assert.equal(closed.length, 1, 'one line for the cause, however many requests fail');
  assert.deepEqual({ level: closed[0]?.level, cause: closed[0]?.cause }, { level: 'error', cause: 'writer_exited' });
  assert.equal(JSON.stringify(log.lines).includes(token), false);
  assert.equal(JSON.stringify(log.lines).includes(h.upstream.credentialSecret), false);
});

test('healthz – Chron database file deleted → /healthz 503 chron_closed database_replaced naming the file; one chron_closed line', async (t) => {
  const log = capture();
  const h = await startHarness(t, { log });
  const db = `${h.dir}/chron.db`;
  for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
  const token = await h.token('a1');
  for (let i = 0; i < 3; i++) {
    const r = await request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/7`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.statusCode, 503);
    await r.body.dump();
  }
  const health = await get(`${h.gw.adminUrl}/healthz`);
  assert.equal(health.status, 503);
  assert.equal(health.body.cause, 'database_replaced');
  assert.match(String(health.body.message), /chron\.db was deleted or replaced/);
  const closed = log.lines.filter((l) => l.msg === 'chron_closed');
  assert.equal(closed.length, 1);
  assert.equal(closed[0]?.cause, 'database_replaced');
  assert.equal(h.gw.chron.fault()?.cause, 'database_replaced');
});

test('healthz – graceful close → no chron_closed line, and the log reports no fault', async (t) => {
  const log = capture();
  const h = await startHarness(t, { log });
  const token = await h.token('a1');
  await (await request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/7`, { headers: { authorization: `Bearer ${token}` } })).body.dump();
  assert.equal((await get(`${h.gw.adminUrl}/healthz`)).status, 200);
  await h.gw.close();
  assert.equal(h.gw.chron.fault(), undefined);
  assert.deepEqual(log.lines.filter((l) => l.level === 'error'), []);
});
