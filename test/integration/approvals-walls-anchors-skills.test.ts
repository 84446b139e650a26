// Issue 6 items 1–3 (aiorg walls, anchors, skill versions): the end-to-end checks that were missing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from 'undici';
import { loadConfig } from '../../gateway/config/load.js';
import { startHarness } from '../helpers/harness.js';
import { tempDir } from '../helpers/tmp.js';

const ANCHORS: Record<string, string> = { a1: 'eng-lead@acme.example', f1: 'cfo@acme.example' };

test('anchors – the anchor is in the 403 body and in every entry about the agent (allow, deny, wall, 404, no match)', async (t) => {
  const h = await startHarness(t);
  const a1 = `Bearer ${await h.token('a1')}`;
  const f1 = `Bearer ${await h.token('f1', { skill: '' })}`;
  const calls: [string, string, string, number][] = [
    [a1, 'GET', '/github/repos/acme/app/pulls/7', 200],
    [a1, 'PUT', '/github/repos/acme/app/pulls/7/merge', 403],
    [a1, 'DELETE', '/github/repos/acme/app', 403],
    [a1, 'GET', '/nowhere/x', 404],
    [f1, 'GET', '/github/repos/acme/app/pulls/7', 403],
  ];
  for (const [auth, method, path, status] of calls) {
    const res = await request(`${h.gw.agentUrl}${path}`, { method: method as 'GET', headers: { authorization: auth } });
    const text = await res.body.text();
    assert.equal(res.statusCode, status, `${method} ${path}`);
    if (status >= 400) assert.equal((JSON.parse(text) as { anchor: string }).anchor, auth === a1 ? ANCHORS.a1 : ANCHORS.f1, `${method} ${path}`);
  }
  const decisions = h.entries().filter((e) => e.type === 'chron.decision/v1');
  assert.equal(decisions.length, calls.length);
  for (const e of decisions) {
    assert.equal(typeof e.agent, 'string');
    assert.equal(e.anchor, ANCHORS[e.agent as string], JSON.stringify(e));
  }
});

test('skills – the skill and its version are in every entry of an authenticated agent, allow and deny', async (t) => {
  const h = await startHarness(t);
  const auth = `Bearer ${await h.token('a1', { skill: 'code-review@1.4.7' })}`;
  for (const [method, path] of [['GET', '/github/repos/acme/app/pulls/7'], ['PUT', '/github/repos/acme/app/pulls/7/merge'], ['GET', '/github/orgs/acme']]) {
    const res = await request(`${h.gw.agentUrl}${path}`, { method: method as 'GET', headers: { authorization: auth } });
    await res.body.dump();
  }
  const decisions = h.entries().filter((e) => e.type === 'chron.decision/v1');
  assert.deepEqual(decisions.map((e) => [e.effect, e.skill]), [['allow', 'code-review@1.4.7'], ['deny', 'code-review@1.4.7'], ['deny', 'code-review@1.4.7']]);
});

test('skills – a rule may narrow the agent\'s range: 1.4.2 → no_matching_rule, 1.5.0 → allowed by the narrowed rule', async (t) => {
  const h = await startHarness(t, { rules: `
      - { id: gh-read-new-skill, effect: allow, match: { methods: [GET], path: "/repos/acme/app/**", skill: { name: code-review, version: ">=1.5.0" } } }
` });
  const call = async (skill: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/7`, { headers: { authorization: `Bearer ${await h.token('a1', { skill })}` } });
    const text = await res.body.text();
    return { status: res.statusCode, body: res.statusCode === 200 ? {} : JSON.parse(text) as Record<string, unknown> };
  };
  const old = await call('code-review@1.4.2');
  assert.equal(old.status, 403);
  assert.equal(old.body.reason, 'no_matching_rule');
  assert.equal((await call('code-review@1.5.0')).status, 200);
  assert.equal(h.upstream.received.length, 1);
  assert.deepEqual(h.entries().filter((e) => e.type === 'chron.decision/v1').map((e) => e.rule_id), ['default_deny', 'gh-read-new-skill']);
});

test('anchors – a config with an agent without an anchor, or with an empty one, is rejected', (t) => {
  const tmp = tempDir(t);
  tmp.write('issuer.jwk', '{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}');
  const config = (agent: string): string => `identity:
  issuers: [{ issuer: https://idp.test, audience: gw, algorithms: [EdDSA], key_files: [issuer.jwk] }]
aiorgs: [{ id: engineering }]
upstreams:
  - { name: github, mount: /github, target: https://api.github.com, aiorgs: [engineering], credential: { header: authorization, format: "Bearer {secret}", env: GH_TOKEN } }
agents:
  - ${agent}
policies: []
`;
  const env = { GH_TOKEN: 'ghp_x' };
  assert.equal(loadConfig(tmp.write('ok.yaml', config('{ id: a1, aiorg: engineering, anchor: eng-lead@acme.example }')), env).ok, true);
  for (const [name, agent] of [['none.yaml', '{ id: a1, aiorg: engineering }'], ['empty.yaml', '{ id: a1, aiorg: engineering, anchor: "" }']] as const) {
    const r = loadConfig(tmp.write(name, config(agent)), env);
    assert.equal(r.ok, false, name);
    if (!r.ok) assert.ok(r.problems.some((p) => p.code === 'ERR_CONFIG_SCHEMA'), JSON.stringify(r.problems));
  }
});

test('aiorg wall – the finance agent is denied before any rule even on a path an engineering rule allows; entry names the wall', async (t) => {
  const h = await startHarness(t);
  const res = await request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/7`, { headers: { authorization: `Bearer ${await h.token('f1', { skill: '' })}` } });
  await res.body.dump();
  assert.equal(res.statusCode, 403);
  const e = h.entries().find((x) => x.type === 'chron.decision/v1');
  assert.equal(e?.reason, 'aiorg_boundary');
  assert.equal(e?.aiorg, 'finance');
  assert.equal(e?.upstream, 'github');
  assert.equal(h.upstream.received.length, 0);
});
