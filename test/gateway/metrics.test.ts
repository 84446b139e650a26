import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createMetrics, type MetricsLabelsConfig } from '../../gateway/metrics.js';

const LABELS: MetricsLabelsConfig = {
  agents: ['code-review-bot', 'deploy-bot'],
  upstreams: ['github', 'stripe'],
  ruleIds: ['gh-read', 'gh-no-delete'],
  reasons: ['allowed_by_rule', 'denied_by_rule', 'no_matching_rule', 'upstream_timeout', 'too_many_requests'],
};

/** Sample lines (not comments) of one metric family, e.g. `claiim_decisions_total{...} 3`. */
function samples(body: string, name: string): string[] {
  return body.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

/** The value of the one sample of `name` whose label block contains every `want` pair. */
function valueOf(body: string, name: string, want: Record<string, string>): number | undefined {
  const pairs = Object.entries(want).map(([k, v]) => `${k}="${v}"`);
  const line = samples(body, name).find((l) => pairs.every((p) => l.includes(p)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('metrics – 1,000 random agent and rule names → decision series stay bounded by config', async () => {
  const m = createMetrics(LABELS);
  for (let i = 0; i < 1000; i++) {
    m.decision({
      upstream: randomBytes(4).toString('hex'), agent: randomBytes(6).toString('hex'), effect: i % 2 === 0 ? 'allow' : 'deny',
      reason: randomBytes(3).toString('hex'), ruleId: randomBytes(5).toString('hex'),
    });
    m.rejectedByLimit(randomBytes(6).toString('hex'), randomBytes(3).toString('hex'));
    m.upstreamError(randomBytes(4).toString('hex'), randomBytes(3).toString('hex'));
    m.requestDuration({ upstream: randomBytes(4).toString('hex'), gatewayMs: 1 });
  }
  const { body } = await m.scrape();
  const decisionSeries = samples(body, 'claiim_decisions_total');
  assert.equal(decisionSeries.length, 2, 'only the two (effect) series of other/other/other/other');
  assert.equal(valueOf(body, 'claiim_decisions_total', { agent: 'other', rule: 'other', effect: 'deny' }), 500);
  assert.equal(samples(body, 'claiim_rejected_by_limit_total').length, 1);
  assert.equal(samples(body, 'claiim_upstream_errors_total').length, 1);
  assert.equal(samples(body, 'claiim_request_gateway_duration_seconds_count').length, 1);
});

test('metrics – maxRuleLabels 1 → second configured rule id is reported as other', async () => {
  const m = createMetrics({ ...LABELS, maxRuleLabels: 1 });
  m.decision({ upstream: 'github', agent: 'deploy-bot', effect: 'deny', reason: 'denied_by_rule', ruleId: 'gh-no-delete' });
  m.decision({ upstream: 'github', agent: 'deploy-bot', effect: 'allow', reason: 'allowed_by_rule', ruleId: 'gh-read' });
  const { body } = await m.scrape();
  assert.equal(valueOf(body, 'claiim_decisions_total', { rule: 'other', effect: 'deny' }), 1);
  assert.equal(valueOf(body, 'claiim_decisions_total', { rule: 'gh-read', effect: 'allow' }), 1);
});

test('metrics – known sequence of calls → values appear in the scrape', async () => {
  const m = createMetrics(LABELS);
  const d = { upstream: 'github', agent: 'code-review-bot', effect: 'allow', reason: 'allowed_by_rule', ruleId: 'gh-read' } as const;
  m.decision(d);
  m.decision(d);
  m.decision({ ...d, effect: 'deny', reason: 'denied_by_rule', ruleId: 'gh-no-delete', shadow: true });
  m.decision({ upstream: null, agent: null, effect: 'deny', reason: 'no_matching_rule', ruleId: '' });
  m.requestDuration({ upstream: 'github', gatewayMs: 2, upstreamMs: 40 });
  m.requestDuration({ upstream: 'github', gatewayMs: 3 });
  m.requestDuration({ upstream: 'github', gatewayMs: Number.NaN, upstreamMs: -5 });
  m.chronAppend(4);
  m.chronBatch(7);
  m.setChronTreeSize(1234);
  m.setCheckpointAgeSource(() => 12.5);
  m.setActiveApprovalSessions(3);
  m.upstreamError('stripe', 'upstream_timeout');
  m.rejectedByLimit('deploy-bot', 'too_many_requests');
  const { body, contentType } = await m.scrape();
  assert.match(contentType, /^text\/plain/);
  assert.equal(valueOf(body, 'claiim_decisions_total', { agent: 'code-review-bot', effect: 'allow', rule: 'gh-read', mode: 'enforced' }), 2);
  assert.equal(valueOf(body, 'claiim_decisions_total', { effect: 'deny', rule: 'gh-no-delete', mode: 'shadow' }), 1);
  assert.equal(valueOf(body, 'claiim_decisions_total', { upstream: 'none', agent: 'none', rule: 'none' }), 1);
  assert.equal(valueOf(body, 'claiim_request_gateway_duration_seconds_count', { upstream: 'github' }), 2);
  assert.equal(valueOf(body, 'claiim_request_gateway_duration_seconds_sum', { upstream: 'github' }), 0.005);
  assert.equal(valueOf(body, 'claiim_request_upstream_duration_seconds_count', { upstream: 'github' }), 1);
  assert.equal(valueOf(body, 'claiim_request_upstream_duration_seconds_bucket', { upstream: 'github', le: '0.025' }), 0);
  assert.equal(valueOf(body, 'claiim_request_upstream_duration_seconds_bucket', { upstream: 'github', le: '0.05' }), 1);
  assert.equal(valueOf(body, 'claiim_chron_append_duration_seconds_sum', {}), 0.004);
  assert.equal(valueOf(body, 'claiim_chron_batch_entries_sum', {}), 7);
  assert.equal(valueOf(body, 'claiim_chron_tree_size_entries', {}), 1234);
  assert.equal(valueOf(body, 'claiim_chron_checkpoint_age_seconds', {}), 12.5);
  assert.equal(valueOf(body, 'claiim_approval_sessions_active', {}), 3);
  assert.equal(valueOf(body, 'claiim_upstream_errors_total', { upstream: 'stripe', reason: 'upstream_timeout' }), 1);
  assert.equal(valueOf(body, 'claiim_rejected_by_limit_total', { agent: 'deploy-bot', reason: 'too_many_requests' }), 1);
  assert.ok(samples(body, 'process_cpu_user_seconds_total').length === 1, 'default process metrics are registered');
});

test('metrics – checkpoint age source throws → NaN, scrape still succeeds', async () => {
  const m = createMetrics(LABELS);
  m.setCheckpointAgeSource(() => { throw new Error('no checkpoint yet'); });
  const { body } = await m.scrape();
  assert.ok(Number.isNaN(valueOf(body, 'claiim_chron_checkpoint_age_seconds', {})));
});

test('metrics – policy reloaded twice, then a failed reload → policy_info keeps only the current digest', async () => {
  const m = createMetrics(LABELS);
  m.policyReload(true, 'aaaa1111');
  m.policyReload(true, 'bbbb2222');
  m.policyReload(false, 'cccc3333');
  const { body } = await m.scrape();
  const info = samples(body, 'claiim_policy_info');
  assert.deepEqual(info, ['claiim_policy_info{digest="bbbb2222"} 1']);
  assert.equal(valueOf(body, 'claiim_policy_reloads_total', { result: 'success' }), 2);
  assert.equal(valueOf(body, 'claiim_policy_reloads_total', { result: 'failure' }), 1);
});

test('metrics – two instances → separate registries, no duplicate-registration error', async () => {
  const a = createMetrics(LABELS);
  const b = createMetrics(LABELS);
  a.setChronTreeSize(5);
  assert.equal(valueOf((await b.scrape()).body, 'claiim_chron_tree_size_entries', {}), 0);
  assert.equal(valueOf((await a.scrape()).body, 'claiim_chron_tree_size_entries', {}), 5);
});

test('createMetrics – maxRuleLabels 0 or agents not an array → ERR_METRICS_CONFIG', () => {
  assert.throws(() => createMetrics({ ...LABELS, maxRuleLabels: 0 }), { code: 'ERR_METRICS_CONFIG' });
  assert.throws(() => createMetrics({ ...LABELS, agents: 'bot' as unknown as string[] }), { code: 'ERR_METRICS_CONFIG' });
});

test('metrics docs – dashboard and operations.md name only exposed claiim_* metrics, and document all of them', async () => {
  const m = createMetrics(LABELS);
  m.decision({ upstream: 'github', agent: 'deploy-bot', effect: 'allow', reason: 'allowed_by_rule', ruleId: 'gh-read' });
  m.policyReload(true, 'abcd');
  m.upstreamError('github', 'upstream_timeout');
  m.rejectedByLimit('deploy-bot', 'too_many_requests');
  m.requestDuration({ upstream: 'github', gatewayMs: 1, upstreamMs: 10 });
  const { body } = await m.scrape();
  const families = new Set([...body.matchAll(/^# TYPE (claiim_\w+) /gm)].map((x) => x[1]));
  const exposed = new Set(body.split('\n').filter((l) => l.startsWith('claiim_')).map((l) => /^\w+/.exec(l)?.[0]));
  const read = (file: string): string => readFileSync(new URL(`../../../docs/${file}`, import.meta.url), 'utf8');
  const dashboard = read('grafana-dashboard.json');
  JSON.parse(dashboard);
  for (const name of new Set(dashboard.match(/claiim_\w+/g))) assert.ok(exposed.has(name), `dashboard uses unknown ${name}`);
  const ops = read('operations.md');
  const documented = new Set([...ops.matchAll(/^\| `(claiim_\w+)` \|/gm)].map((x) => x[1]));
  assert.deepEqual([...documented].sort(), [...families].sort());
});
