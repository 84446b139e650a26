import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSigningKey, openChron } from '../../chron/index.js';
import { rulesCommand } from '../../gateway/rules-cli/index.js';
import { captureIo, CONFIG, rulesFixture } from './rules-cli-fixture.js';

const ORIGIN = 'claiim.test/rules-replay';

/** A decision entry as the gateway records it (gateway/records.ts), with the fields replay reads. */
function decision(over: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'chron.decision/v1', decision_id: `d-${String(over.path)}`, request_id: 'r', time: '2025-01-01T00:00:00.000Z',
    agent: 'devops', aiorg: 'engineering', anchor: 'ops-lead@acme.example', skill: null, upstream: 'github', method: 'GET',
    path: '/repos/acme/app', raw_path: null, raw_path_sha256: null, query_sha256: null, effect: 'allow', rule_id: 'read-app',
    reason: 'allowed_by_rule', detail: null, status: null, policy_digest: 'old', body_sha256: null, shadow: [], approval: null,
    ...over,
  };
}

/** Writes `records` into a fresh Chron database in `dir` and closes it; returns its path. */
async function chronWith(dir: string, records: Record<string, unknown>[]): Promise<string> {
  const path = `${dir}/chron.db`;
  const key = `${dir}/keys/chron.jwk`;
  await generateSigningKey(key, ORIGIN);
  const chron = await openChron({ path, origin: ORIGIN, signingKeyFile: key, checkpointIntervalMs: 0 });
  for (const r of records) await chron.append(r);
  await chron.close();
  return path;
}

test('rules replay – candidate denies a recorded allow → 1; changed, not replayable and skipped entries are listed and counted', async (t) => {
  const f = rulesFixture(t);
  const db = await chronWith(f.dir, [
    decision({ path: '/repos/acme/app/pulls/7' }),
    decision({ method: 'PUT', path: '/repos/acme/app/pulls/7/merge', rule_id: 'old-merge-ok' }),
    decision({ path: '/repos/acme/issues', rule_id: 'issues-by-label' }),
    decision({ method: 'POST', path: '/repos/acme/app/pulls/7/reviews', rule_id: 'comment-only', body_sha256: 'ab' }),
    decision({ agent: null, upstream: null, path: null, effect: 'deny', rule_id: 'pre_policy', reason: 'invalid_token' }),
    { type: 'chron.policy/v1', event: 'loaded', time: '2025-01-01T00:00:00.000Z', policy_digest: 'old' },
  ]);
  const io = captureIo();
  assert.equal(await rulesCommand(['replay', '--chron', db, '--config', f.config], io, {}), 1);
  const lines = io.out().trimEnd().split('\n');
  assert.deepEqual(lines, [
    'CHANGED #1 2025-01-01T00:00:00.000Z devops PUT github /repos/acme/app/pulls/7/merge: allow (old-merge-ok) → deny (no-merge, denied_by_rule)',
    'NOT REPLAYABLE #2 2025-01-01T00:00:00.000Z devops GET github /repos/acme/issues: reads query',
    'NOT REPLAYABLE #3 2025-01-01T00:00:00.000Z devops POST github /repos/acme/app/pulls/7/reviews: reads body',
    '5 decision(s): 2 replayed, 1 changed, 2 not replayable, 1 refused before policy (skipped)',
  ]);
});

test('rules replay --json – nothing changes → 0; the agent moved to another aiorg → aiorg_wall, a change', async (t) => {
  const f = rulesFixture(t);
  const db = await chronWith(f.dir, [decision({ path: '/repos/acme/app/pulls/7' }), decision({ method: 'DELETE', path: '/repos/acme/app', effect: 'deny', rule_id: 'default_deny', reason: 'no_matching_rule' })]);
  const io = captureIo();
  assert.equal(await rulesCommand(['replay', '--chron', db, '--config', f.config, '--json'], io, {}), 0);
  const doc = JSON.parse(io.out()) as { summary: Record<string, unknown>; changed: unknown[] };
  assert.deepEqual({ ...doc.summary, policy_digest: undefined }, { decisions: 2, replayed: 2, changed: 0, not_replayable: 0, skipped_before_policy: 0, policy_digest: undefined });

  f.write('claiim.yaml', CONFIG.replace('  - id: devops\n    aiorg: engineering', '  - id: devops\n    aiorg: finance').replace('engineers: [code-review, devops]', 'engineers: [code-review]'));
  const moved = captureIo();
  assert.equal(await rulesCommand(['replay', '--chron', db, '--config', f.config, '--json'], moved, {}), 1);
  const after = JSON.parse(moved.out()) as { changed: { index: number; after: { rule: string; reason: string } }[] };
  assert.deepEqual(after.changed.map((c) => [c.index, c.after.rule, c.after.reason]), [[0, 'aiorg_wall', 'aiorg_boundary'], [1, 'aiorg_wall', 'aiorg_boundary']]);
});

test('rules replay – a rule requiring approval: covered when the entry relied on its session, else not replayable', async (t) => {
  const f = rulesFixture(t, { 'rules/github.yaml': `rules:
  - { id: merge-approved, effect: allow, requires: approval, match: { methods: [PUT], path: "/repos/{o}/{r}/pulls/{n}/merge" } }
` });
  const db = await chronWith(f.dir, [
    decision({ method: 'PUT', path: '/repos/acme/app/pulls/7/merge', rule_id: 'merge-approved', reason: 'allowed_by_approval', approval: { session_id: 's1', approvers: ['a', 'b'] } }),
    decision({ method: 'PUT', path: '/repos/acme/app/pulls/8/merge', effect: 'deny', rule_id: 'merge-approved', reason: 'approval_required' }),
  ]);
  const io = captureIo();
  assert.equal(await rulesCommand(['replay', '--chron', db, '--config', f.config], io, {}), 0);
  assert.match(io.out(), /^NOT REPLAYABLE #1 .*: reads approval session$/m);
  assert.match(io.out(), /2 decision\(s\): 1 replayed, 0 changed, 1 not replayable/);
});

test('rules replay – no --chron, or a database that does not exist → 2', async (t) => {
  const f = rulesFixture(t);
  const none = captureIo();
  assert.equal(await rulesCommand(['replay', '--config', f.config], none, {}), 2);
  assert.match(none.err(), /--chron DB is required/);
  const missing = captureIo();
  assert.equal(await rulesCommand(['replay', '--config', f.config, '--chron', `${f.dir}/none.db`], missing, {}), 2);
  assert.match(missing.err(), /none\.db:0:0: ERR_RULES_CHRON ERR_CHRON_NOT_FOUND/);
});
