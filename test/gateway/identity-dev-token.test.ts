import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { AUTH_STATUS, DEV_DEFAULTS, createAdminTokenVerifier, createAuthenticator, devTokenCommand, generateDevIssuerKey, mintDevAdminToken, mintDevToken, parseTtl } from '../../gateway/identity/index.js';
import { REASONS } from '../../gateway/reasons.js';
import { AGENTS, tempDir } from './identity-fixtures.js';

function io() {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (c: Buffer) => { o += c.toString(); });
  err.on('data', (c: Buffer) => { e += c.toString(); });
  return { io: { stdout: out, stderr: err }, stdout: () => o, stderr: () => e };
}

async function devAuthenticator(publicJwkFile: string) {
  return createAuthenticator({
    issuers: [{ issuer: DEV_DEFAULTS.issuer, audience: [DEV_DEFAULTS.audience], algorithms: ['EdDSA'], keyFiles: [publicJwkFile], clockToleranceS: 30 }],
    agents: AGENTS,
  });
}

test('devTokenCommand – mint with --key/--sub/--skill → token on stdout that authenticates, exit 0', async (t) => {
  const keys = await generateDevIssuerKey(tempDir(t));
  const cap = io();
  const code = await devTokenCommand(['--key', keys.privateJwkFile, '--sub', 'code-review', '--skill', 'code-review@1.4.2', '--ttl', '15m'], cap.io);
  assert.equal(code, 0, cap.stderr());
  assert.match(cap.stdout(), /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  const r = await (await devAuthenticator(keys.publicJwkFile)).authenticate([`Bearer ${cap.stdout().trim()}`]);
  assert.equal(r.ok, true);
  if (r.ok) {
    assert.deepEqual([r.agent, r.skill, r.issuer], ['code-review', { name: 'code-review', version: '1.4.2' }, DEV_DEFAULTS.issuer]);
    assert.ok(Math.abs(r.expiresAt - (Date.now() + 15 * 60_000)) < 5000);
  }
});

test('devTokenCommand – bad or missing flags → exit 2 with a message on stderr, nothing on stdout', async (t) => {
  const keys = await generateDevIssuerKey(tempDir(t));
  const cases: string[][] = [
    ['--sub', 'code-review'],
    ['--key', keys.privateJwkFile],
    ['--key', keys.privateJwkFile, '--sub', 'code-review', '--ttl', 'forever'],
    ['--key', keys.privateJwkFile, '--sub', 'code-review', '--ttl', '31d'],
    ['--key', keys.privateJwkFile, '--sub', 'code-review', '--bogus'],
    ['--key', keys.privateJwkFile, '--sub', 'code-review', 'extra'],
    ['--key', keys.privateJwkFile, '--sub', 'code-review', '--skill', 'code-review'],
    ['--key', keys.privateJwkFile, '--sub', ''],
  ];
  for (const argv of cases) {
    const cap = io();
    assert.equal(await devTokenCommand(argv, cap.io), 2, argv.join(' '));
    assert.equal(cap.stdout(), '');
    assert.match(cap.stderr(), /^claiim dev-token: .+/);
  }
});

test('devTokenCommand – --help → usage naming every flag, exit 0', async () => {
  const cap = io();
  assert.equal(await devTokenCommand(['--help'], cap.io), 0);
  for (const flag of ['--key', '--sub', '--skill', '--ttl', '--iss', '--aud']) assert.ok(cap.stdout().includes(flag), flag);
});

test('devTokenCommand – key file missing or a public key → exit 1', async (t) => {
  const keys = await generateDevIssuerKey(tempDir(t));
  for (const key of [join(tempDir(t), 'absent.jwk'), keys.publicJwkFile]) {
    const cap = io();
    assert.equal(await devTokenCommand(['--key', key, '--sub', 'devops'], cap.io), 1);
    assert.match(cap.stderr(), /ERR_IDENTITY_KEY_FILE/);
  }
});

test('generateDevIssuerKey – second call keeps the key; private file 0600 and public file holds no "d"', async (t) => {
  const dir = tempDir(t);
  const first = await generateDevIssuerKey(dir);
  const before = readFileSync(first.privateJwkFile, 'utf8');
  const second = await generateDevIssuerKey(dir);
  assert.deepEqual(second, first);
  assert.equal(readFileSync(first.privateJwkFile, 'utf8'), before);
  assert.equal(statSync(first.privateJwkFile).mode & 0o777, 0o600);
  const pub = JSON.parse(readFileSync(first.publicJwkFile, 'utf8')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(pub).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
  assert.equal(pub.kid, first.kid);
});

test('mintDevToken – injected clock → exp = now + ttl; token expired for a later verifier', async (t) => {
  const keys = await generateDevIssuerKey(tempDir(t));
  const token = await mintDevToken({ keyFile: keys.privateJwkFile, sub: 'devops', issuer: DEV_DEFAULTS.issuer, audience: DEV_DEFAULTS.audience, ttlS: 60, now: () => 1_000_000_000_000 });
  const payload = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as Record<string, unknown>;
  assert.equal(payload.exp, 1_000_000_060);
  assert.equal(payload.iat, 1_000_000_000);
  const r = await (await devAuthenticator(keys.publicJwkFile)).authenticate([`Bearer ${token}`]);
  assert.deepEqual(r, { ok: false, reason: 'token_expired', status: 401 });
});

test('mintDevToken – corrupt key file → ERR_IDENTITY_KEY_FILE; bad skill → ERR_IDENTITY_DEV_TOKEN', async (t) => {
  const file = join(tempDir(t), 'k.jwk');
  writeFileSync(file, '{not json');
  await assert.rejects(mintDevToken({ keyFile: file, sub: 'a', issuer: 'i', audience: 'a', ttlS: 60 }), { code: 'ERR_IDENTITY_KEY_FILE' });
  await assert.rejects(mintDevToken({ keyFile: file, sub: 'a', issuer: 'i', audience: 'a', ttlS: 60, skill: 'x@1' }), { code: 'ERR_IDENTITY_DEV_TOKEN' });
});

test('parseTtl – units and bounds', () => {
  assert.deepEqual(['90', '90s', '15m', '1h', '2d', '30d', '0', '31d', '1w', '-1h', '1.5h', ''].map(parseTtl), [90, 90, 900, 3600, 172_800, 2_592_000, undefined, undefined, undefined, undefined, undefined, undefined]);
});

test('AUTH_STATUS – every identity reason is in gateway/reasons.ts with the same status', () => {
  for (const [reason, status] of Object.entries(AUTH_STATUS)) {
    assert.equal((REASONS as Record<string, { status: number; stage: string }>)[reason]?.status, status, reason);
    assert.equal((REASONS as Record<string, { status: number; stage: string }>)[reason]?.stage, 'authenticate', reason);
  }
});

test('docs/identity.md – every deny reason and every IdentityError code is documented', () => {
  const doc = readFileSync(new URL('../../../docs/identity.md', import.meta.url), 'utf8');
  for (const reason of Object.keys(AUTH_STATUS)) assert.ok(doc.includes(`| \`${reason}\` | ${AUTH_STATUS[reason as keyof typeof AUTH_STATUS]} |`), reason);
  const errorsSource = readFileSync(new URL('../../../gateway/identity/errors.ts', import.meta.url), 'utf8');
  const codes = [...errorsSource.matchAll(/'(ERR_IDENTITY_[A-Z_]+)'/g)].map((m) => m[1] as string);
  assert.ok(codes.length >= 6);
  for (const code of codes) assert.ok(doc.includes(`| \`${code}\` |`), code);
});

test('mintDevAdminToken – an admin token the approvals verifier accepts, with role and aiorgs; bad input is ERR_IDENTITY_DEV_TOKEN', async (t) => {
  const dir = tempDir(t);
  const keys = await generateDevIssuerKey(dir);
  const token = await mintDevAdminToken({ keyFile: keys.privateJwkFile, sub: 'alice@acme.example', issuer: 'https://idp.test/admins', audience: 'claiim-admin', role: 'admin', aiorgs: ['engineering'], ttlS: 600 });
  const verify = createAdminTokenVerifier({ issuer: 'https://idp.test/admins', audience: ['claiim-admin'], algorithms: ['EdDSA'], keyFiles: [keys.publicJwkFile], roleClaim: 'claiim_role', aiorgsClaim: 'claiim_aiorgs' });
  const who = await verify.verify(`Bearer ${token}`, Date.now());
  assert.deepEqual(who, { ok: true, principal: { subject: 'alice@acme.example', role: 'admin', aiorgs: ['engineering'] } });
  for (const bad of [{ aiorgs: [] }, { sub: '' }, { ttlS: 0 }]) {
    await assert.rejects(mintDevAdminToken({ keyFile: keys.privateJwkFile, sub: 'a', issuer: 'i', audience: 'a', role: 'operator', aiorgs: ['x'], ttlS: 60, ...bad }), { code: 'ERR_IDENTITY_DEV_TOKEN' });
  }
});
