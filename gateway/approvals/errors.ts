/**
 * Failures of the approvals module. A request-time refusal of the admin API is an ApprovalError with a
 * stable `code`; the admin routes map each code to its HTTP status through APPROVAL_ERROR_STATUS.
 * Decisions on the agent listener never see these: `grantFor` returns reasons as values.
 */

/** HTTP status of every code (the one table; docs/approvals.md lists them). */
export const APPROVAL_ERROR_STATUS = {
  /** Bad command input: unknown field, wrong type, ttl or max_uses out of range, unknown agent, scope not approvable. */
  ERR_APPROVAL_INVALID: 400,
  /** A bare rule id in "scope" requires approval on more than one upstream of the agent: name it as "upstream/rule-id". */
  ERR_APPROVAL_SCOPE_AMBIGUOUS: 400,
  /** No or an unusable admin token. */
  ERR_APPROVAL_UNAUTHENTICATED: 401,
  /** The caller may not do this: not an admin of the agent's aiorg, or an operator approving / rejecting. */
  ERR_APPROVAL_FORBIDDEN: 403,
  /** The requester tried to approve their own request (two-person rule). */
  ERR_APPROVAL_SELF_APPROVAL: 403,
  /** No session with that id. */
  ERR_APPROVAL_NOT_FOUND: 404,
  /** The session is not in a state that allows this step (approving an active, rejected or expired session; consume after revoke or expiry). */
  ERR_APPROVAL_STATE: 409,
  /** consume: the session's use count ran out between grantFor and consume. */
  ERR_APPROVAL_EXHAUSTED: 409,
  /** The step could not be made durable in Chron; nothing changed. */
  ERR_APPROVAL_UNRECORDED: 503,
  /** The path exists but not for this method. */
  ERR_APPROVAL_METHOD: 405,
  /** A bug; nothing is leaked. */
  ERR_APPROVAL_INTERNAL: 500,
  /** Approvals config is unusable (raised at start only). */
  ERR_APPROVAL_CONFIG: 500,
} as const;

/** The closed set of approval error codes. Callers branch on `code`, never on `message`. */
export type ApprovalErrorCode = keyof typeof APPROVAL_ERROR_STATUS;

/** An approvals failure. Messages name the field or the step, never a token. */
export class ApprovalError extends Error {
  /** Stable machine-readable code. */
  readonly code: ApprovalErrorCode;

  constructor(code: ApprovalErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApprovalError';
    this.code = code;
  }
}

/** True if `err` is an ApprovalError. */
export function isApprovalError(err: unknown): err is ApprovalError {
  return err instanceof ApprovalError;
}
