/**
 * gateway/approvals: two-person approval sessions (issue 6 items 4–6, docs/approvals.md).
 * The composition root builds one `Approvals` with createApprovals, mounts `adminRoutes()` on the
 * admin listener, and on the agent listener asks `grantFor` before evaluating and `consume` after an
 * ALLOW that relied on the session. Nothing here is reachable on the agent listener.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Chron } from '../../chron/index.js';
import { createAdminTokenVerifier } from '../identity/index.js';
import { approvalAdminRoutes } from './admin-routes.js';
import type { ApprovalsConfig } from './config.js';
import type { AdminPrincipal } from '../identity/index.js';
import type { ApprovableRules } from './scope.js';
import { SessionStore, type ApprovalAgent, type GrantRefusal, type SessionGrant, type SessionRequest } from './service.js';
import { sessionView, type SessionView } from './sessions.js';

export { approvalsConfigSchema, approvalsConfigFromRaw, APPROVALS_DEFAULTS, type ApprovalsConfig } from './config.js';
export { ApprovalError, APPROVAL_ERROR_STATUS, isApprovalError, type ApprovalErrorCode } from './errors.js';
export { approvalsCommand, APPROVALS_HELP } from './cli.js';
export { APPROVAL_SESSION_HEADER } from './admin-routes.js';
export type { ApprovalAgent, SessionGrant, GrantRefusal, SessionRequest } from './service.js';
export { approvableRules, type ApprovableRules, type ApprovalPolicy } from './scope.js';
export type { ApprovalEntry, ApprovalEvent, SessionState, SessionView } from './sessions.js';

/** The approvals module as the gateway sees it. */
export interface Approvals {
  /**
   * The grant for `agent` named by the request's `x-claiim-approval-session` value, or why not
   * (unknown / inactive: pending, rejected or revoked / expired / exhausted / other agent);
   * undefined when the request named no session. Pure read; never throws.
   */
  grantFor(agent: string, sessionHeader: string | undefined, nowMs: number): { ok: true; grant: SessionGrant } | { ok: false; reason: GrantRefusal } | undefined;
  /**
   * Counts one use of the session by a decision that relied on it (call only when the decision is
   * ALLOW via approval); appends the durable `used` entry. With `decision` (the decision entry), that
   * entry is appended right after `used`, in the same Chron transaction, and its index is returned:
   * both are durable or neither is. Rejects with ApprovalError ERR_APPROVAL_EXHAUSTED (uses ran out
   * meanwhile), ERR_APPROVAL_STATE (revoked or expired meanwhile) or ERR_APPROVAL_UNRECORDED (Chron
   * down): the caller must then not forward.
   */
  consume(sessionId: string, decisionId: string, nowMs: number, decision?: Readonly<Record<string, unknown>>): Promise<{ decisionIndex: number | undefined }>;
  /** Sessions usable at `nowMs` (for a gauge). */
  activeCount(nowMs: number): number;
  /** Admin API handler (`/approvals…`) for the admin listener; returns true if it handled the request. */
  adminRoutes(): (req: IncomingMessage, res: ServerResponse, url: URL) => boolean;
  /**
   * The lifecycle commands behind the admin API (for in-process callers and tests; `who` must come
   * from a verified admin token). Each resolves after its Chron entries are durable, with the session's
   * view; rejects with ApprovalError (ERR_APPROVAL_INVALID / FORBIDDEN / SELF_APPROVAL / NOT_FOUND /
   * STATE / UNRECORDED). `approve` by an admin already counted is a no-op (same admin counts once).
   */
  request(who: AdminPrincipal, r: SessionRequest): Promise<SessionView>;
  approve(who: AdminPrincipal, sessionId: string, note?: string): Promise<SessionView>;
  reject(who: AdminPrincipal, sessionId: string, note?: string): Promise<SessionView>;
  revoke(who: AdminPrincipal, sessionId: string, note?: string): Promise<SessionView>;
  /** One session with its steps, or undefined. */
  show(sessionId: string): SessionView | undefined;
  /** Every session (oldest first), optionally by agent and visible state. */
  list(filter?: { agent?: string; state?: string }): SessionView[];
  /** Appends `expired` for sessions past their expiry now (also runs on a timer); resolves to how many. */
  expireDue(nowMs: number): Promise<number>;
  /** Stops the expiry timer. Queued steps still finish; call before closing Chron. */
  close(): void;
}

/** How often, at most, the expiry timer sleeps before looking again (ms). */
const SWEEP_MAX_MS = 60_000;

/**
 * Builds the approvals module: reads the admin-issuer keys (throws IdentityError on a bad key file or
 * algorithm), replays every `chron.approval/v1` entry of `chron` so a restart loses nothing, writes
 * `expired` for sessions that ran out while the gateway was down, and arms the expiry timer.
 * Preconditions: `config` came from approvalsConfigFromRaw; `chron` is writable and stays open until
 * after close(); `agents` are the configured agents (id, aiorg, anchor), or a function returning the
 * current ones (read at every session request, so a policy reload applies at once);
 * `rulesRequiringApproval` gives an agent's approval-requiring rules by upstream (approvableRules), read
 * at every session request and, at start, to resolve the bare rule ids of older Chron entries.
 */
export async function createApprovals(opts: {
  config: ApprovalsConfig;
  chron: Chron;
  agents: readonly ApprovalAgent[] | (() => readonly ApprovalAgent[]);
  rulesRequiringApproval: (agent: string) => ApprovableRules;
  now: () => number;
}): Promise<Approvals> {
  const verifier = createAdminTokenVerifier(opts.config.admins);
  const store = new SessionStore(opts);
  store.load();
  await store.expireDue(opts.now());
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const arm = (): void => {
    if (closed) return;
    const next = store.nextExpiryMs();
    const delay = next === undefined ? SWEEP_MAX_MS : Math.min(SWEEP_MAX_MS, Math.max(0, next - opts.now()) + 5);
    timer = setTimeout(() => { void store.expireDue(opts.now()).catch(() => undefined).finally(arm); }, delay);
    timer.unref();
  };
  arm();
  const routes = approvalAdminRoutes(store, verifier, opts.now);
  return {
    grantFor: (agent, header, nowMs) => store.grantFor(agent, header, nowMs),
    consume: (sessionId, decisionId, nowMs, decision) => store.consume(sessionId, decisionId, nowMs, decision),
    activeCount: (nowMs) => store.activeCount(nowMs),
    adminRoutes: () => routes,
    expireDue: (nowMs) => store.expireDue(nowMs),
    request: async (who, r) => sessionView(await store.request(who, r), true),
    approve: async (who, id, note) => sessionView(await store.approve(who, id, note), true),
    reject: async (who, id, note) => sessionView(await store.reject(who, id, note), true),
    revoke: async (who, id, note) => sessionView(await store.revoke(who, id, note), true),
    show: (id) => { const s = store.get(id); return s === undefined ? undefined : sessionView(s, true); },
    list: (filter) => store.list(filter).map((s) => sessionView(s, false)),
    close: () => { closed = true; if (timer !== undefined) clearTimeout(timer); },
  };
}
