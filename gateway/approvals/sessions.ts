/**
 * Approval sessions as data: the `chron.approval/v1` entry (the source of truth) and the pure reducer
 * that folds those entries into in-memory session state. The same reducer runs for live steps and for
 * the replay at start, so a restarted gateway holds exactly the state its Chron log proves.
 */
import type { ApprovedRules } from '../../rules/index.js';
import { approvedRulesOf } from './scope.js';

/** Lifecycle steps, each one Chron entry (issue 6 item 4). */
export type ApprovalEvent = 'requested' | 'approved' | 'rejected' | 'activated' | 'used' | 'expired' | 'revoked';

/** Stored states. `exhausted` is derived (an active session whose uses reached `max_uses`). */
export type SessionState = 'pending' | 'active' | 'rejected' | 'revoked' | 'expired';

/** Who did a step: a human from an admin token, or the gateway itself (expiry, uses). */
export type ActorRole = 'admin' | 'operator' | 'gateway';

/**
 * One `chron.approval/v1` entry. `id` is `approval/<seq>` where `seq` counts every approval entry of
 * this log from 0 without gaps: replay walks the ids through Chron's record-id index. Never holds a token.
 */
export interface ApprovalEntry {
  readonly type: 'chron.approval/v1';
  readonly id: string;
  readonly seq: number;
  readonly event: ApprovalEvent;
  readonly session_id: string;
  readonly time: string;
  readonly agent: string;
  readonly aiorg: string;
  readonly anchor: string | null;
  readonly actor: string | null;
  readonly actor_role: ActorRole;
  /**
   * requested / activated: the rules the session covers, each `upstream/rule-id` (scope.ts). Entries
   * written before scopes named the upstream hold bare rule ids; the replay resolves them (qualifyLegacyScope).
   */
  readonly scope?: readonly string[];
  /** requested: why (free text), and the change-order reference when given. */
  readonly reason?: string;
  readonly change_ref?: string | null;
  /** requested / activated: the instant the session stops working (ISO 8601, gateway clock). */
  readonly expires_at?: string;
  readonly max_uses?: number | null;
  /** activated / used: the two distinct admins who approved. */
  readonly approvers?: readonly string[];
  /** used: the decision that relied on the session, and the use number (1-based). */
  readonly decision_id?: string;
  readonly use?: number;
  /** rejected / revoked: an optional note. */
  readonly note?: string | null;
}

/** One step in a session's history, with where it sits in Chron. */
export interface SessionStep { readonly event: ApprovalEvent; readonly time: string; readonly actor: string | null; readonly chronIndex: number; readonly decisionId?: string }

/** The in-memory state of one session (mutable only inside this module's reducer). */
export interface Session {
  readonly id: string;
  readonly agent: string;
  readonly aiorg: string;
  readonly anchor: string | null;
  readonly requester: string;
  readonly requesterRole: ActorRole;
  /** The covered rules, each `upstream/rule-id`, as recorded (and shown to approvers). */
  readonly scope: readonly string[];
  /** The same rules as the decision path reads them: upstream → rule ids. */
  readonly rules: ApprovedRules;
  readonly reason: string;
  readonly changeRef: string | null;
  readonly requestedAtMs: number;
  readonly expiresAtMs: number;
  readonly maxUses: number | null;
  approvers: string[];
  state: SessionState;
  uses: number;
  endedBy: string | null;
  readonly steps: SessionStep[];
}

/**
 * Folds one entry into `sessions` (mutating it). A `requested` entry creates a session; any other
 * event for an unknown session is ignored and reported as false (a log this module did not write).
 * `approved` by an approver already counted changes nothing but the history (same admin counts once).
 */
export function applyEntry(sessions: Map<string, Session>, e: ApprovalEntry, chronIndex: number): boolean {
  const step: SessionStep = { event: e.event, time: e.time, actor: e.actor, chronIndex, ...(e.decision_id !== undefined ? { decisionId: e.decision_id } : {}) };
  if (e.event === 'requested') {
    if (sessions.has(e.session_id)) return false;
    const scope = [...(e.scope ?? [])];
    sessions.set(e.session_id, {
      id: e.session_id, agent: e.agent, aiorg: e.aiorg, anchor: e.anchor,
      requester: e.actor ?? '', requesterRole: e.actor_role,
      scope, rules: approvedRulesOf(scope), reason: e.reason ?? '', changeRef: e.change_ref ?? null,
      requestedAtMs: Date.parse(e.time), expiresAtMs: Date.parse(e.expires_at ?? e.time), maxUses: e.max_uses ?? null,
      approvers: [], state: 'pending', uses: 0, endedBy: null, steps: [step],
    });
    return true;
  }
  const s = sessions.get(e.session_id);
  if (s === undefined) return false;
  s.steps.push(step);
  switch (e.event) {
    case 'approved':
      if (e.actor !== null && !s.approvers.includes(e.actor)) s.approvers.push(e.actor);
      break;
    case 'activated':
      s.state = 'active';
      break;
    case 'used':
      s.uses = Math.max(s.uses, e.use ?? s.uses + 1);
      break;
    case 'rejected': case 'revoked': case 'expired':
      s.state = e.event;
      s.endedBy = e.actor;
      break;
  }
  return true;
}

/** The state shown to people: `exhausted` when an active session has no uses left. */
export function visibleState(s: Session): SessionState | 'exhausted' {
  return s.state === 'active' && s.maxUses !== null && s.uses >= s.maxUses ? 'exhausted' : s.state;
}

/** The JSON view of a session served by the admin API and printed by the CLI (snake_case, stable). */
export interface SessionView {
  readonly session_id: string; readonly agent: string; readonly aiorg: string; readonly anchor: string | null;
  readonly state: SessionState | 'exhausted'; readonly scope: readonly string[]; readonly reason: string; readonly change_ref: string | null;
  readonly requester: string; readonly requested_at: string; readonly expires_at: string;
  readonly max_uses: number | null; readonly uses: number; readonly approvers: readonly string[]; readonly ended_by: string | null;
  readonly steps?: readonly { readonly event: ApprovalEvent; readonly time: string; readonly actor: string | null; readonly chron_index: number; readonly decision_id?: string }[];
}

/** Builds the view of `s`; `withSteps` adds every lifecycle step with its Chron index. */
export function sessionView(s: Session, withSteps: boolean): SessionView {
  return {
    session_id: s.id, agent: s.agent, aiorg: s.aiorg, anchor: s.anchor, state: visibleState(s),
    scope: [...s.scope], reason: s.reason, change_ref: s.changeRef,
    requester: s.requester, requested_at: new Date(s.requestedAtMs).toISOString(), expires_at: new Date(s.expiresAtMs).toISOString(),
    max_uses: s.maxUses, uses: s.uses, approvers: [...s.approvers], ended_by: s.endedBy,
    ...(withSteps ? { steps: s.steps.map((st) => ({ event: st.event, time: st.time, actor: st.actor, chron_index: st.chronIndex, ...(st.decisionId ? { decision_id: st.decisionId } : {}) })) } : {}),
  };
}
