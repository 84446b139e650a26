import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../gateway/config/load.js';
import { tempDir } from '../helpers/tmp.js';

const ENV = { GH_TOKEN: 'ghp_test_secret' };
const JWK = '{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}';

/** A minimal valid config; `patch` edits the text to make one problem. */
function base(): string {
  return `identity:
  issuers:
    - issuer: https://idp.test
      audience: gw
      algorithms: [EdDSA]
      key_files: [issuer.jwk]
aiorgs:
  - id: engineering
  - id: finance
upstreams:
  - name: github
    mount: /github
    target: https://api.github.com
    aiorgs: [engineering]
    credential: { header: authorization, format: "Bearer {secret}", env: GH_TOKEN }
agents:
  - id: code-review
    aiorg: engineering
    anchor: eng-lead@acme.example
    skills: [{ name: code-review, range: "^1.4.0" }]
policies:
  - agents: [code-review]
    upstream: github
    rules:
      - { id: gh-read, effect: allow, match: { methods: [GET], path: "/repos/{owner}/{repo}/**" } }
`;
}

function load(t: Parameters<typeof tempDir>[0], text: string, env: NodeJS.ProcessEnv = ENV, extra: Record<string, string> = {}) {
  const tmp = tempDir(t);
  tmp.write('issuer.jwk', JWK);
  for (const [n, v] of Object.entries(extra)) tmp.write(n, v);
  return { result: loadConfig(tmp.write('claiim.yaml', text), env), dir: tmp.dir };
}

function problems(r: ReturnType<typeof loadConfig>) {
  assert.equal(r.ok, false, 'config should be rejected');
  return r.ok ? [] : r.problems;
}

test('loadConfig – valid config → frozen config with defaults and resolved secret', (t) => {
  const { result, dir } = load(t, base());
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  const c = result.config;
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.upstreams) && Object.isFrozen(c.upstreams[0]));
  assert.deepEqual(c.listeners, { agent: { host: '127.0.0.1', port: 8443 }, admin: { host: '127.0.0.1', port: 9443 } });
  assert.equal(c.chron.dbPath, `${dir}/data/chron.db`);
  assert.equal(c.limits.maxBodyBytes, 1_048_576);
  assert.equal(c.upstreams[0]?.timeoutMs, 30_000);
  assert.deepEqual(c.identity.issuers[0]?.keyFiles, [`${dir}/issuer.jwk`]);
  assert.equal(result.secrets.get('github'), 'Bearer ghp_test_secret');
  assert.equal(JSON.stringify(c).includes('ghp_test_secret'), false, 'the secret is not part of the config object');
});

test('loadConfig – YAML syntax error → ERR_CONFIG_YAML with line and column', (t) => {
  const ps = problems(load(t, 'aiorgs: [engineering\nagents: x\n').result);
  assert.equal(ps[0]?.code, 'ERR_CONFIG_YAML');
  assert.ok((ps[0]?.line ?? 0) >= 1);
});

test('loadConfig – duplicate YAML key → ERR_CONFIG_YAML', (t) => {
  const ps = problems(load(t, base().replace('aiorgs:\n', 'aiorgs: []\naiorgs:\n')).result);
  assert.equal(ps[0]?.code, 'ERR_CONFIG_YAML');
});

test('loadConfig – unknown keys are rejected at the key\'s own line:col, all of them at once', (t) => {
  const text = base().replace('    mount: /github\n', '    mount: /github\n    mount_prefix: /gh\n').replace('    anchor: eng-lead@acme.example\n', '    anchor: eng-lead@acme.example\n    ancor: typo\n');
  const ps = problems(load(t, text).result);
  const unknown = ps.filter((p) => p.code === 'ERR_CONFIG_UNKNOWN_KEY');
  assert.equal(unknown.length, 2);
  assert.deepEqual(unknown.map((p) => [p.line, p.col]), [[13, 5], [21, 5]]);
  assert.ok(unknown.every((p) => p.file.endsWith('claiim.yaml')));
});

test('loadConfig – a literal secret in the credential → ERR_CONFIG_LITERAL_SECRET, value never echoed', (t) => {
  const text = base().replace('env: GH_TOKEN }', 'env: GH_TOKEN, value: ghp_literal_in_yaml }');
  const ps = problems(load(t, text).result);
  const p = ps.find((x) => x.code === 'ERR_CONFIG_LITERAL_SECRET');
  assert.ok(p);
  assert.equal(JSON.stringify(ps).includes('ghp_literal_in_yaml'), false);
});

test('loadConfig – wrong types and enums → ERR_CONFIG_SCHEMA naming the field', (t) => {
  const text = base().replace('algorithms: [EdDSA]', 'algorithms: [none]').replace('target: https://api.github.com', 'target: ftp://x');
  const ps = problems(load(t, text).result);
  assert.equal(ps.filter((p) => p.code === 'ERR_CONFIG_SCHEMA').length, 2);
  assert.ok(ps.some((p) => p.message.includes('identity.issuers.0.algorithms.0')));
});

test('loadConfig – duplicate agent ids → ERR_CONFIG_DUPLICATE', (t) => {
  const text = base().replace('policies:', '  - { id: code-review, aiorg: engineering, anchor: x@y.z }\npolicies:');
  assert.ok(problems(load(t, text).result).some((p) => p.code === 'ERR_CONFIG_DUPLICATE'));
});

test('loadConfig – unknown aiorg, agent and upstream references → ERR_CONFIG_REFERENCE each', (t) => {
  const text = base().replace('aiorg: engineering\n    anchor', 'aiorg: enginering\n    anchor').replace('agents: [code-review]', 'agents: [code-reviewer]').replace('upstream: github', 'upstream: gitlab');
  const refs = problems(load(t, text).result).filter((p) => p.code === 'ERR_CONFIG_REFERENCE');
  assert.equal(refs.length, 3);
});

test('loadConfig – a policy granting an upstream across the aiorg wall is rejected', (t) => {
  const text = base().replace('aiorg: engineering\n    anchor', 'aiorg: finance\n    anchor');
  const ps = problems(load(t, text).result);
  assert.ok(ps.some((p) => p.code === 'ERR_CONFIG_REFERENCE' && p.message.includes('aiorg boundary')));
});

test('loadConfig – missing env credential → ERR_CONFIG_SECRET_SOURCE naming the variable', (t) => {
  const ps = problems(load(t, base(), {}).result);
  assert.equal(ps[0]?.code, 'ERR_CONFIG_SECRET_SOURCE');
  assert.match(ps[0]?.message ?? '', /GH_TOKEN/);
});

test('loadConfig – credential from a file, trailing newline removed', (t) => {
  const { result } = load(t, base().replace('env: GH_TOKEN', 'file: gh.secret'), {}, { 'gh.secret': 'ghp_from_file\n' });
  assert.ok(result.ok);
  assert.equal(result.secrets.get('github'), 'Bearer ghp_from_file');
});

test('loadConfig – both or neither of env/file → ERR_CONFIG_SECRET_SOURCE', (t) => {
  const ps = problems(load(t, base().replace('env: GH_TOKEN', 'env: GH_TOKEN, file: x')).result);
  assert.ok(ps.some((p) => p.code === 'ERR_CONFIG_SECRET_SOURCE'));
});

test('loadConfig – missing issuer key file → ERR_CONFIG_KEY_FILE', (t) => {
  const ps = problems(load(t, base().replace('key_files: [issuer.jwk]', 'key_files: [missing.jwk]')).result);
  assert.ok(ps.some((p) => p.code === 'ERR_CONFIG_KEY_FILE'));
});

test('loadConfig – invalid semver range → ERR_CONFIG_VALUE', (t) => {
  const ps = problems(load(t, base().replace('range: "^1.4.0"', 'range: "one point four"')).result);
  assert.ok(ps.some((p) => p.code === 'ERR_CONFIG_VALUE' && p.message.includes('semver')));
});

test('loadConfig – an invalid rule template → ERR_RULE_PATH_INVALID at the rule\'s position', (t) => {
  const ps = problems(load(t, base().replace('"/repos/{owner}/{repo}/**"', '"/repos/{owner/{repo}/**"')).result);
  const p = ps.find((x) => x.code === 'ERR_RULE_PATH_INVALID');
  assert.ok(p, JSON.stringify(ps));
  assert.equal(p.line, 25);
});

test('loadConfig – included rule files: problems carry the included file\'s own line:col', (t) => {
  const text = base().replace(/    rules:\n.*\n$/s, '    include: [pack.yaml]\n');
  const pack = 'rules:\n  - { id: ok, effect: allow, match: { path: "/x" } }\n  - { id: bad, effect: permit, match: { path: "/y" } }\n';
  const { result } = load(t, text, ENV, { 'pack.yaml': pack });
  const ps = problems(result);
  assert.equal(ps.length, 1);
  assert.ok(ps[0]?.file.endsWith('pack.yaml'));
  assert.equal(ps[0]?.line, 3);
});

test('loadConfig – included rule files are merged into the policy', (t) => {
  const text = base().replace(/    rules:\n.*\n$/s, '    include: [pack.yaml]\n');
  const { result } = load(t, text, ENV, { 'pack.yaml': '- { id: gh-read, effect: allow, match: { methods: [GET], path: "/repos/**" } }\n' });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  assert.equal(result.config.policies[0]?.rules[0]?.id, 'gh-read');
});

test('loadConfig – a missing include → ERR_CONFIG_READ at the include line', (t) => {
  const text = base().replace(/    rules:\n.*\n$/s, '    include: [nope.yaml]\n');
  const ps = problems(load(t, text).result);
  assert.equal(ps[0]?.code, 'ERR_CONFIG_READ');
  assert.ok(ps[0]?.file.endsWith('claiim.yaml'));
});

test('loadConfig – every problem is reported together, sorted by position', (t) => {
  const text = base().replace('mount: /github', 'mount: github').replace('anchor: eng-lead@acme.example', 'anchor: eng-lead@acme.example\n    colour: blue');
  const ps = problems(load(t, text).result);
  assert.ok(ps.length >= 2);
  const lines = ps.map((p) => p.line);
  assert.deepEqual(lines, [...lines].sort((a, b) => a - b));
});

test('loadConfig – unreadable file → ERR_CONFIG_READ', () => {
  const r = loadConfig('/nonexistent/claiim.yaml', ENV);
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.problems[0]?.code, 'ERR_CONFIG_READ');
});

test('loadConfig – a plain-http JWKS URL to a non-loopback host → ERR_CONFIG_VALUE', (t) => {
  const text = base().replace('      key_files: [issuer.jwk]', '      jwks: { url: "http://idp.example/jwks.json" }');
  const ps = problems(load(t, text).result);
  assert.ok(ps.some((p) => p.code === 'ERR_CONFIG_VALUE' && p.message.includes('jwks.url')), JSON.stringify(ps));
});

test('loadConfig – max_token_age_s reaches the issuer config', (t) => {
  const { result } = load(t, base().replace('      key_files: [issuer.jwk]', '      key_files: [issuer.jwk]\n      max_token_age_s: 900'));
  assert.ok(result.ok);
  assert.equal(result.config.identity.issuers[0]?.maxTokenAgeS, 900);
});

test('loadConfig – a secret with $ patterns is injected exactly as given (no replacement codes)', (t) => {
  const { result } = load(t, base(), { GH_TOKEN: "pa$$w$&o$'r$`d" });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  assert.equal(result.secrets.get('github'), "Bearer pa$$w$&o$'r$`d");
});

test('loadConfig – an unset credential.env is named only when it looks like a variable name (not a pasted token)', (t) => {
  const named = problems(load(t, base().replace('env: GH_TOKEN', 'env: GITHUB_TOKEN_2')).result);
  assert.match(named.map((p) => p.message).join('\n'), /environment variable GITHUB_TOKEN_2 is not set/);
  const pasted = problems(load(t, base().replace('env: GH_TOKEN', 'env: ghp_AbCdEf123456secret')).result);
  const text = pasted.map((p) => p.message).join('\n');
  assert.equal(text.includes('ghp_AbCdEf123456secret'), false, text);
  assert.match(text, /is it the secret itself/);
});

test('loadConfig – plain http to a non-loopback upstream is refused unless plaintext: true; loopback http is fine', (t) => {
  const http = base().replace('target: https://api.github.com', 'target: http://api.github.com');
  const p = problems(load(t, http).result);
  assert.ok(p.some((x) => x.code === 'ERR_CONFIG_VALUE' && /"target" must be https/.test(x.message)), JSON.stringify(p));
  const allowed = load(t, http.replace('    aiorgs: [engineering]\n    credential', '    plaintext: true\n    aiorgs: [engineering]\n    credential')).result;
  assert.ok(allowed.ok, JSON.stringify(!allowed.ok && allowed.problems));
  const loop = load(t, base().replace('target: https://api.github.com', 'target: http://127.0.0.1:8080')).result;
  assert.ok(loop.ok, JSON.stringify(!loop.ok && loop.problems));
});

test('loadConfig – approvals: the admin issuer may not be an agent issuer; admin key files must exist', (t) => {
  const approvals = (issuer: string, keyFile: string) => `${base()}approvals:
  admins: { issuer: ${issuer}, audience: claiim-admin, algorithms: [EdDSA], key_files: [${keyFile}] }
`;
  const same = problems(load(t, approvals('https://idp.test', 'issuer.jwk')).result);
  assert.ok(same.some((x) => /admin issuer "https:\/\/idp.test" is also an agent issuer/.test(x.message)), JSON.stringify(same));
  const missing = problems(load(t, approvals('https://admins.test', 'admin-missing.jwk')).result);
  assert.ok(missing.some((x) => x.code === 'ERR_CONFIG_KEY_FILE' && /admin-missing\.jwk/.test(x.message)), JSON.stringify(missing));
  const fine = load(t, approvals('https://admins.test', 'admin.jwk'), ENV, { 'admin.jwk': JWK }).result;
  assert.ok(fine.ok, JSON.stringify(!fine.ok && fine.problems));
});
