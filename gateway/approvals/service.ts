import { randomUUID } from 'node:crypto';
import type { Chron } from '../../chron/index.js';
import type { AdminPrincipal } from '../identity/index.js';
import type { ApprovalsConfig } from './config.js';
import { ApprovalError } from './errors.js';
import type { ApprovedRules } from '../../rules/index.js';
import { qualifyLegacyScope, resolveScope, type ApprovableRules } from './scope.js';
import { applyEntry, visibleState, type ApprovalEntry, type ApprovalEvent, type Session, type SessionState } from './sessions.js';

/**
 * What the decision path gets for a request that named a usable session. `ruleIds` is the session's scope
 * as upstream → rule ids (RequestFacts.approvedRuleIds): it lifts `requires: approval` only for those rules
 * of those upstreams, never for a rule of the same id on another upstream.
 */
export interface SessionGrant { readonly sessionId: string; readonly approvers: readonly [string, string]; readonly ruleIds: ApprovedRules }

/** Why a named session does not help this request (stable reasons, each a 403 DENY). */
export type GrantRefusal = 'approval_session_unknown' | 'approval_session_inactive' | 'approval_session_expired' | 'approval_session_exhausted' | 'approval_session_other_agent';

/** The input of `request` (already shape-checked by the admin routes). `scope` entries: `upstream/rule-id`, or a rule id used on one upstream only. */
export interface SessionRequest { readonly agent: string; readonly scope: readonly string[]; readonly reason: string; readonly changeRef?: string; readonly ttlS?: number; readonly maxUses?: number }

/** An agent as approvals need it: who it is, the aiorg whose admins may open and approve its sessions, its anchor. */
export interface ApprovalAgent { readonly id: string; readonly aiorg: string; readonly anchor?: string }

/** Construction options of the session store. */
export interface SessionStoreOptions {
  readonly config: ApprovalsConfig;
  readonly chron: Chron;
  /**
   * The configured agents, or a function returning the current ones (the gateway passes the live policy's,
   * so a reload that adds an agent or moves it to another aiorg applies to the next request at once).
   */
  readonly agents: readonly ApprovalAgent[] | (() => readonly ApprovalAgent[]);
  /** The allow rules marked `requires: approval` in the agent's policies, by upstream (the only rules a scope may name). */
  readonly rulesRequiringApproval: (agent: string) => ApprovableRules;
  readonly now: () => number;
}

const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The approval sessions of one gateway, with Chron as the source of truth: every step is appended as a
 * `chron.approval/v1` entry and made durable before the in-memory state changes or the caller hears
 * back. Steps run one at a time (a queue), so checks and the entry they lead to never interleave.
 * `load()` replays the log at start. Two-person rule: a session activates when two distinct admins of
 * the agent's aiorg, neither the requester, approved it; one reject ends it; expiry is on the gateway
 * clock and enforced by `grantFor` at decision time (the `expired` entry follows from `expireDue`).
 */
export class SessionStore {
  readonly #o: SessionStoreOptions;
  readonly #sessions = new Map<string, Session>();
  readonly #agents: () => readonly ApprovalAgent[];
  #seq = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #uses: PendingUse[] = [];
  #usesScheduled = false;

  constructor(o: SessionStoreOptions) {
    this.#o = o;
    const agents = o.agents;
    this.#agents = typeof agents === 'function' ? agents : () => agents;
  }

  /** Replays every approval entry (ids `approval/0`, `approval/1`, … through Chron's id index). Returns how many. */
  load(): number {
    for (;;) {
      const index = this.#o.chron.indexOfId(`approval/${this.#seq}`);
      if (index === undefined) return this.#seq;
      const stored = this.#o.chron.entry(index);
      if (stored === undefined) return this.#seq;
      let e = JSON.parse(stored.data.toString('utf8')) as ApprovalEntry;
      // An older `requested` entry names bare rule ids: resolve them to their upstream (ambiguous ones unlock nothing).
      if (e.event === 'requested' && e.scope?.some((x) => !x.includes('/')) === true) e = { ...e, scope: qualifyLegacyScope(e.scope, this.#o.rulesRequiringApproval(e.agent)) };
      applyEntry(this.#sessions, e, index);
      this.#seq++;
    }
  }

  /** The session, or undefined. */
  get(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  /** Every session, oldest request first, optionally filtered. */
  list(filter: { agent?: string; state?: string } = {}): Session[] {
    return [...this.#sessions.values()].filter((s) => (filter.agent === undefined || s.agent === filter.agent) && (filter.state === undefined || visibleState(s) === filter.state));
  }

  /** See Approvals.grantFor. Pure read; never throws. */
  grantFor(agent: string, header: string | undefined, nowMs: number): { ok: true; grant: SessionGrant } | { ok: false; reason: GrantRefusal } | undefined {
    if (header === undefined) return undefined;
    const s = SESSION_ID.test(header) ? this.#sessions.get(header) : undefined;
    if (s === undefined) return { ok: false, reason: 'approval_session_unknown' };
    if (s.agent !== agent) return { ok: false, reason: 'approval_session_other_agent' };
    const refusal = refusalAt(s, nowMs);
    if (refusal !== undefined) return { ok: false, reason: refusal };
    return { ok: true, grant: { sessionId: s.id, approvers: [s.approvers[0] as string, s.approvers[1] as string], ruleIds: s.rules } };
  }

  /** Sessions usable at `nowMs` (active, not expired, uses left). */
  activeCount(nowMs: number): number {
    let n = 0;
    for (const s of this.#sessions.values()) if (refusalAt(s, nowMs) === undefined) n++;
    return n;
  }

  /**
   * Opens a session for `r.agent`, its scope recorded resolved to `upstream/rule-id` (scope.ts).
   * Rejects ERR_APPROVAL_INVALID / SCOPE_AMBIGUOUS / FORBIDDEN / UNRECORDED.
   */
  request(who: AdminPrincipal, r: SessionRequest): Promise<Session> {
    return this.#step(async () => {
      const agent = this.#agents().find((a) => a.id === r.agent);
      if (agent === undefined) throw new ApprovalError('ERR_APPROVAL_INVALID', `"agent": "${r.agent}" is not a registered agent`);
      if (!who.aiorgs.includes(agent.aiorg)) throw new ApprovalError('ERR_APPROVAL_FORBIDDEN', `the caller does not act for aiorg "${agent.aiorg}" of agent "${agent.id}"`);
      const scope = resolveScope(agent.id, r.scope, this.#o.rulesRequiringApproval(agent.id));
      const { maxTtlS, defaultTtlS, maxUses: capUses } = this.#o.config;
      const ttlS = r.ttlS ?? defaultTtlS;
      if (!Number.isSafeInteger(ttlS) || ttlS < 1 || ttlS > maxTtlS) throw new ApprovalError('ERR_APPROVAL_INVALID', `"ttl_s" must be an integer from 1 to ${maxTtlS}`);
      const maxUses = r.maxUses ?? capUses ?? null;
      if (maxUses !== null && (!Number.isSafeInteger(maxUses) || maxUses < 1 || (capUses !== undefined && maxUses > capUses))) throw new ApprovalError('ERR_APPROVAL_INVALID', `"max_uses" must be an integer from 1 to ${capUses ?? 'any'}`);
      const nowMs = this.#o.now();
      const id = randomUUID();
      await this.#append('requested', { id, agent: agent.id, aiorg: agent.aiorg, anchor: agent.anchor ?? null }, who, {
        scope, reason: r.reason, change_ref: r.changeRef ?? null, expires_at: new Date(nowMs + ttlS * 1000).toISOString(), max_uses: maxUses,
      });
      return this.#sessions.get(id) as Session;
    });
  }

  /** Counts `who`'s approval; the second distinct admin activates the session. Same admin twice: no new entry. */
  approve(who: AdminPrincipal, sessionId: string, note?: string): Promise<Session> {
    return this.#step(async () => {
      const s = this.#pendingFor(who, sessionId, 'approve');
      if (who.subject === s.requester) throw new ApprovalError('ERR_APPROVAL_SELF_APPROVAL', 'the requester cannot approve their own session');
      if (s.approvers.includes(who.subject)) return s;
      await this.#append('approved', s, who, { note: note ?? null });
      if (s.approvers.length >= 2) await this.#append('activated', s, null, { scope: s.scope, approvers: s.approvers.slice(0, 2), expires_at: new Date(s.expiresAtMs).toISOString(), max_uses: s.maxUses });
      return s;
    });
  }

  /** Ends a pending session: one reject is enough. */
  reject(who: AdminPrincipal, sessionId: string, note: string | undefined): Promise<Session> {
    return this.#step(async () => {
      const s = this.#pendingFor(who, sessionId, 'reject');
      await this.#append('rejected', s, who, { note: note ?? null });
      return s;
    });
  }

  /** Ends a pending or active session at once. Any admin of the agent's aiorg, or the requester, may revoke. */
  revoke(who: AdminPrincipal, sessionId: string, note: string | undefined): Promise<Session> {
    return this.#step(async () => {
      const s = this.#found(sessionId);
      const mayRevoke = who.subject === s.requester || (who.role === 'admin' && who.aiorgs.includes(s.aiorg));
      if (!mayRevoke) throw new ApprovalError('ERR_APPROVAL_FORBIDDEN', `only an admin of aiorg "${s.aiorg}" or the requester may revoke`);
      if (s.state !== 'pending' && s.state !== 'active') throw new ApprovalError('ERR_APPROVAL_STATE', `session is ${s.state}`);
      await this.#append('revoked', s, who, { note: note ?? null });
      return s;
    });
  }

  /**
   * See Approvals.consume: re-checks the session inside the queue, then appends `used`. Uses that arrive
   * while one group is being recorded form the next group: one queue step, one Chron transaction
   * (appendAll: all `used` entries of the group land, with consecutive `approval/<seq>` ids, or none do),
   * instead of one fsync per use in turn. Each use is checked in arrival order against the uses taken
   * before it, so a group never spends more than `max_uses`. With `decision`, the decision entry follows
   * its `used` entry in the same transaction and its Chron index is returned (both durable or neither).
   */
  consume(sessionId: string, decisionId: string, nowMs: number, decision?: Readonly<Record<string, unknown>>): Promise<{ decisionIndex: number | undefined }> {
    return new Promise((resolve, reject) => {
      this.#uses.push({ sessionId, decisionId, nowMs, decision, resolve, reject });
      this.#scheduleUses();
    });
  }

  /** Queues one step for the waiting uses, unless one is queued already. */
  #scheduleUses(): void {
    if (this.#usesScheduled || this.#uses.length === 0) return;
    this.#usesScheduled = true;
    void this.#step(() => this.#recordUses());
  }

  async #recordUses(): Promise<void> {
    this.#usesScheduled = false;
    const group = this.#uses.splice(0, MAX_USES_PER_GROUP);
    try {
      const taken = new Map<string, number>();
      const accepted: { use: PendingUse; s: Session; entry: ApprovalEntry }[] = [];
      for (const u of group) {
        const s = this.#sessions.get(u.sessionId);
        if (s === undefined) { u.reject(new ApprovalError('ERR_APPROVAL_NOT_FOUND', 'no approval session with that id')); continue; }
        const before = taken.get(s.id) ?? 0;
        const refusal = refusalAt(s, u.nowMs, before);
        if (refusal === 'approval_session_exhausted') { u.reject(new ApprovalError('ERR_APPROVAL_EXHAUSTED', 'the session has no uses left')); continue; }
        if (refusal !== undefined) { u.reject(new ApprovalError('ERR_APPROVAL_STATE', `the session is no longer usable (${refusal})`)); continue; }
        taken.set(s.id, before + 1);
        const entry = this.#entry(this.#seq + accepted.length, 'used', s, null, { decision_id: u.decisionId, use: s.uses + before + 1, approvers: s.approvers.slice(0, 2) });
        accepted.push({ use: u, s, entry });
      }
      if (accepted.length === 0) return;
      // Each `used` entry, followed by the decision entry that relied on it when the caller gave one.
      const records: Record<string, unknown>[] = [];
      for (const a of accepted) {
        records.push(a.entry as unknown as Record<string, unknown>);
        if (a.use.decision !== undefined) records.push(a.use.decision);
      }
      let indices: number[];
      try {
        indices = (await this.#o.chron.appendAll(records)).map((r) => r.index);
      } catch (cause) {
        // One transaction: if the first entry landed (its acknowledgement was lost), all of them did.
        const first = this.#o.chron.indexOfId((accepted[0] as { entry: ApprovalEntry }).entry.id);
        if (first === undefined) {
          const err = new ApprovalError('ERR_APPROVAL_UNRECORDED', 'the "used" step could not be recorded in Chron', { cause });
          for (const a of accepted) a.use.reject(err);
          return;
        }
        indices = records.map((_, i) => first + i);
      }
      let k = 0;
      for (const a of accepted) {
        this.#seq += 1;
        applyEntry(this.#sessions, a.entry, indices[k++] as number);
        a.use.resolve({ decisionIndex: a.use.decision !== undefined ? indices[k++] : undefined });
      }
    } catch (err) {
      // Not expected: settle every use of the group (settled promises ignore this) rather than leave a request hanging.
      for (const u of group) u.reject(new ApprovalError('ERR_APPROVAL_UNRECORDED', 'the "used" step failed', { cause: err }));
    } finally {
      this.#scheduleUses();
    }
  }

  /** Appends `expired` for every pending or active session whose expiry is ≤ `nowMs`. Returns how many. */
  expireDue(nowMs: number): Promise<number> {
    return this.#step(async () => {
      let n = 0;
      for (const s of this.#sessions.values()) {
        if ((s.state === 'pending' || s.state === 'active') && s.expiresAtMs <= nowMs) { await this.#append('expired', s, null, {}); n++; }
      }
      return n;
    });
  }

  /** The earliest expiry of a pending or active session, or undefined. */
  nextExpiryMs(): number | undefined {
    let next: number | undefined;
    for (const s of this.#sessions.values()) if ((s.state === 'pending' || s.state === 'active') && (next === undefined || s.expiresAtMs < next)) next = s.expiresAtMs;
    return next;
  }

  /** Waits for queued steps to finish. */
  async drain(): Promise<void> {
    await this.#queue.catch(() => undefined);
  }

  #found(sessionId: string): Session {
    const s = this.#sessions.get(sessionId);
    if (s === undefined) throw new ApprovalError('ERR_APPROVAL_NOT_FOUND', 'no approval session with that id');
    return s;
  }

  #pendingFor(who: AdminPrincipal, sessionId: string, verb: string): Session {
    const s = this.#found(sessionId);
    if (who.role !== 'admin' || !who.aiorgs.includes(s.aiorg)) throw new ApprovalError('ERR_APPROVAL_FORBIDDEN', `only an admin of aiorg "${s.aiorg}" may ${verb}`);
    if (s.state !== 'pending') throw new ApprovalError('ERR_APPROVAL_STATE', `session is ${s.state}, not pending`);
    if (s.expiresAtMs <= this.#o.now()) throw new ApprovalError('ERR_APPROVAL_STATE', 'session expired before it was approved');
    return s;
  }

  #step<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** The `chron.approval/v1` entry of step `seq`. */
  #entry(seq: number, event: ApprovalEvent, s: { id: string; agent: string; aiorg: string; anchor: string | null }, who: AdminPrincipal | null, extra: Partial<ApprovalEntry>): ApprovalEntry {
    return {
      type: 'chron.approval/v1', id: `approval/${seq}`, seq, event, session_id: s.id, time: new Date(this.#o.now()).toISOString(),
      agent: s.agent, aiorg: s.aiorg, anchor: s.anchor, actor: who?.subject ?? null, actor_role: who?.role ?? 'gateway', ...extra,
    };
  }

  /** Appends one entry, durable, then folds it into the state. A failed append changes nothing (unless it landed). */
  async #append(event: ApprovalEvent, s: { id: string; agent: string; aiorg: string; anchor: string | null }, who: AdminPrincipal | null, extra: Partial<ApprovalEntry>): Promise<void> {
    const seq = this.#seq;
    const entry = this.#entry(seq, event, s, who, extra);
    let index: number | undefined;
    try {
      index = (await this.#o.chron.append(entry as unknown as Record<string, unknown>)).index;
    } catch (cause) {
      // An append whose acknowledgement was lost may still have landed; the log decides.
      index = this.#o.chron.indexOfId(entry.id);
      if (index === undefined) throw new ApprovalError('ERR_APPROVAL_UNRECORDED', `the "${event}" step could not be recorded in Chron`, { cause });
    }
    this.#seq = seq + 1;
    applyEntry(this.#sessions, entry, index);
  }
}

/** A use waiting for its group (SessionStore.consume). */
interface PendingUse {
  sessionId: string; decisionId: string; nowMs: number; decision: Readonly<Record<string, unknown>> | undefined;
  resolve: (r: { decisionIndex: number | undefined }) => void; reject: (e: ApprovalError) => void;
}

/** Most uses recorded in one Chron transaction (each a `used` entry, and its decision entry when given: ≤ 2,048 entries). */
const MAX_USES_PER_GROUP = 1024;

/** Why `s` cannot be used at `nowMs` after `extraUses` more uses than it has recorded, or undefined. */
function refusalAt(s: Session, nowMs: number, extraUses = 0): GrantRefusal | undefined {
  const state: SessionState = s.state;
  if (state === 'expired' || ((state === 'pending' || state === 'active') && nowMs >= s.expiresAtMs)) return 'approval_session_expired';
  if (state !== 'active' || s.approvers.length < 2) return 'approval_session_inactive';
  if (s.maxUses !== null && s.uses + extraUses >= s.maxUses) return 'approval_session_exhausted';
  return undefined;
}
