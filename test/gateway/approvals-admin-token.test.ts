import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createAdminTokenVerifier, type AdminIssuerConfig } from '../../gateway/identity/index.js';
import { ADMIN_AUDIENCE, ADMIN_ISSUER, WHO, approvalsFixture } from './approvals-fixture.js';
import { signHs256 } from './identity-fixtures.js';

async function setup(t: Parameters<typeof approvalsFixture>[0]) {
  const f = await approvalsFixture(t);
  const v = createAdminTokenVerifier(f.config.admins);
  const check = async (token: string): Promise<string> => {
    const r = await v.verify(`Bearer ${token}`, f.clock.now());
    return r.ok ? `${r.principal.role}:${r.principal.subject}:${r.principal.aiorgs.join(',')}` : r.reason;
  };
  return { f, v, check };
}

test('admin token – admin and operator tokens → principal with role and aiorgs', async (t) => {
  const { f, check } = await setup(t);
  assert.equal(await check(f.tokenFor(WHO.carol)), 'admin:carol@acme.example:engineering,finance');
  assert.equal(await check(f.tokenFor(WHO.oscar)), 'operator:oscar@acme.example:engineering');
});

test('admin token – role missing or not admin/operator, aiorgs not a non-empty list of strings → not_an_admin', async (t) => {
  const { f, check } = await setup(t);
  assert.equal(await check(f.tokenFor(WHO.alice, { claiim_role: undefined })), 'not_an_admin');
  assert.equal(await check(f.tokenFor(WHO.alice, { claiim_role: 'Admin' })), 'not_an_admin');
  assert.equal(await check(f.tokenFor(WHO.alice, { claiim_role: ['admin'] })), 'not_an_admin');
  assert.equal(await check(f.tokenFor(WHO.alice, { claiim_aiorgs: 'engineering' })), 'not_an_admin');
  assert.equal(await check(f.tokenFor(WHO.alice, { claiim_aiorgs: [] })), 'not_an_admin');
  assert.equal(await check(f.tokenFor(WHO.alice, { claiim_aiorgs: ['engineering', 7] })), 'not_an_admin');
});

test('admin token – exp, iss, aud and sub required; wrong values → their reasons', async (t) => {
  const { f, check } = await setup(t);
  const now = Math.floor(f.clock.now() / 1000);
  assert.equal(await check(f.tokenFor(WHO.alice, { exp: now - 31 })), 'token_expired');
  assert.equal(await check(f.tokenFor(WHO.alice, { exp: undefined })), 'invalid_token');
  assert.equal(await check(f.tokenFor(WHO.alice, { sub: undefined })), 'invalid_token');
  assert.equal(await check(f.tokenFor(WHO.alice, { iss: 'https://idp.test' })), 'wrong_issuer');
  assert.equal(await check(f.tokenFor(WHO.alice, { aud: 'gw' })), 'wrong_audience');
  assert.equal(await check(f.tokenFor(WHO.alice, { iat: now + 600, exp: now + 1200 })), 'token_not_yet_valid');
});

test('admin token – alg none, HS256 keyed with the public key, or an unpinned algorithm → refused', async (t) => {
  const { f, check } = await setup(t);
  const claims = { iss: ADMIN_ISSUER, aud: ADMIN_AUDIENCE, sub: 'mallory', exp: Math.floor(f.clock.now() / 1000) + 600, claiim_role: 'admin', claiim_aiorgs: ['engineering'] };
  const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
  assert.equal(await check(none), 'malformed_authorization');
  assert.equal(await check(signHs256({ alg: 'HS256', kid: 'adm-1' }, claims, JSON.stringify(f.config.admins))), 'invalid_token');
  assert.equal(await check(f.token(claims, { alg: 'EdDSA', kid: 'adm-1' }).replace(/\.[^.]+$/, `.${Buffer.alloc(64).toString('base64url')}`)), 'invalid_token');
  assert.equal(await check(f.token(claims, { alg: 'EdDSA', kid: 'adm-1' })), 'admin:mallory:engineering');
});

test('admin token – no or malformed Authorization → missing_token / malformed_authorization', async (t) => {
  const { f, v } = await setup(t);
  assert.deepEqual(await v.verify(undefined, f.clock.now()), { ok: false, reason: 'missing_token' });
  assert.deepEqual(await v.verify(`Basic ${f.tokenFor(WHO.alice)}`, f.clock.now()), { ok: false, reason: 'malformed_authorization' });
  assert.deepEqual(await v.verify(`Bearer  ${f.tokenFor(WHO.alice)}`, f.clock.now()), { ok: false, reason: 'malformed_authorization' });
});

test('admin token – creation: HS256 pinned → ERR_IDENTITY_ALGORITHM; private key file → ERR_IDENTITY_KEY_FILE', async (t) => {
  const { f } = await setup(t);
  const base: AdminIssuerConfig = f.config.admins;
  assert.throws(() => createAdminTokenVerifier({ ...base, algorithms: ['HS256'] }), { code: 'ERR_IDENTITY_ALGORITHM' });
  const priv = join(f.dir, 'private.jwk');
  writeFileSync(priv, JSON.stringify(generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' })));
  assert.throws(() => createAdminTokenVerifier({ ...base, keyFiles: [priv] }), { code: 'ERR_IDENTITY_KEY_FILE' });
  assert.throws(() => createAdminTokenVerifier({ ...base, audience: [] }), { code: 'ERR_IDENTITY_ISSUER' });
});
