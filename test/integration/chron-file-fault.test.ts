import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { request } from 'undici';
import { startHarness } from '../helpers/harness.js';

test('gateway – Chron database file deleted while running → 503 chron_unavailable, nothing forwarded, /readyz names chron', async (t) => {
  const h = await startHarness(t);
  const auth = { authorization: `Bearer ${await h.token('a1')}` };
  const ok = await request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/7`, { headers: auth });
  await ok.body.dump();
  assert.equal(ok.statusCode, 200);
  const forwarded = h.upstream.received.length;
  const db = `${h.dir}/chron.db`;
  for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
  for (let i = 0; i < 3; i++) {
    const r = await request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/${10 + i}`, { headers: auth });
    assert.equal(r.statusCode, 503);
    assert.equal((await r.body.json() as { reason: string }).reason, 'chron_unavailable');
  }
  assert.equal(h.upstream.received.length, forwarded, 'nothing forwarded whose entry went to the deleted file');
  const ready = await request(`${h.gw.adminUrl}/readyz`);
  assert.equal(ready.statusCode, 503);
  assert.equal((await ready.body.json() as { checks: { chron: boolean } }).checks.chron, false);
});
