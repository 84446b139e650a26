import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAuthenticator } from '../../gateway/identity/index.js';
import { AGENTS, b64url, claims, clock, edIssuer } from './identity-fixtures.js';

async function setup(t: Parameters<typeof edIssuer>[0], maxTokenBytes?: number) {
  const iss = edIssuer(t);
  const auth = await createAuthenticator({ issuers: [iss.config], agents: AGENTS, now: clock().now, ...(maxTokenBytes !== undefined ? { maxTokenBytes } : {}) });
  return { token: iss.token(), auth };
}

test('authenticate – no Authorization header → missing_token (401)', async (t) => {
  const { auth } = await setup(t);
  assert.deepEqual(await auth.authenticate([]), { ok: false, reason: 'missing_token', status: 401 });
});

test('authenticate – two Authorization headers, even both valid → duplicate_authorization (400)', async (t) => {
  const { auth, token } = await setup(t);
  assert.deepEqual(await auth.authenticate([`Bearer ${token}`, `Bearer ${token}`]), { ok: false, reason: 'duplicate_authorization', status: 400 });
  assert.equal((await auth.authenticate([`Bearer ${token}`, ''])).ok, false);
});

test('authenticate – comma-joined credentials ("Bearer A, Bearer B", "Bearer A, Basic B") → duplicate_authorization (400, J14)', async (t) => {
  const { auth, token } = await setup(t);
  for (const v of [`Bearer ${token}, Bearer ${token}`, `Bearer ${token},Bearer x`, `Bearer ${token}, Basic dXNlcjpwYXNz`]) {
    assert.deepEqual(await auth.authenticate([v]), { ok: false, reason: 'duplicate_authorization', status: 400 }, v.slice(-20));
  }
});

test('authenticate – scheme in any case ("bearer", "BEARER") → ok', async (t) => {
  const { auth, token } = await setup(t);
  for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) assert.equal((await auth.authenticate([`${scheme} ${token}`])).ok, true, scheme);
});

test('authenticate – malformed Authorization forms → malformed_authorization (401)', async (t) => {
  const { auth, token } = await setup(t);
  const forms = [
    `Bearer  ${token}`, `Bearer\t${token}`, `Bearer ${token} x`, `Bearer ${token},`, `Bearer ${token}, `, `Bearer ${token},x`,
    `Basic ${b64url('user:pass')}`, `token ${token}`, `Bearer`, `Bearer `, `${token}`, '', `Bearer "${token}"`, `Bearer ${token}\u0000`,
  ];
  for (const f of forms) assert.deepEqual(await auth.authenticate([f]), { ok: false, reason: 'malformed_authorization', status: 401 }, JSON.stringify(f.slice(0, 12)));
});

test('authenticate – b64token that is not a JWT ("abc", "a+b/c==") → invalid_token', async (t) => {
  const { auth } = await setup(t);
  for (const tok of ['abc', 'a+b/c==', 'a.b.c', '~.~.~']) assert.deepEqual(await auth.authenticate([`Bearer ${tok}`]), { ok: false, reason: 'invalid_token', status: 401 }, tok);
});

test('authenticate – 64 KB token → token_too_large (431) before any parsing', async (t) => {
  const { auth } = await setup(t);
  const huge = `${b64url({ alg: 'EdDSA' })}.${'A'.repeat(64 * 1024)}.${'B'.repeat(86)}`;
  assert.deepEqual(await auth.authenticate([`Bearer ${huge}`]), { ok: false, reason: 'token_too_large', status: 431 });
  assert.deepEqual(await auth.authenticate([`Basic ${'A'.repeat(64 * 1024)}`]), { ok: false, reason: 'token_too_large', status: 431 });
});

test('authenticate – token one byte over maxTokenBytes → token_too_large; exactly at the limit → verified', async (t) => {
  const iss = edIssuer(t);
  const token = iss.token();
  const at = await createAuthenticator({ issuers: [iss.config], agents: AGENTS, now: clock().now, maxTokenBytes: token.length });
  const under = await createAuthenticator({ issuers: [iss.config], agents: AGENTS, now: clock().now, maxTokenBytes: token.length - 1 });
  assert.equal((await at.authenticate([`Bearer ${token}`])).ok, true);
  assert.deepEqual(await under.authenticate([`Bearer ${token}`]), { ok: false, reason: 'token_too_large', status: 431 });
});

test('authenticate – deeply nested payload inside the size limit → parsed safely: unknown iss denied, signed one verified', async (t) => {
  const iss = edIssuer(t);
  const auth = await createAuthenticator({ issuers: [iss.config], agents: AGENTS, now: clock().now, maxTokenBytes: 16_384 });
  const deep = `${b64url({ alg: 'EdDSA', kid: 'k1' })}.${b64url(`{"iss":"x","a":${'['.repeat(5000)}${']'.repeat(5000)}}`)}.${b64url('sig')}`;
  assert.deepEqual(await auth.authenticate([`Bearer ${deep}`]), { ok: false, reason: 'wrong_issuer', status: 401 });
  const signedDeep = iss.token(claims({ a: JSON.parse(`${'['.repeat(3000)}${']'.repeat(3000)}`) }));
  assert.equal((await auth.authenticate([`Bearer ${signedDeep}`])).ok, true);
});

test('authenticate – result never contains the token', async (t) => {
  const { auth, token } = await setup(t);
  const signature = token.split('.')[2] as string;
  for (const v of [[`Bearer ${token}`], [`Bearer ${token} x`], [`Bearer ${token}`, `Bearer ${token}`]]) {
    assert.equal(JSON.stringify(await auth.authenticate(v)).includes(signature), false);
  }
});

test('authenticate – signature re-encoded with non-zero unused trailing bits (same bytes) → invalid_token', async (t) => {
  const { auth, token } = await setup(t);
  // An Ed25519 signature is 64 bytes = 86 base64url chars; the last char carries 2 data bits and 4 unused bits.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(token.slice(-1));
  const twin = token.slice(0, -1) + (alphabet[last ^ 1] as string);
  assert.deepEqual(Buffer.from(twin.split('.')[2] as string, 'base64url'), Buffer.from(token.split('.')[2] as string, 'base64url'));
  assert.equal((await auth.authenticate([`Bearer ${token}`])).ok, true);
  assert.deepEqual(await auth.authenticate([`Bearer ${twin}`]), { ok: false, reason: 'invalid_token', status: 401 });
});
