import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { test, type TestContext } from 'node:test';
import { createAuthenticator, type IssuerConfig } from '../../gateway/identity/index.js';
import { AGENTS, AUDIENCE, ISSUER, claims, clock, signJws } from './identity-fixtures.js';

/** A JWKS endpoint on port 0 whose key set and behaviour the test changes; counts every request. */
async function jwksServer(t: TestContext) {
  const state = { keys: [] as Record<string, unknown>[], mode: 'ok' as 'ok' | 'error' | 'hang', fetches: 0 };
  const server: Server = createServer((_req, res) => {
    state.fetches++;
    if (state.mode === 'hang') return;
    if (state.mode === 'error') { res.statusCode = 500; res.end('down'); return; }
    res.setHeader('content-type', 'application/jwk-set+json');
    res.end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => { server.closeAllConnections(); server.close(); });
  return { state, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json` };
}

function key(kid: string): { privateKey: KeyObject; jwk: Record<string, unknown> } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig' } };
}

function remoteIssuer(url: string, over: Partial<NonNullable<IssuerConfig['jwks']>> = {}): IssuerConfig {
  return { issuer: ISSUER, audience: [AUDIENCE], algorithms: ['EdDSA'], clockToleranceS: 30, jwks: { url, cooldownMs: 500, cacheMaxAgeMs: 600_000, timeoutMs: 2000, ...over } };
}

test('remote JWKS – unknown kid → one refetch once the cooldown passed, then none within the cooldown (J06)', async (t) => {
  const srv = await jwksServer(t);
  const k1 = key('k1');
  srv.state.keys = [k1.jwk];
  const auth = await createAuthenticator({ issuers: [remoteIssuer(srv.url)], agents: AGENTS, now: clock().now });
  const reasonOf = async (token: string) => { const r = await auth.authenticate([`Bearer ${token}`]); return r.ok ? 'ok' : r.reason; };
  const tokenFor = (k: { privateKey: KeyObject }, kid: string, jti: string) => signJws({ alg: 'EdDSA', typ: 'JWT', kid }, claims({ jti }), k.privateKey);

  assert.equal(srv.state.fetches, 0, 'nothing fetched before the first token');
  assert.equal(await reasonOf(tokenFor(k1, 'k1', 'a')), 'ok');
  assert.equal(await reasonOf(tokenFor(k1, 'k1', 'b')), 'ok');
  assert.equal(srv.state.fetches, 1, 'a known kid is served from the cached set');

  await sleep(550);
  assert.equal(await reasonOf(tokenFor(k1, 'random-1', 'c')), 'unknown_key');
  assert.equal(srv.state.fetches, 2, 'an unknown kid after the cooldown refetches once');
  for (let i = 0; i < 20; i++) assert.equal(await reasonOf(tokenFor(k1, `random-${i + 2}`, `d${i}`)), 'unknown_key');
  assert.equal(srv.state.fetches, 2, 'unknown kids within the cooldown do not refetch');

  const k2 = key('k2');
  srv.state.keys = [k1.jwk, k2.jwk];
  await sleep(550);
  assert.equal(await reasonOf(tokenFor(k2, 'k2', 'e')), 'ok', 'a rotated-in key is picked up by the refetch');
  assert.equal(srv.state.fetches, 3);
});

test('remote JWKS – endpoint answers 500 → jwks_unavailable (503), held off for the cooldown, readyz false', async (t) => {
  const srv = await jwksServer(t);
  const k1 = key('k1');
  srv.state.mode = 'error';
  const auth = await createAuthenticator({ issuers: [remoteIssuer(srv.url)], agents: AGENTS, now: clock().now });
  const token = signJws({ alg: 'EdDSA', kid: 'k1' }, claims(), k1.privateKey);
  assert.equal(auth.ready(), true);
  assert.deepEqual(await auth.authenticate([`Bearer ${token}`]), { ok: false, reason: 'jwks_unavailable', status: 503 });
  assert.deepEqual(await auth.authenticate([`Bearer ${token}`]), { ok: false, reason: 'jwks_unavailable', status: 503 });
  assert.equal(srv.state.fetches, 1, 'a failed fetch is not retried within the cooldown');
  assert.equal(auth.ready(), false);

  srv.state.mode = 'ok';
  srv.state.keys = [k1.jwk];
  await sleep(550);
  assert.equal((await auth.authenticate([`Bearer ${token}`])).ok, true);
  assert.equal(srv.state.fetches, 2);
  assert.equal(auth.ready(), true);
});

test('remote JWKS – endpoint never answers → jwks_unavailable after timeoutMs', async (t) => {
  const srv = await jwksServer(t);
  srv.state.mode = 'hang';
  const auth = await createAuthenticator({ issuers: [remoteIssuer(srv.url, { timeoutMs: 200 })], agents: AGENTS, now: clock().now });
  const started = Date.now();
  const r = await auth.authenticate([`Bearer ${signJws({ alg: 'EdDSA', kid: 'k1' }, claims(), key('k1').privateKey)}`]);
  assert.deepEqual(r, { ok: false, reason: 'jwks_unavailable', status: 503 });
  assert.ok(Date.now() - started < 1500);
});

test('remote JWKS – key served for another algorithm ("alg": "ES256" member) → unknown_key', async (t) => {
  const srv = await jwksServer(t);
  const k1 = key('k1');
  srv.state.keys = [{ ...k1.jwk, alg: 'ES256' }];
  const auth = await createAuthenticator({ issuers: [remoteIssuer(srv.url, { cooldownMs: 60_000 })], agents: AGENTS, now: clock().now });
  const r = await auth.authenticate([`Bearer ${signJws({ alg: 'EdDSA', kid: 'k1' }, claims(), k1.privateKey)}`]);
  assert.deepEqual(r, { ok: false, reason: 'unknown_key', status: 401 });
});

test('remote JWKS – set expired and IdP down → last set serves one more cacheMaxAge, then jwks_unavailable', async (t) => {
  const srv = await jwksServer(t);
  const k1 = key('k1');
  srv.state.keys = [k1.jwk];
  const auth = await createAuthenticator({ issuers: [remoteIssuer(srv.url, { cooldownMs: 50, cacheMaxAgeMs: 500 })], agents: AGENTS, now: clock().now, cache: { maxEntries: 0 } });
  const token = signJws({ alg: 'EdDSA', kid: 'k1' }, claims(), k1.privateKey);
  assert.equal((await auth.authenticate([`Bearer ${token}`])).ok, true);
  const fetchedAt = Date.now(); // the set was stored before this instant

  srv.state.mode = 'error';
  await sleep(550 - (Date.now() - fetchedAt));
  assert.equal((await auth.authenticate([`Bearer ${token}`])).ok, true, 'stale set used while the IdP is down');
  assert.equal(srv.state.fetches, 2, 'a refresh was attempted');
  assert.equal(auth.ready(), false);
  await sleep(1050 - (Date.now() - fetchedAt));
  assert.deepEqual(await auth.authenticate([`Bearer ${token}`]), { ok: false, reason: 'jwks_unavailable', status: 503 });
});

test('remote JWKS – a cached token stops being accepted once its key left the set and the set is due for a refresh', async (t) => {
  const srv = await jwksServer(t);
  const k1 = key('k1');
  const k2 = key('k2');
  srv.state.keys = [k1.jwk];
  // The token cache on (its default); the injected clock stays at the fixture instant, so only the
  // key set's age can end the cached entry.
  const auth = await createAuthenticator({ issuers: [remoteIssuer(srv.url, { cooldownMs: 0, cacheMaxAgeMs: 300 })], agents: AGENTS, now: clock().now });
  const token = signJws({ alg: 'EdDSA', kid: 'k1' }, claims(), k1.privateKey);
  assert.equal((await auth.authenticate([`Bearer ${token}`])).ok, true);
  const fetchedAt = Date.now();
  assert.equal(srv.state.fetches, 1);

  srv.state.keys = [k2.jwk]; // the IdP rotates k1 out
  assert.equal((await auth.authenticate([`Bearer ${token}`])).ok, true, 'within cacheMaxAge the cached answer stands, as the cached set would give');
  assert.equal(srv.state.fetches, 1, 'served from the token cache');
  await sleep(350 - (Date.now() - fetchedAt));
  assert.deepEqual(await auth.authenticate([`Bearer ${token}`]), { ok: false, reason: 'unknown_key', status: 401 }, 'the set is refreshed and k1 is gone');
  assert.ok(srv.state.fetches >= 2, 'verified again against a refreshed set'); // jose refetches once more for the unknown kid (cooldown 0)
  const fresh = signJws({ alg: 'EdDSA', kid: 'k2' }, claims({ jti: 'k2-token' }), k2.privateKey);
  assert.equal((await auth.authenticate([`Bearer ${fresh}`])).ok, true, 'the rotated-in key verifies');
});
