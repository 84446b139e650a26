import type { LoadedExport, ReportEntry } from './export-reader.js';

/** One denied attempt of an agent, as shown in the report. */
export interface DeniedAttempt { readonly index: number; readonly time: string; readonly method: string; readonly path: string; readonly rule: string; readonly reason: string; readonly status: string }

/** One row of an agent's capability matrix: a kind of call (method + upstream + path pattern) and what became of it. */
export interface Capability { readonly upstream: string; readonly method: string; readonly pattern: string; allowed: number; denied: number; readonly reasons: Set<string> }

/** Everything the report says about one agent (`(unauthenticated)` collects decisions without a verified agent). */
export interface AgentView {
  readonly id: string;
  readonly anchors: Set<string>;
  readonly aiorgs: Set<string>;
  readonly skills: Set<string>;
  allow: number;
  deny: number;
  readonly byRule: Map<string, { allow: number; deny: number }>;
  readonly denied: DeniedAttempt[];
  readonly capabilities: Map<string, Capability>;
  /** Decisions per time bucket (same buckets for every agent). */
  readonly series: { allow: number[]; deny: number[] };
}

/** One approval session rebuilt from its `chron.approval/v1` steps and the decisions that carried its id. */
export interface SessionView {
  readonly id: string;
  agent: string;
  requester: string;
  approvers: string[];
  scope: string[];
  reason: string;
  changeRef: string;
  expiresAt: string;
  readonly steps: { event: string; time: string; actor: string; index: number }[];
  readonly actions: { index: number; time: string; method: string; path: string; effect: string; rule: string; reason: string }[];
}

/** A policy digest and the stretch of the log during which decisions carried it. */
export interface PolicyVersion { readonly digest: string; readonly firstIndex: number; readonly firstTime: string; lastIndex: number; lastTime: string; count: number }

/** The report's whole content, computed from the entries alone. */
export interface ReportModel {
  readonly agents: AgentView[];
  readonly sessions: SessionView[];
  readonly policies: PolicyVersion[];
  /** `chron.policy/v1` entries: every policy load, reload and rejected reload, in log order. */
  readonly policyEvents: { index: number; time: string; event: string; digest: string; previous: string; problems: number }[];
  /** Entry types this report does not interpret, with where they are. */
  readonly otherTypes: { type: string; indices: number[] }[];
  readonly unparseable: number[];
  readonly totals: { entries: number; decisions: number; allow: number; deny: number; outcomes: number; approvals: number };
  readonly bucketStarts: number[];
  readonly bucketMs: number;
}

/**
 * The entries the report's sections are built from: when the export verified, only those a signed
 * checkpoint covers — an uncovered tail could be edited or made up, so it must not feed the summary,
 * the agents, the approval sessions or the policy versions (the entries table still lists it, marked).
 * When verification failed, all of them: every section is then headed UNVERIFIED.
 */
export function modelEntries(loaded: LoadedExport): readonly ReportEntry[] {
  return loaded.verification.ok ? loaded.entries.filter((e) => e.covered) : loaded.entries;
}

/**
 * Builds the report model from entries in log order. Pure: no I/O, no clock. Decision entries
 * (`chron.decision/v1`) feed the agents, capability matrices, policy versions and, when they carry
 * `approval.session_id`, the sessions; `chron.approval/v1` steps build the sessions; `chron.policy/v1`
 * loads are listed; `chron.outcome/v1`
 * entries are counted; every other type is listed by index, never dropped.
 */
export function buildModel(entries: readonly ReportEntry[]): ReportModel {
  const agents = new Map<string, AgentView>();
  const sessions = new Map<string, SessionView>();
  const policies: PolicyVersion[] = [];
  const policyEvents: ReportModel['policyEvents'] = [];
  const other = new Map<string, number[]>();
  const unparseable: number[] = [];
  const totals = { entries: entries.length, decisions: 0, allow: 0, deny: 0, outcomes: 0, approvals: 0 };
  const decisions: { e: ReportEntry; r: Record<string, unknown>; t: number; agent: AgentView }[] = [];

  for (const e of entries) {
    const r = e.record;
    if (r === null) { unparseable.push(e.index); continue; }
    const type = text(r.type);
    if (type === 'chron.decision/v1') {
      const agent = agentView(agents, r.agent === null || r.agent === undefined ? '(unauthenticated)' : text(r.agent));
      const allow = r.effect === 'allow';
      const rule = text(r.rule_id);
      const method = text(r.method);
      const path = pathOf(r);
      const reason = text(r.reason);
      totals.decisions += 1;
      if (allow) { totals.allow += 1; agent.allow += 1; } else { totals.deny += 1; agent.deny += 1; }
      addIf(agent.anchors, r.anchor);
      addIf(agent.aiorgs, r.aiorg);
      addIf(agent.skills, r.skill);
      const byRule = agent.byRule.get(rule) ?? { allow: 0, deny: 0 };
      byRule[allow ? 'allow' : 'deny'] += 1;
      agent.byRule.set(rule, byRule);
      if (!allow) agent.denied.push({ index: e.index, time: text(r.time), method, path, rule, reason, status: r.status === null || r.status === undefined ? '' : text(r.status) });
      const upstream = r.upstream === null || r.upstream === undefined ? '(none)' : text(r.upstream);
      const pattern = patternOf(path);
      const capKey = `${upstream}\u0000${method}\u0000${pattern}`;
      const cap = agent.capabilities.get(capKey) ?? { upstream, method, pattern, allowed: 0, denied: 0, reasons: new Set<string>() };
      if (allow) cap.allowed += 1; else { cap.denied += 1; cap.reasons.add(reason); }
      agent.capabilities.set(capKey, cap);
      trackPolicy(policies, text(r.policy_digest), e.index, text(r.time));
      const approval = r.approval !== null && typeof r.approval === 'object' ? r.approval as Record<string, unknown> : undefined;
      if (approval !== undefined && approval.session_id !== undefined) {
        const s = sessionView(sessions, text(approval.session_id));
        s.actions.push({ index: e.index, time: text(r.time), method, path, effect: allow ? 'ALLOW' : 'DENY', rule, reason });
        if (s.agent === '') s.agent = agent.id;
        if (s.approvers.length === 0 && Array.isArray(approval.approvers)) s.approvers = approval.approvers.map(text);
      }
      decisions.push({ e, r, t: Date.parse(text(r.time)), agent });
    } else if (type === 'chron.approval/v1') {
      totals.approvals += 1;
      applyApprovalStep(sessionView(sessions, text(r.session_id)), r, e.index);
    } else if (type === 'chron.policy/v1') {
      policyEvents.push({ index: e.index, time: text(r.time), event: text(r.event), digest: text(r.policy_digest), previous: r.previous_digest === null ? '' : text(r.previous_digest), problems: Array.isArray(r.problems) ? r.problems.length : 0 });
    } else if (type === 'chron.outcome/v1') {
      totals.outcomes += 1;
    } else {
      other.set(type, [...(other.get(type) ?? []), e.index]);
    }
  }

  const times = decisions.map((d) => d.t).filter(Number.isFinite);
  const min = times.length ? Math.min(...times) : 0;
  const max = times.length ? Math.max(...times) : 0;
  const bucketMs = BUCKETS.find((b) => (max - min) / b < 60) ?? (BUCKETS[BUCKETS.length - 1] as number);
  const first = Math.floor(min / bucketMs) * bucketMs;
  const n = Math.floor((max - first) / bucketMs) + 1;
  const bucketStarts = Array.from({ length: n }, (_, i) => first + i * bucketMs);
  for (const a of agents.values()) { a.series.allow.push(...new Array<number>(n).fill(0)); a.series.deny.push(...new Array<number>(n).fill(0)); }
  for (const d of decisions) {
    if (!Number.isFinite(d.t)) continue;
    const b = Math.floor((d.t - first) / bucketMs);
    const s = d.r.effect === 'allow' ? d.agent.series.allow : d.agent.series.deny;
    s[b] = (s[b] ?? 0) + 1;
  }
  return {
    agents: [...agents.values()].sort((a, b) => a.id.localeCompare(b.id)),
    sessions: [...sessions.values()],
    policies,
    policyEvents,
    otherTypes: [...other.entries()].map(([type, indices]) => ({ type, indices })),
    unparseable, totals, bucketStarts, bucketMs,
  };
}

/** The path shown for a decision: the canonical path, else the raw path, else "". */
export function pathOf(r: Record<string, unknown>): string {
  return typeof r.path === 'string' ? r.path : typeof r.raw_path === 'string' ? r.raw_path : '';
}

/** A capability pattern: numeric segments become {n}, long hex / UUID segments become {id}. */
export function patternOf(path: string): string {
  return path.split('/').map((s) => (/^[0-9]+$/.test(s) ? '{n}' : /^[0-9a-f-]{16,}$/i.test(s) ? '{id}' : s)).join('/');
}

function applyApprovalStep(s: SessionView, r: Record<string, unknown>, index: number): void {
  const event = text(r.event);
  const actor = r.actor === null || r.actor === undefined ? '' : text(r.actor);
  s.steps.push({ event, time: text(r.time), actor, index });
  if (typeof r.agent === 'string') s.agent = r.agent;
  if (event === 'requested') s.requester = actor;
  if (event === 'approved' && actor !== '' && !s.approvers.includes(actor)) s.approvers.push(actor);
  if (Array.isArray(r.approvers) && r.approvers.length > 0) s.approvers = r.approvers.map(text);
  if (Array.isArray(r.scope)) s.scope = r.scope.map(text);
  if (typeof r.reason === 'string') s.reason = r.reason;
  if (typeof r.change_ref === 'string') s.changeRef = r.change_ref;
  if (typeof r.expires_at === 'string') s.expiresAt = r.expires_at;
}

function agentView(map: Map<string, AgentView>, id: string): AgentView {
  let a = map.get(id);
  if (a === undefined) {
    a = { id, anchors: new Set(), aiorgs: new Set(), skills: new Set(), allow: 0, deny: 0, byRule: new Map(), denied: [], capabilities: new Map(), series: { allow: [], deny: [] } };
    map.set(id, a);
  }
  return a;
}

function sessionView(map: Map<string, SessionView>, id: string): SessionView {
  let s = map.get(id);
  if (s === undefined) {
    s = { id, agent: '', requester: '', approvers: [], scope: [], reason: '', changeRef: '', expiresAt: '', steps: [], actions: [] };
    map.set(id, s);
  }
  return s;
}

function trackPolicy(list: PolicyVersion[], digest: string, index: number, time: string): void {
  const last = list[list.length - 1];
  if (last !== undefined && last.digest === digest) { last.lastIndex = index; last.lastTime = time; last.count += 1; return; }
  list.push({ digest, firstIndex: index, firstTime: time, lastIndex: index, lastTime: time, count: 1 });
}

function addIf(set: Set<string>, v: unknown): void {
  if (v !== null && v !== undefined && v !== '') set.add(text(v));
}

/** Any JSON value as display text (strings as they are; everything else as JSON). */
function text(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v);
}

const BUCKETS = [1_000, 10_000, 60_000, 300_000, 900_000, 3_600_000, 21_600_000, 86_400_000, 604_800_000, 2_592_000_000];
