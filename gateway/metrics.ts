import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The label values metrics may carry, taken from the loaded config (never from request data).
 * A value outside its set is reported as `other`; a missing value (null / empty) as `none`.
 */
export interface MetricsLabelsConfig {
  /** registered agent ids */
  agents: readonly string[];
  /** configured upstream names */
  upstreams: readonly string[];
  /** rule ids of the loaded policy; only the first `maxRuleLabels` (after de-duplication) get their own label */
  ruleIds: readonly string[];
  /** decision / error reasons (the keys of gateway/reasons.ts REASONS) */
  reasons: readonly string[];
  /** upper bound on distinct `rule` label values; default 200 */
  maxRuleLabels?: number;
}

/** The metric surface the gateway records into. Every method is cheap, synchronous and never throws on bad input. */
export interface GatewayMetrics {
  /** one decision; labels outside the configured sets become 'other' so request data never creates series */
  decision(l: { upstream: string | null; agent: string | null; effect: 'allow' | 'deny'; reason: string; ruleId: string; shadow?: boolean }): void;
  /** gateway time (everything but the upstream) and upstream time, seconds histograms */
  requestDuration(l: { upstream: string | null; gatewayMs: number; upstreamMs?: number }): void;
  /** latency of one durable Chron append (the wait a request sees), milliseconds */
  chronAppend(latencyMs: number): void;
  /** number of entries committed in one group-commit batch */
  chronBatch(size: number): void;
  /** current Chron tree size (number of entries) */
  setChronTreeSize(n: number): void;
  /** seconds since the last signed checkpoint; `fn` is called at each scrape (NaN if it throws or is unset) */
  setCheckpointAgeSource(fn: () => number): void;
  /** one policy (re)load attempt; on success `digest` becomes the only `claiim_policy_info` series */
  policyReload(ok: boolean, digest: string): void;
  /** number of approval sessions currently active */
  setActiveApprovalSessions(n: number): void;
  /** one failed upstream exchange (connect error, reset, timeout) */
  upstreamError(upstream: string, reason: string): void;
  /** one request rejected by a resource limit (429 concurrency, 413 body, 431 headers, …) */
  rejectedByLimit(agent: string | null, reason: string): void;
  /** Prometheus text exposition and its content type, for GET /metrics on the admin listener */
  scrape(): Promise<{ contentType: string; body: string }>;
}

/** Thrown by createMetrics when the labels config is malformed. */
export class MetricsConfigError extends Error {
  readonly code = 'ERR_METRICS_CONFIG' as const;
  constructor(message: string) {
    super(message);
    this.name = 'MetricsConfigError';
  }
}

/** Label value for a value outside its configured set. */
export const OTHER_LABEL = 'other';
/** Label value for an absent value (no agent authenticated yet, no upstream routed, no rule matched). */
export const NONE_LABEL = 'none';

const GATEWAY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const UPSTREAM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const CHRON_APPEND_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

/**
 * Creates the gateway's metrics in a Registry of their own (not prom-client's global one), with the
 * default process / Node.js metrics registered beside them. The only importer of prom-client.
 * Cardinality: every label value passes through a set fixed here, so the series count is bounded by
 * the config (|upstreams|+2 × |agents|+2 × 2 × |reasons|+1 × min(|ruleIds|, maxRuleLabels)+2 × 2 for decisions).
 * @throws MetricsConfigError when a list is not an array of strings or maxRuleLabels is not a positive integer.
 */
export function createMetrics(labels: MetricsLabelsConfig): GatewayMetrics {
  const agent = boundedLabel('agents', labels.agents);
  const upstream = boundedLabel('upstreams', labels.upstreams);
  const reason = boundedLabel('reasons', labels.reasons);
  const maxRules = labels.maxRuleLabels ?? 200;
  if (!Number.isSafeInteger(maxRules) || maxRules < 1) throw new MetricsConfigError('"maxRuleLabels" must be a positive integer');
  const rule = boundedLabel('ruleIds', [...new Set(labels.ruleIds)].slice(0, maxRules));

  const register = new Registry();
  collectDefaultMetrics({ register });

  const decisions = new Counter({
    name: 'claiim_decisions_total', help: 'Decisions by upstream, agent, effect, reason, rule and mode (enforced or shadow).',
    labelNames: ['upstream', 'agent', 'effect', 'reason', 'rule', 'mode'] as const, registers: [register],
  });
  const gatewayTime = new Histogram({
    name: 'claiim_request_gateway_duration_seconds', help: 'Time spent in the gateway per request (everything except the upstream exchange).',
    labelNames: ['upstream'] as const, buckets: GATEWAY_BUCKETS, registers: [register],
  });
  const upstreamTime = new Histogram({
    name: 'claiim_request_upstream_duration_seconds', help: 'Time waiting on the upstream per forwarded request (request sent to response end).',
    labelNames: ['upstream'] as const, buckets: UPSTREAM_BUCKETS, registers: [register],
  });
  const chronAppend = new Histogram({
    name: 'claiim_chron_append_duration_seconds', help: 'Latency of one durable Chron append, as seen by the request.',
    buckets: CHRON_APPEND_BUCKETS, registers: [register],
  });
  const chronBatch = new Histogram({
    name: 'claiim_chron_batch_entries', help: 'Entries committed per Chron group-commit batch.', buckets: BATCH_BUCKETS, registers: [register],
  });
  const treeSize = new Gauge({ name: 'claiim_chron_tree_size_entries', help: 'Current Chron tree size.', registers: [register] });
  let ageSource: (() => number) | undefined;
  new Gauge({
    name: 'claiim_chron_checkpoint_age_seconds', help: 'Seconds since the last signed checkpoint (NaN when unknown).', registers: [register],
    collect() { this.set(readAge(ageSource)); },
  });
  const reloads = new Counter({
    name: 'claiim_policy_reloads_total', help: 'Policy load attempts by result (success or failure).', labelNames: ['result'] as const, registers: [register],
  });
  const policyInfo = new Gauge({
    name: 'claiim_policy_info', help: 'Always 1; the digest label is the running policy digest.', labelNames: ['digest'] as const, registers: [register],
  });
  const sessions = new Gauge({ name: 'claiim_approval_sessions_active', help: 'Approval sessions currently active.', registers: [register] });
  const upstreamErrors = new Counter({
    name: 'claiim_upstream_errors_total', help: 'Failed upstream exchanges by upstream and reason.', labelNames: ['upstream', 'reason'] as const, registers: [register],
  });
  const rejected = new Counter({
    name: 'claiim_rejected_by_limit_total', help: 'Requests rejected by a resource limit, by agent and reason.', labelNames: ['agent', 'reason'] as const, registers: [register],
  });
  // Digests are hex; anything else (or an over-long string) cannot become a label value.
  const digestLabel = (d: string): string => (/^[A-Za-z0-9:_-]{1,128}$/.test(d) ? d : OTHER_LABEL);

  return {
    decision(l) {
      decisions.inc({
        upstream: upstream(l.upstream), agent: agent(l.agent), effect: l.effect === 'allow' ? 'allow' : 'deny',
        reason: reason(l.reason), rule: rule(l.ruleId), mode: l.shadow === true ? 'shadow' : 'enforced',
      });
    },
    requestDuration(l) {
      const u = upstream(l.upstream);
      const g = seconds(l.gatewayMs);
      if (g !== undefined) gatewayTime.observe({ upstream: u }, g);
      const up = l.upstreamMs === undefined ? undefined : seconds(l.upstreamMs);
      if (up !== undefined) upstreamTime.observe({ upstream: u }, up);
    },
    chronAppend(latencyMs) {
      const s = seconds(latencyMs);
      if (s !== undefined) chronAppend.observe(s);
    },
    chronBatch(size) {
      if (Number.isFinite(size) && size >= 0) chronBatch.observe(size);
    },
    setChronTreeSize(n) {
      if (Number.isFinite(n) && n >= 0) treeSize.set(n);
    },
    setCheckpointAgeSource(fn) {
      ageSource = fn;
    },
    policyReload(ok, digest) {
      reloads.inc({ result: ok ? 'success' : 'failure' });
      if (!ok) return;
      policyInfo.reset();
      policyInfo.set({ digest: digestLabel(digest) }, 1);
    },
    setActiveApprovalSessions(n) {
      if (Number.isFinite(n) && n >= 0) sessions.set(n);
    },
    upstreamError(u, r) {
      upstreamErrors.inc({ upstream: upstream(u), reason: reason(r) });
    },
    rejectedByLimit(a, r) {
      rejected.inc({ agent: agent(a), reason: reason(r) });
    },
    async scrape() {
      return { contentType: register.contentType, body: await register.metrics() };
    },
  };
}

/** Maps a value to itself when it is in `allowed`, to 'none' when absent, else to 'other'. */
function boundedLabel(field: string, allowed: readonly string[]): (v: string | null | undefined) => string {
  if (!Array.isArray(allowed) || !allowed.every((x) => typeof x === 'string')) {
    throw new MetricsConfigError(`"${field}" must be an array of strings`);
  }
  const set = new Set(allowed);
  return (v) => (v === null || v === undefined || v === '' ? NONE_LABEL : set.has(v) ? v : OTHER_LABEL);
}

/** Milliseconds → seconds; undefined for NaN, infinities and negatives (a clock step must not poison a histogram). */
function seconds(ms: number): number | undefined {
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : undefined;
}

function readAge(source: (() => number) | undefined): number {
  if (source === undefined) return Number.NaN;
  try {
    const v = source();
    return Number.isFinite(v) ? v : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
