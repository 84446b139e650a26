import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import { test } from 'node:test';
import { createAuthenticator } from '../../gateway/identity/index.js';
import { AGENTS, AUDIENCE, ISSUER, NOW_S, claims, clock, edIssuer } from './identity-fixtures.js';

async function setup(t: Parameters<typeof edIssuer>[0], over: { maxTokenAgeS?: number; cache?: number } = {}) {
  const iss = edIssuer(t);
  const c = clock();
  const auth = await createAuthenticator({
    issuers: [{ ...iss.config, ...(over.maxTokenAgeS !== undefined ? { maxTokenAgeS: over.maxTokenAgeS } : {}) }],
    agents: AGENTS, now: c.now, ...(over.cache !== undefined ? { cache: { maxEntries: over.cache } } : {}),
  });
  const reasonOf = async (token: string): Promise<string> => {
    const r = await auth.authenticate([`Bearer ${token}`]);
    return r.ok ? 'ok' : r.reason;
  };
  return { iss, clock: c, auth, reasonOf };
}

test('authenticate – valid token → agent, skill, issuer, jti and exp in ms', async (t) => {
  const { iss, auth } = await setup(t);
  const r = await auth.authenticate([`Bearer ${iss.token()}`]);
  assert.deepEqual(r, { ok: true, agent: 'code-review', skill: { name: 'code-review', version: '1.4.2' }, issuer: ISSUER, tokenId: 'j-1', expiresAt: (NOW_S + 600) * 1000 });
  assert.equal(auth.ready(), true);
});

test('authenticate – exp in the past beyond tolerance → token_expired (401)', async (t) => {
  const { iss, auth } = await setup(t);
  const r = await auth.authenticate([`Bearer ${iss.token(claims({ exp: NOW_S - 31 }))}`]);
  assert.deepEqual(r, { ok: false, reason: 'token_expired', status: 401 });
});

test('authenticate – exp just past but within the 30 s tolerance → ok', async (t) => {
  const { iss, reasonOf } = await setup(t);
  assert.equal(await reasonOf(iss.token(claims({ exp: NOW_S - 29 }))), 'ok');
});

test('authenticate – nbf or iat in the future beyond tolerance → token_not_yet_valid', async (t) => {
  const { iss, reasonOf } = await setup(t);
  assert.equal(await reasonOf(iss.token(claims({ nbf: NOW_S + 120 }))), 'token_not_yet_valid');
  assert.equal(await reasonOf(iss.token(claims({ iat: NOW_S + 120 }))), 'token_not_yet_valid');
  assert.equal(await reasonOf(iss.token(claims({ nbf: NOW_S + 10, iat: NOW_S + 10 }))), 'ok');
});

test('authenticate – iss of an unconfigured issuer, incl. trailing slash or other case → wrong_issuer', async (t) => {
  const { iss, reasonOf } = await setup(t);
  for (const other of [`${ISSUER}/`, 'https://IDP.test', 'https://attacker.test']) {
    assert.equal(await reasonOf(iss.token(claims({ iss: other }))), 'wrong_issuer', other);
  }
});

test('authenticate – aud names another service → wrong_audience; one of an array matches → ok', async (t) => {
  const { iss, reasonOf } = await setup(t);
  assert.equal(await reasonOf(iss.token(claims({ aud: 'another-api' }))), 'wrong_audience');
  assert.equal(await reasonOf(iss.token(claims({ aud: ['another-api', `${AUDIENCE}x`] }))), 'wrong_audience');
  assert.equal(await reasonOf(iss.token(claims({ aud: ['another-api', AUDIENCE] }))), 'ok');
});

test('authenticate – missing aud, exp, sub or iss → invalid_token', async (t) => {
  const { iss, reasonOf } = await setup(t);
  for (const claim of ['aud', 'exp', 'sub', 'iss']) {
    assert.equal(await reasonOf(iss.token(claims({ [claim]: undefined }))), 'invalid_token', claim);
  }
});

test('authenticate – non-numeric exp ("9999999999" string) or non-string sub → invalid_token', async (t) => {
  const { iss, reasonOf } = await setup(t);
  assert.equal(await reasonOf(iss.token(claims({ exp: '9999999999' }))), 'invalid_token');
  assert.equal(await reasonOf(iss.token(claims({ sub: 42 }))), 'invalid_token');
  assert.equal(await reasonOf(iss.token(claims({ sub: '' }))), 'invalid_token');
});

test('authenticate – a claim or header member given twice, or an exp that parses as Infinity → invalid_token', async (t) => {
  const { iss, reasonOf } = await setup(t);
  const signRaw = (header: string, payload: string): string => {
    const input = `${Buffer.from(header).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
    return `${input}.${sign(null, Buffer.from(input), iss.privateKey).toString('base64url')}`;
  };
  const h = '{"alg":"EdDSA","typ":"JWT","kid":"k1"}';
  const body = (extra: string, exp = String(NOW_S + 600)) => `{"iss":"${ISSUER}","aud":"${AUDIENCE}",${extra}"iat":${NOW_S},"exp":${exp},"jti":"j-1","skill":"code-review@1.4.2"}`;
  assert.equal(await reasonOf(signRaw(h, body('"sub":"code-review",'))), 'ok', 'the same token written once is fine');
  assert.equal(await reasonOf(signRaw(h, body('"sub":"someone-else","sub":"code-review",'))), 'invalid_token');
  assert.equal(await reasonOf(signRaw(h, `{"iss":"https://other.idp",${body('"sub":"code-review",').slice(1)}`)), 'invalid_token');
  assert.equal(await reasonOf(signRaw('{"alg":"EdDSA","alg":"EdDSA","kid":"k1"}', body('"sub":"code-review",'))), 'invalid_token');
  assert.equal(await reasonOf(signRaw(h, body('"sub":"code-review",', '1e400'))), 'invalid_token');
});

test('authenticate – typ other than JWT / at+jwt (e.g. dpop+jwt, ID token profile) → invalid_token', async (t) => {
  const { iss, reasonOf } = await setup(t);
  const h = (typ: unknown) => ({ alg: 'EdDSA', kid: 'k1', typ });
  for (const typ of ['dpop+jwt', 'logout+jwt', 'application/secevent+jwt', 'JOSE', 7]) {
    assert.equal(await reasonOf(iss.token(claims(), h(typ))), 'invalid_token', String(typ));
  }
  for (const typ of ['JWT', 'jwt', 'at+jwt', 'application/at+JWT']) assert.equal(await reasonOf(iss.token(claims(), h(typ))), 'ok', typ);
  assert.equal(await reasonOf(iss.token(claims(), { alg: 'EdDSA', kid: 'k1' })), 'ok');
});

test('authenticate – sub not a registered agent → unknown_agent', async (t) => {
  const { iss, reasonOf } = await setup(t);
  assert.equal(await reasonOf(iss.token(claims({ sub: 'intruder' }))), 'unknown_agent');
});

test('authenticate – skill version outside the agent range, or another skill name → skill_not_allowed', async (t) => {
  const { iss, reasonOf } = await setup(t);
  for (const skill of ['code-review@2.0.0', 'code-review@1.3.9', 'code-review@1.5.0-beta.1', 'deploy@1.4.2']) {
    assert.equal(await reasonOf(iss.token(claims({ skill }))), 'skill_not_allowed', skill);
  }
  assert.equal(await reasonOf(iss.token(claims({ skill: 'code-review@1.9.0' }))), 'ok');
});

test('authenticate – agent with skills and no skill claim → skill_missing; agent without skills → ok', async (t) => {
  const { iss, reasonOf } = await setup(t);
  assert.equal(await reasonOf(iss.token(claims({ skill: undefined }))), 'skill_missing');
  assert.equal(await reasonOf(iss.token(claims({ sub: 'devops', skill: undefined }))), 'ok');
  assert.equal(await reasonOf(iss.token(claims({ sub: 'devops', skill: 'deploy@1.0.0' }))), 'skill_not_allowed');
});

test('authenticate – skill claim not name@semver → skill_invalid', async (t) => {
  const { iss, reasonOf } = await setup(t);
  for (const skill of ['code-review', 'code-review@v1.4.2', 'code-review@1.4', '@1.4.2', 'Code Review@1.4.2', 'code-review@^1.4.2', 3]) {
    assert.equal(await reasonOf(iss.token(claims({ skill }))), 'skill_invalid', String(skill));
  }
});

test('authenticate – maxTokenAgeS: older iat → token_expired; missing iat → invalid_token', async (t) => {
  const { iss, reasonOf } = await setup(t, { maxTokenAgeS: 300 });
  assert.equal(await reasonOf(iss.token(claims({ iat: NOW_S - 400 }))), 'token_expired');
  assert.equal(await reasonOf(iss.token(claims({ iat: undefined }))), 'invalid_token');
  assert.equal(await reasonOf(iss.token(claims({ iat: NOW_S - 100 }))), 'ok');
});

test('authenticate – cached token repeated after exp + tolerance → token_expired (clock injected)', async (t) => {
  const { iss, clock: c, reasonOf } = await setup(t);
  const token = iss.token(claims({ exp: NOW_S + 60 }));
  assert.equal(await reasonOf(token), 'ok');
  c.set(NOW_S + 60 + 29);
  assert.equal(await reasonOf(token), 'ok');
  c.set(NOW_S + 60 + 30);
  assert.equal(await reasonOf(token), 'token_expired');
});

test('authenticate – cached token under maxTokenAgeS → rejected once too old even though exp is far', async (t) => {
  const { iss, clock: c, reasonOf } = await setup(t, { maxTokenAgeS: 100 });
  const token = iss.token(claims({ exp: NOW_S + 3600 }));
  assert.equal(await reasonOf(token), 'ok');
  c.set(NOW_S + 130);
  assert.equal(await reasonOf(token), 'ok');
  c.set(NOW_S + 131);
  assert.equal(await reasonOf(token), 'token_expired');
});

test('authenticate – repeated token with a bad signature → still invalid (failures are not cached as successes)', async (t) => {
  const { iss, reasonOf } = await setup(t);
  const good = iss.token();
  const bad = `${good.slice(0, good.lastIndexOf('.'))}.${Buffer.alloc(64, 7).toString('base64url')}`;
  assert.equal(await reasonOf(good), 'ok');
  assert.equal(await reasonOf(bad), 'invalid_token');
  assert.equal(await reasonOf(bad), 'invalid_token');
});
