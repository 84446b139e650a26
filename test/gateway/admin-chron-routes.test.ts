import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chronAdminRoutes } from '../../gateway/admin-chron-routes.js';
import { openCheckpoint, parseVerifierKeys, verifyConsistency, verifyInclusion, verifyTlogProof, canonicalBytes, leafHash } from '../../chron/index.js';
import { ORIGIN, decision, openLog, scratch } from '../chron/helpers.js';

test('chronAdminRoutes – real server: checkpoint, proofs and entries verify; bad params → 400 with code', async (t) => {
  const s = await scratch(t);
  const log = await openLog(t, s);
  const routes = chronAdminRoutes(log);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    if (!routes(req, res, url)) res.writeHead(404).end('not mine');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get = async (path: string, init?: RequestInit): Promise<{ status: number; text: string; type: string | null }> => {
    const r = await fetch(`${base}${path}`, init);
    return { status: r.status, text: await r.text(), type: r.headers.get('content-type') };
  };
  const errCode = (text: string): string => (JSON.parse(text) as { error: { code: string } }).error.code;

  const none = await get('/chron/checkpoint');
  assert.equal(none.status, 404);
  assert.equal(errCode(none.text), 'ERR_CHRON_NOT_FOUND');

  for (let i = 0; i < 9; i++) await log.append(decision(i));
  await log.checkpoint();
  for (let i = 9; i < 23; i++) await log.append(decision(i));
  await log.checkpoint();
  const vk = parseVerifierKeys(log.vkeys().join('\n'));

  const cp = await get('/chron/checkpoint');
  assert.equal(cp.status, 200);
  assert.equal(cp.type, 'text/plain; charset=utf-8');
  const opened = openCheckpoint(cp.text, vk, ORIGIN);
  assert.equal(opened.treeSize, 23);

  const incl = JSON.parse((await get('/chron/proof/inclusion?index=17')).text) as { index: number; tree_size: number; leaf_hash: string; proof: string[] };
  verifyInclusion(17, incl.tree_size, Buffer.from(incl.leaf_hash, 'hex'), incl.proof.map((h) => Buffer.from(h, 'hex')), opened.rootHash);
  const tlog = await get('/chron/proof/inclusion?index=17&format=tlog-proof');
  assert.equal(verifyTlogProof(tlog.text, Buffer.from(incl.leaf_hash, 'hex'), vk, ORIGIN).index, 17);

  const cons = JSON.parse((await get('/chron/proof/consistency?from=9&to=23')).text) as { from_root: string; to_root: string; proof: string[] };
  assert.equal(cons.to_root, Buffer.from(opened.rootHash).toString('hex'));
  verifyConsistency(9, 23, Buffer.from(cons.from_root, 'hex'), opened.rootHash, cons.proof.map((h) => Buffer.from(h, 'hex')));

  const page = JSON.parse((await get('/chron/entries?from=3&to=6')).text) as { tree_size: number; entries: { index: number; leaf_hash: string; record: unknown }[] };
  assert.equal(page.tree_size, 23);
  assert.deepEqual(page.entries.map((e) => e.index), [3, 4, 5]);
  for (const e of page.entries) assert.equal(leafHash(canonicalBytes(e.record)).toString('hex'), e.leaf_hash);

  for (const bad of ['/chron/proof/inclusion', '/chron/proof/inclusion?index=-1', '/chron/proof/inclusion?index=01', '/chron/proof/inclusion?index=1&index=2',
    '/chron/proof/inclusion?index=23', '/chron/proof/consistency?from=0&to=5', '/chron/proof/consistency?from=9&to=24',
    '/chron/entries?from=5&to=2', '/chron/entries?from=0&to=5000', '/chron/proof/inclusion?index=1&format=xml']) {
    const r = await get(bad);
    assert.equal(r.status, 400, bad);
    assert.match(errCode(r.text), /^ERR_CHRON_(USAGE|RANGE)$/, bad);
  }
  const post = await get('/chron/checkpoint', { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal((await get('/healthz')).text, 'not mine');
});
