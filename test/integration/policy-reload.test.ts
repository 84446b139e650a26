import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'undici';
import { startHarness } from '../helpers/harness.js';

const MERGE = '/github/repos/acme/app/pulls/7/merge';

test('reload – a valid change is swapped in, recorded with its digest, and decides the next request', async (t) => {
  const h = await startHarness(t);
  const token = await h.token('a1');
  const before = h.gw.policyDigest();
  const file = `${h.dir}/claiim.yaml`;
  writeFileSync(file, readFileSync(file, 'utf8').replace('id: gh-read, effect: allow', 'id: gh-read, effect: deny'));
  const r = await h.gw.reload();
  assert.ok(r.ok && r.changed);
  assert.notEqual(h.gw.policyDigest(), before);
  const res = await request(`${h.gw.agentUrl}/github/repos/acme/app/pulls/7`, { headers: { authorization: `Bearer ${token}` } });
  const body = await res.body.json() as { rule_id: string };
  assert.equal(res.statusCode, 403);
  assert.equal(body.rule_id, 'gh-read');
  const loads = h.allEntries().filter((e) => e.type === 'chron.policy/v1');
  assert.deepEqual(loads.map((e) => [e.event, e.policy_digest]), [['loaded', before], ['loaded', h.gw.policyDigest()]]);
  assert.equal(h.entries().at(-1)?.policy_digest, h.gw.policyDigest(), 'the decision carries the digest of the policy that made it');
});

test('reload – an invalid file keeps the last good policy; the problem is recorded with file:line:col', async (t) => {
  const h = await startHarness(t);
  const before = h.gw.policyDigest();
  const file = `${h.dir}/claiim.yaml`;
  writeFileSync(file, readFileSync(file, 'utf8').replace('effect: deny', 'effect: permit'));
  const r = await h.gw.reload();
  assert.equal(r.ok, false);
  assert.equal(h.gw.policyDigest(), before);
  const rejected = h.allEntries().find((e) => e.event === 'rejected') as { problems: { file: string; line: number; code: string }[] } | undefined;
  assert.ok(rejected);
  assert.equal(rejected.problems[0]?.code, 'ERR_CONFIG_SCHEMA');
  assert.ok(rejected.problems[0]?.file.endsWith('claiim.yaml') && rejected.problems[0].line > 0);
  const res = await request(`${h.gw.agentUrl}${MERGE}`, { method: 'PUT', headers: { authorization: `Bearer ${await h.token('a1')}` } });
  assert.equal((await res.body.json() as { rule_id: string }).rule_id, 'gh-no-merge', 'the old policy still decides');
});

test('reload – a change to listeners or upstreams is refused (restart required) and the policy is kept', async (t) => {
  const h = await startHarness(t);
  const file = `${h.dir}/claiim.yaml`;
  writeFileSync(file, readFileSync(file, 'utf8').replace('timeout_ms: 5000', 'timeout_ms: 6000'));
  const r = await h.gw.reload();
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.problems[0]?.message ?? '', /upstreams.*restart/);
});

test('reload – repeated reloads while requests flow: every decision comes from one whole policy', async (t) => {
  const h = await startHarness(t);
  const token = await h.token('a1');
  const file = `${h.dir}/claiim.yaml`;
  const allowText = readFileSync(file, 'utf8');
  // Policy B denies reads with rule gh-read-b and allows merges with gh-merge-b: a half-loaded mix of A and B
  // would show up as a read allowed by a B rule or a merge denied by an A rule in the same policy digest.
  const denyText = allowText.replace('id: gh-read, effect: allow', 'id: gh-read-b, effect: deny').replace('id: gh-no-merge, effect: deny', 'id: gh-merge-b, effect: allow');
  let stop = false;
  const seen: { digest: string; rule: string }[] = [];
  const load = async (): Promise<void> => {
    for (let i = 0; !stop; i++) {
      const merge = i % 2 === 0;
      const res = await request(`${h.gw.agentUrl}${merge ? MERGE : '/github/repos/acme/app/pulls/7'}`, { method: merge ? 'PUT' : 'GET', headers: { authorization: `Bearer ${token}` } });
      await res.body.dump();
    }
  };
  const loaders = [load(), load(), load()];
  for (let i = 0; i < 8; i++) {
    writeFileSync(file, i % 2 === 0 ? denyText : allowText);
    assert.ok((await h.gw.reload()).ok);
    await new Promise((r) => setTimeout(r, 20));
  }
  stop = true;
  await Promise.all(loaders);
  for (const e of h.entries().filter((x) => x.type === 'chron.decision/v1')) seen.push({ digest: String(e.policy_digest), rule: String(e.rule_id) });
  const byDigest = new Map<string, Set<string>>();
  for (const s of seen) byDigest.set(s.digest, (byDigest.get(s.digest) ?? new Set()).add(s.rule));
  assert.equal(byDigest.size, 2, 'decisions were made under both policies');
  for (const rules of byDigest.values()) {
    const a = rules.has('gh-read') || rules.has('gh-no-merge');
    const b = rules.has('gh-read-b') || rules.has('gh-merge-b');
    assert.ok(a !== b, `one digest mixed rules of both policies: ${[...rules].join(', ')}`);
  }
});

test('reload – a version whose policy tests fail is not swapped in, and the failure is recorded', async (t) => {
  const h = await startHarness(t, { rules: ' []\n    include: [pack.yaml]\n' });
  const before = h.gw.policyDigest();
  const pack = `${h.dir}/pack.yaml`;
  writeFileSync(`${h.dir}/pack.test.yaml`, '- name: test_read_pr_allowed\n  agent: a1\n  upstream: github\n  request: { method: GET, path: /repos/acme/app/pulls/7 }\n  expect: { effect: allow, rule: gh-read }\n');
  writeFileSync(pack, '- { id: gh-read, effect: deny, match: { methods: [GET], path: "/repos/acme/app/**" } }\n');
  const r = await h.gw.reload();
  assert.equal(r.ok, false);
  assert.equal(r.ok ? '' : r.problems[0]?.code, 'ERR_RULES_TEST_FAILED');
  assert.equal(h.gw.policyDigest(), before);
  writeFileSync(pack, '- { id: gh-read, effect: allow, match: { methods: [GET], path: "/repos/acme/app/**" } }\n- { id: gh-extra, effect: allow, match: { methods: [GET], path: "/user" } }\n');
  assert.ok((await h.gw.reload()).ok, 'a version whose tests pass is swapped in');
  assert.notEqual(h.gw.policyDigest(), before);
});

test('reload – agents changed but an issuer key file no longer parses: rejected, recorded in Chron, the running policy kept', async (t) => {
  const h = await startHarness(t);
  const before = h.gw.policyDigest();
  const file = `${h.dir}/claiim.yaml`;
  const text = readFileSync(file, 'utf8');
  const keyFile = /key_files: \["([^"]+)"\]/.exec(text)?.[1] ?? assert.fail('issuer key file in the config');
  writeFileSync(keyFile, '{"kty":"OKP","crv":"Ed25519","x":"not a key"}');
  writeFileSync(file, text.replace('  - { id: f1, aiorg: finance, anchor: cfo@acme.example }', '  - { id: f1, aiorg: finance, anchor: cfo@acme.example }\n  - { id: a3, aiorg: engineering, anchor: eng-lead@acme.example }'));
  const r = await h.gw.reload();
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.problems[0]?.message ?? '', /issuers could not be rebuilt/);
  assert.equal(h.gw.policyDigest(), before);
  const rejected = h.allEntries().filter((e) => e.type === 'chron.policy/v1' && e.event === 'rejected') as { problems: { message: string }[] }[];
  assert.equal(rejected.length, 1, 'the failed reload is in the log');
  assert.match(rejected[0]?.problems[0]?.message ?? '', /issuers could not be rebuilt/);
});

test('reload – a file still being written is not loaded half-way: the reload waits for it to be quiet', async (t) => {
  const h = await startHarness(t);
  const file = `${h.dir}/claiim.yaml`;
  const full = readFileSync(file, 'utf8').replace('id: gh-read, effect: allow', 'id: gh-read2, effect: allow');
  // A writer that has written everything up to the deny rule (still valid YAML: merges would be default-denied,
  // but a deny rule cut off can also open what it narrowed), then finishes 100 ms later.
  const cut = full.slice(0, full.indexOf('- { id: gh-no-merge'));
  assert.ok(cut.length < full.length && cut.includes('gh-read2'));
  writeFileSync(file, cut);
  const reloading = h.gw.reload();
  await new Promise((r) => setTimeout(r, 100));
  writeFileSync(file, full);
  const r = await reloading;
  assert.ok(r.ok, JSON.stringify(r));
  const res = await request(`${h.gw.agentUrl}${MERGE}`, { method: 'PUT', headers: { authorization: `Bearer ${await h.token('a1')}` } });
  assert.equal((await res.body.json() as { rule_id: string }).rule_id, 'gh-no-merge', 'the whole new file was loaded, deny rule included');
});
