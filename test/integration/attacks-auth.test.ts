import { createHmac, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { b64json, claims, req, runCases, signJwt, startAttackHarness, type AttackCase } from '../helpers/attack-harness.js';

/**
 * CASES.md "J — JWT authentication" as raw requests against the gateway running the fixture policy: every
 * forged, mistyped, misplaced or oversize token is refused (401/400/431) before policy, recorded as one
 * DENY without the token, and never forwarded; the twin with the valid token is allowed.
 */
const READ = '/github/repos/acme/app/pulls/7';
const withAuth = (value: string, target = READ): string => req('GET', target, '', '', `Authorization: ${value}\r\n`);
const noAuth = (extra: string, target = READ): string => req('GET', target, extra, '', '');

test('attack catalogue J (JWT) – every forged or misplaced token refused and recorded, the valid token allowed', async (t: TestContext) => {
  const h = await startAttackHarness(t);
  const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const attackerJwk = attacker.publicKey.export({ format: 'jwk' });
  // J04: a jku/x5u the gateway must never fetch.
  let fetched = 0;
  const jwks = createServer((_q, s) => { fetched++; s.end(JSON.stringify({ keys: [{ ...attackerJwk, kid: 'k1' }] })); });
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => jwks.close(() => r())));
  const jku = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;

  const now = Math.floor(Date.now() / 1000);
  const good = claims();
  const k1 = h.key;
  const unsigned = (header: Record<string, unknown>, payload = good): string => `${b64json(header)}.${b64json(payload)}.`;
  const pem = createPublicKey(k1).export({ format: 'pem', type: 'spki' }).toString();
  const hs256 = (() => { const input = `${b64json({ alg: 'HS256', typ: 'JWT', kid: 'k1' })}.${b64json(good)}`; return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`; })();
  const twin = req('GET', READ);
  const deep = `${JSON.stringify(good).slice(0, -1)},"nest":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;

  const cases: AttackCase[] = [
    ...['none', 'None', 'nOnE'].map((alg, i): AttackCase => ({ id: `J01.${i}`, attack: withAuth(`Bearer ${unsigned({ alg, typ: 'JWT' })}`), status: 401, twin })),
    { id: 'J02', attack: withAuth(`Bearer ${hs256}`), status: 401, twin },
    { id: 'J03', attack: withAuth(`Bearer ${signJwt(attacker.privateKey, { alg: 'RS256', kid: 'k1', jwk: attackerJwk }, good)}`), status: 401, twin },
    { id: 'J03b', attack: withAuth(`Bearer ${signJwt(attacker.privateKey, { alg: 'RS256', x5c: ['MIIB'] }, good)}`), status: 401, twin },
    { id: 'J04', attack: withAuth(`Bearer ${signJwt(attacker.privateKey, { alg: 'RS256', kid: 'k1', jku }, good)}`), status: 401, twin },
    { id: 'J04b', attack: withAuth(`Bearer ${signJwt(attacker.privateKey, { alg: 'RS256', x5u: jku }, good)}`), status: 401, twin },
    { id: 'J06', attack: withAuth(`Bearer ${signJwt(k1, { alg: 'RS256', kid: 'random-kid-1' }, good)}`), status: 401, twin },
    { id: 'J08', attack: withAuth(`Bearer ${signJwt(k1, { alg: 'RS256', kid: 'k1' }, claims({ exp: now - 3600, iat: now - 7200 }))}`), status: 401, reason: 'token_expired', twin },
    { id: 'J08b', attack: withAuth(`Bearer ${signJwt(k1, { alg: 'RS256', kid: 'k1' }, claims({ exp: '9999999999' }))}`), status: 401, twin },
    { id: 'J08c', attack: withAuth(`Bearer ${signJwt(k1, { alg: 'RS256', kid: 'k1' }, claims({ exp: undefined }))}`), status: 401, twin },
    { id: 'J08d', attack: withAuth(`Bearer ${signJwt(k1, { alg: 'RS256', kid: 'k1' }, claims({ nbf: now + 3600 }))}`), status: 401, reason: 'token_not_yet_valid', twin },
    { id: 'J08e', attack: withAuth(`Bearer ${signJwt(k1, { alg: 'RS256', kid: 'k1' }, claims({ iat: now + 3600 }))}`), status: 401, twin },
    { id: 'J09', attack: withAuth(`Bearer ${signJwt(k1, { alg: 'RS256', kid: 'k1' }, claims({ aud: undefined }))}`), status: 401, twin },
    { id: 'J09b', attack: withAuth(`Bearer ${signJwt(k1, { alg: 'RS256', kid: 'k1' }, claims({ aud: 'other' }))}`), status: 401, reason: 'wrong_audience', twin },
    { id: 'J09c', attack: withAuth(`Bearer ${signJwt(k1, { alg: 'RS256', kid: 'k1' }, claims({ iss: 'https://idp.test/' }))}`), status: 401, twin },
    { id: 'J10', attack: withAuth(`Bearer ${signJwt(k1, { alg: 'RS256', kid: 'k1', typ: 'dpop+jwt' }, good)}`), status: 401, reason: 'invalid_token', twin },
    { id: 'J10b', attack: withAuth(`Bearer ${signJwt(k1, { alg: 'RS256', kid: 'k1' }, claims({ sub: 'someone-else' }))}`), status: 401, reason: 'unknown_agent', twin },
    { id: 'J11', attack: withAuth('Bearer eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d'), status: 401, twin },
    { id: 'J11b', attack: withAuth(`Bearer ${signJwt(k1, { alg: 'RS256', kid: 'k1', b64: false, crit: ['b64'] }, good)}`), status: 401, twin },
    { id: 'J13', attack: noAuth('', `${READ}?access_token=TOKEN`), status: 401, reason: 'missing_token', twin },
    { id: 'J13b', attack: noAuth('Cookie: token=TOKEN\r\n'), status: 401, reason: 'missing_token', twin },
    { id: 'J13c', attack: noAuth('X-Auth-Token: TOKEN\r\n'), status: 401, reason: 'missing_token', twin },
    { id: 'J14', attack: req('GET', READ, 'Authorization: Bearer TOKEN\r\n'), status: 400, twin },
    { id: 'J14b', attack: withAuth('Bearer TOKEN, Bearer TOKEN'), status: 400, reason: 'duplicate_authorization', twin },
    { id: 'J15', attack: withAuth('Bearer  TOKEN'), status: 401, reason: 'malformed_authorization', twin: withAuth('bearer TOKEN') },
    { id: 'J15b', attack: withAuth('Bearer\tTOKEN'), status: 401, twin },
    { id: 'J15c', attack: withAuth('Bearer TOKEN junk'), status: 401, twin },
    { id: 'J15d', attack: withAuth(`Basic ${Buffer.from('a1:pw').toString('base64')}`), status: 401, twin },
    { id: 'J16', attack: withAuth(`Bearer ${'a'.repeat(12_000)}.b.c`), status: 431, twin },
    { id: 'J16b', attack: withAuth(`Bearer ${signJwt(k1, { alg: 'RS256', kid: 'k1' }, deep)}`), status: 431, twin },
    { id: 'J16c', attack: withAuth(`Bearer ${'a'.repeat(70_000)}`), status: 431, twin },
  ];
  const denies = await runCases(h, cases, (a, b, m) => assert.equal(a, b, m));
  assert.equal(fetched, 0, 'J04: a header-named key URL was fetched');
  for (const d of denies) assert.equal(d.agent, null, 'a refused token must not attribute the entry');
  // L02: no entry holds a token or the injected credential.
  const raw = h.rawEntries();
  assert.equal(raw.includes(h.token), false);
  assert.equal(raw.includes(hs256.split('.')[2] as string), false);
  for (const f of Object.values(h.fakes)) assert.equal(raw.includes(f.credentialSecret), false);
});

test('J18 – client credentials (Authorization scheme token, access_token, Stripe-Account) never reach the upstream; one credential injected', async (t: TestContext) => {
  const h = await startAttackHarness(t);
  const r = await h.send(req('GET', `${READ}?access_token=ghp_agent&per_page=5&API_KEY=x`, 'X-API-Key: k\r\nCookie: s=1\r\nPrivate-Token: p\r\n'));
  assert.equal(r.status, 200, r.body);
  const got = h.fakes.github.received.at(-1);
  assert.equal(got?.target, '/repos/acme/app/pulls/7?per_page=5');
  const names = (got?.rawHeaders ?? []).filter((_v, i) => i % 2 === 0).map((n) => n.toLowerCase());
  for (const n of ['x-api-key', 'cookie', 'private-token']) assert.equal(names.includes(n), false, n);
  assert.deepEqual(names.filter((n) => n === 'authorization').length, 1);
  assert.equal(got?.headers.authorization, h.fakes.github.expectedCredential);
  assert.equal(JSON.stringify(got?.rawHeaders).includes(h.token), false);
  const dup = await h.send(req('GET', READ, 'Authorization: token ghp_agent\r\n'));
  assert.equal(dup.status, 400);
  assert.equal(h.fakes.github.received.length, 1);
});
