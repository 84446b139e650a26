import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createAuthenticator, IdentityError } from '../../gateway/identity/index.js';
import { AGENTS, AUDIENCE, ISSUER, b64url, claims, clock, edIssuer, signHs256, signJws, tempDir } from './identity-fixtures.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string;

async function authFor(issuers: Parameters<typeof createAuthenticator>[0]['issuers']) {
  const auth = await createAuthenticator({ issuers, agents: AGENTS, now: clock().now });
  return async (token: string): Promise<string> => {
    const r = await auth.authenticate([`Bearer ${token}`]);
    return r.ok ? 'ok' : r.reason;
  };
}

test('authenticate – alg "none" in any casing with an empty or junk signature → invalid_token', async (t) => {
  const iss = edIssuer(t);
  const reasonOf = await authFor([iss.config]);
  for (const alg of ['none', 'None', 'nOnE', 'NONE']) {
    const unsigned = `${b64url({ alg, typ: 'JWT' })}.${b64url(claims())}`;
    assert.equal(await reasonOf(`${unsigned}.`), 'invalid_token', alg);
    assert.equal(await reasonOf(`${unsigned}.${b64url('x')}`), 'invalid_token', alg);
  }
});

test('authenticate – HS256 token HMAC-keyed with the RS256 public key bytes → invalid_token', async (t) => {
  const file = join(tempDir(t), 'rsa.pem');
  writeFileSync(file, rsaPem);
  const reasonOf = await authFor([{ issuer: ISSUER, audience: [AUDIENCE], algorithms: ['RS256'], keyFiles: [file], clockToleranceS: 30 }]);
  assert.equal(await reasonOf(signJws({ alg: 'RS256', typ: 'JWT' }, claims(), rsa.privateKey)), 'ok');
  for (const secret of [rsaPem, Buffer.from(rsa.publicKey.export({ type: 'spki', format: 'der' }))]) {
    assert.equal(await reasonOf(signHs256({ alg: 'HS256', typ: 'JWT' }, claims(), secret)), 'invalid_token');
  }
});

test('authenticate – RS256 token (valid RSA signature) for an EdDSA-pinned issuer → invalid_token', async (t) => {
  const iss = edIssuer(t);
  const reasonOf = await authFor([iss.config]);
  assert.equal(await reasonOf(signJws({ alg: 'RS256', typ: 'JWT', kid: 'k1' }, claims(), rsa.privateKey)), 'invalid_token');
});

test('authenticate – header "jwk" / "x5c" carrying the attacker key → invalid_token (header keys ignored)', async (t) => {
  const iss = edIssuer(t);
  const reasonOf = await authFor([iss.config]);
  const attacker = generateKeyPairSync('ed25519');
  const jwk = attacker.publicKey.export({ format: 'jwk' });
  assert.equal(await reasonOf(signJws({ alg: 'EdDSA', typ: 'JWT', jwk }, claims(), attacker.privateKey)), 'invalid_token');
  assert.equal(await reasonOf(signJws({ alg: 'EdDSA', typ: 'JWT', kid: 'k1', jwk }, claims(), attacker.privateKey)), 'invalid_token');
  assert.equal(await reasonOf(signJws({ alg: 'EdDSA', kid: 'k1', x5c: ['MIIB'] }, claims(), attacker.privateKey)), 'invalid_token');
});

test('authenticate – header "jku" / "x5u" pointing at a live JWKS → never fetched, invalid_token', async (t) => {
  const iss = edIssuer(t);
  const attacker = generateKeyPairSync('ed25519');
  let hits = 0;
  const server = createServer((_req, res) => { hits++; res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ keys: [{ ...attacker.publicKey.export({ format: 'jwk' }), kid: 'evil' }] })); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  const reasonOf = await authFor([iss.config]);
  assert.equal(await reasonOf(signJws({ alg: 'EdDSA', kid: 'evil', jku: url }, claims(), attacker.privateKey)), 'unknown_key');
  assert.equal(await reasonOf(signJws({ alg: 'EdDSA', kid: 'k1', x5u: url }, claims(), attacker.privateKey)), 'invalid_token');
  assert.equal(hits, 0);
});

test('authenticate – kid that no static key has → unknown_key', async (t) => {
  const iss = edIssuer(t);
  const reasonOf = await authFor([iss.config]);
  assert.equal(await reasonOf(signJws({ alg: 'EdDSA', typ: 'JWT', kid: 'k2' }, claims(), iss.privateKey)), 'unknown_key');
});

test('authenticate – JWE (5 parts), b64:false, wrong part count, crit header → invalid_token', async (t) => {
  const iss = edIssuer(t);
  const reasonOf = await authFor([iss.config]);
  const jwe = [b64url({ alg: 'RSA-OAEP-256', enc: 'A256GCM' }), b64url('k'), b64url('iv'), b64url('ct'), b64url('tag')].join('.');
  assert.equal(await reasonOf(jwe), 'invalid_token');
  assert.equal(await reasonOf(iss.token(claims(), { alg: 'EdDSA', kid: 'k1', b64: false, crit: ['b64'] })), 'invalid_token');
  assert.equal(await reasonOf(iss.token(claims(), { alg: 'EdDSA', kid: 'k1', crit: ['exp'], exp: 1 })), 'invalid_token');
  const good = iss.token();
  assert.equal(await reasonOf(good.split('.').slice(0, 2).join('.')), 'invalid_token');
  assert.equal(await reasonOf(`${good}.${b64url('x')}`), 'invalid_token');
  assert.equal(await reasonOf(`${b64url('not json')}.${good.split('.').slice(1).join('.')}`), 'invalid_token');
});

test('authenticate – PEM SPKI key (no kid) verifies tokens with or without a kid', async (t) => {
  const file = join(tempDir(t), 'rsa.pem');
  writeFileSync(file, rsaPem);
  const reasonOf = await authFor([{ issuer: ISSUER, audience: [AUDIENCE], algorithms: ['RS256', 'PS256'], keyFiles: [file], clockToleranceS: 30 }]);
  assert.equal(await reasonOf(signJws({ alg: 'RS256', kid: 'rotating-1' }, claims(), rsa.privateKey)), 'ok');
  assert.equal(await reasonOf(signJws({ alg: 'RS256' }, claims({ jti: 'j-2' }), rsa.privateKey)), 'ok');
});

test('authenticate – two kid-less keys and a kid-less token → each key tried, right one verifies', async (t) => {
  const a = edIssuer(t, undefined);
  const b = edIssuer(t, undefined);
  const dir = tempDir(t);
  writeFileSync(join(dir, 'set.json'), JSON.stringify({ keys: [a.publicJwk, b.publicJwk] }));
  const reasonOf = await authFor([{ ...a.config, keyFiles: [join(dir, 'set.json')] }]);
  assert.equal(await reasonOf(b.token()), 'ok');
  assert.equal(await reasonOf(a.token(claims({ jti: 'other' }))), 'ok');
  const stranger = edIssuer(t, undefined);
  assert.equal(await reasonOf(stranger.token()), 'invalid_token');
});

test('createAuthenticator – pinned "none", HS256 or an unknown algorithm → ERR_IDENTITY_ALGORITHM', async (t) => {
  const iss = edIssuer(t);
  for (const algorithms of [['none'], ['HS256'], ['EdDSA', 'HS512'], ['rs256'], []]) {
    await assert.rejects(createAuthenticator({ issuers: [{ ...iss.config, algorithms }], agents: AGENTS }), (e: unknown) => e instanceof IdentityError && e.code === 'ERR_IDENTITY_ALGORITHM', JSON.stringify(algorithms));
  }
});

test('createAuthenticator – private key, oct key, missing or garbage key file → ERR_IDENTITY_KEY_FILE', async (t) => {
  const iss = edIssuer(t);
  const dir = tempDir(t);
  const files = {
    privateJwk: JSON.stringify({ ...iss.privateKey.export({ format: 'jwk' }), kid: 'k1' }),
    privatePem: iss.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    oct: JSON.stringify({ kty: 'oct', k: 'c2VjcmV0' }),
    garbage: 'hello',
    badJwk: JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: 'AAAA' }),
  };
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, name), text);
    await assert.rejects(createAuthenticator({ issuers: [{ ...iss.config, keyFiles: [join(dir, name)] }], agents: AGENTS }), (e: unknown) => e instanceof IdentityError && e.code === 'ERR_IDENTITY_KEY_FILE', name);
  }
  await assert.rejects(createAuthenticator({ issuers: [{ ...iss.config, keyFiles: [join(dir, 'absent')] }], agents: AGENTS }), { code: 'ERR_IDENTITY_KEY_FILE' });
});

test('createAuthenticator – RSA key for an EdDSA-pinned issuer → ERR_IDENTITY_KEY_ALGORITHM', async (t) => {
  const file = join(tempDir(t), 'rsa.pem');
  writeFileSync(file, rsaPem);
  await assert.rejects(createAuthenticator({ issuers: [{ issuer: ISSUER, audience: [AUDIENCE], algorithms: ['EdDSA'], keyFiles: [file], clockToleranceS: 30 }], agents: AGENTS }), { code: 'ERR_IDENTITY_KEY_ALGORITHM' });
});

test('createAuthenticator – duplicate issuer, both key sources, plain-http remote JWKS, bad skill range → rejected', async (t) => {
  const iss = edIssuer(t);
  const jwks = { url: 'http://idp.example/jwks.json', cooldownMs: 30_000, cacheMaxAgeMs: 600_000, timeoutMs: 5000 };
  await assert.rejects(createAuthenticator({ issuers: [iss.config, iss.config], agents: AGENTS }), { code: 'ERR_IDENTITY_ISSUER' });
  await assert.rejects(createAuthenticator({ issuers: [{ ...iss.config, jwks: { ...jwks, url: 'https://idp.example/jwks.json' } }], agents: AGENTS }), { code: 'ERR_IDENTITY_ISSUER' });
  const { keyFiles: _, ...remote } = iss.config;
  await assert.rejects(createAuthenticator({ issuers: [{ ...remote, jwks }], agents: AGENTS }), { code: 'ERR_IDENTITY_ISSUER' });
  await assert.rejects(createAuthenticator({ issuers: [iss.config], agents: [{ id: 'a', skills: [{ name: 's', range: 'not a range' }] }] }), { code: 'ERR_IDENTITY_AGENT' });
  await assert.rejects(createAuthenticator({ issuers: [iss.config], agents: [{ id: 'a', skills: [] }, { id: 'a', skills: [] }] }), { code: 'ERR_IDENTITY_AGENT' });
});
