import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { leafHash } from '../../chron/index.js';
import { StoreReader } from '../../chron/store-reader.js';
import { chronCommand } from '../../chron/index.js';
import { decisionToOcsf, formatOcsfLine } from '../../chron/ocsf.js';
import { captureIo, openLog, ORIGIN, scratch } from './helpers.js';

/**
 * Required attributes of OCSF 1.3.0 API Activity (class 6003): the base event's required set plus the
 * class's own (actor, api, src_endpoint), and the required attributes of the objects used
 * (metadata.product, metadata.version, api.operation). `security_control` profile: action_id, disposition_id.
 */
const REQUIRED = ['activity_id', 'category_uid', 'class_uid', 'severity_id', 'time', 'type_uid', 'metadata.version', 'metadata.product.vendor_name', 'actor', 'api.operation', 'src_endpoint', 'action_id', 'disposition_id'];

const get = (o: unknown, path: string): unknown => path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);

const decision = (over: Record<string, unknown>): Record<string, unknown> => ({
  type: 'chron.decision/v1', decision_id: 'd-1', request_id: 'r-1', time: '2026-01-01T00:00:01.000Z', agent: 'a1', aiorg: 'engineering', anchor: 'eng-lead@acme.example',
  skill: 'code-review@1.4.2', upstream: 'github', method: 'GET', path: '/repos/acme/app/pulls/7', effect: 'allow', rule_id: 'gh-read', reason: 'allowed_by_rule',
  detail: null, status: null, policy_digest: 'p1', body_sha256: null, shadow: [], approval: null, ...over,
});

test('chron export --format ocsf – decisions of a real log → one valid API Activity event each, traceable to index and leaf hash', async (t) => {
  const s = await scratch(t);
  const log = await openLog(t, s);
  const records = [
    decision({}),
    { type: 'chron.outcome/v1', decision_id: 'd-1', request_id: 'r-1', time: '2026-01-01T00:00:01.050Z', upstream: 'github', status: 200, reason: null, upstream_ms: 12, total_ms: 20 },
    decision({ decision_id: 'd-2', method: 'PUT', path: '/repos/acme/app/pulls/7/merge', effect: 'deny', rule_id: 'gh-no-merge', reason: 'denied_by_rule', status: 403 }),
    { type: 'chron.policy/v1', event: 'loaded', time: '2026-01-01T00:00:02.000Z', policy_digest: 'p1', previous_digest: null, changed: true },
    decision({ decision_id: 'd-3', agent: null, aiorg: null, anchor: null, skill: null, upstream: null, method: 'DELETE', path: '/x\u2028y', effect: 'deny', rule_id: 'pre_policy', reason: 'missing_token', status: 401 }),
  ];
  for (const r of records) await log.append(r);
  await log.close();
  const out = join(s.dir, 'events.ocsf.jsonl');
  const io = captureIo();
  assert.equal(await chronCommand(['export', '--db', s.db, '--format', 'ocsf', '--out', out], io), 0, io.err());
  const text = readFileSync(out, 'utf8');
  assert.equal(text.includes('\u2028'), false, 'U+2028 is escaped in the JSONL');
  const events = text.split('\n').slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(events.length, 3, 'decisions only');
  const store = new StoreReader(s.db);
  t.after(() => store.close());
  for (const ev of events) {
    for (const field of REQUIRED) assert.notEqual(get(ev, field), undefined, `missing required ${field}`);
    assert.equal(ev.class_uid, 6003);
    assert.equal(ev.category_uid, 6);
    assert.equal(ev.type_uid, 600300 + (ev.activity_id as number));
    const chron = get(ev, 'unmapped.chron') as { origin: string; index: number; leaf_hash: string };
    assert.equal(chron.origin, ORIGIN);
    assert.equal(get(ev, 'metadata.sequence'), chron.index);
    const stored = store.entry(chron.index);
    assert.ok(stored);
    assert.equal(chron.leaf_hash, leafHash(stored.data).toString('hex'), 'the leaf hash is that of the exact stored bytes');
    assert.equal(get(ev, 'metadata.uid'), (JSON.parse(stored.data.toString('utf8')) as { decision_id: string }).decision_id);
  }
  const [allow, deny, anon] = events;
  assert.deepEqual([allow?.activity_id, allow?.action_id, allow?.disposition_id, allow?.status_id, get(allow, 'http_response.code')], [2, 1, 1, 1, 200]);
  assert.deepEqual([deny?.activity_id, deny?.action_id, deny?.disposition_id, deny?.status_id, deny?.severity_id, deny?.status_detail], [3, 2, 2, 2, 3, 'denied_by_rule']);
  assert.deepEqual([anon?.activity_id, get(anon, 'actor.user.uid'), get(anon, 'api.service.name'), get(anon, 'http_request.url.path')], [4, 'unauthenticated', 'unrouted', '/x\u2028y']);
});

test('chron export --format ocsf – "-" → JSONL on stdout; unknown format → exit 2', async (t) => {
  const s = await scratch(t);
  const log = await openLog(t, s);
  await log.append(decision({}));
  await log.append(decision({ decision_id: 'd-2' }));
  await log.close();
  const io = captureIo();
  assert.equal(await chronCommand(['export', '--db', s.db, '--format', 'ocsf', '--out', '-'], io), 0);
  assert.deepEqual(io.out().split('\n').slice(0, -1).map((l) => (JSON.parse(l) as { metadata: { uid: string } }).metadata.uid), ['d-1', 'd-2']);
  const bad = captureIo();
  assert.equal(await chronCommand(['export', '--db', s.db, '--format', 'cef', '--out', '-'], bad), 2);
  assert.match(bad.err(), /ERR_CHRON_USAGE/);
});

test('decisionToOcsf – unknown method and unparseable time → activity Other (99), time 0, still every required field', () => {
  const ev = decisionToOcsf(decision({ method: 'PROPFIND', time: 'not a time' }), { origin: 'o', index: 5, leafHash: Buffer.alloc(32, 1) });
  assert.deepEqual([ev.activity_id, ev.type_uid, ev.time], [99, 600399, 0]);
  for (const field of REQUIRED) assert.notEqual(get(ev, field), undefined, `missing required ${field}`);
  assert.equal(formatOcsfLine(ev).endsWith('}\n'), true);
});
