import { createHash, randomUUID } from 'node:crypto';

/** Longest raw text (method, raw path) copied into an entry; longer text is cut and its SHA-256 kept (CASES.md L01). */
const MAX_TEXT = 512;

/**
 * The `chron.decision/v1` entry: one per request, appended and made durable before the request is answered
 * or forwarded. Field names are snake_case and stable; `null` means "not known at this stage". Never holds
 * the token, the injected credential, header values or body bytes (only a body digest).
 */
export type DecisionEntry = {
  readonly type: 'chron.decision/v1';
  readonly decision_id: string;
  readonly request_id: string;
  readonly time: string;
  readonly agent: string | null;
  readonly aiorg: string | null;
  readonly anchor: string | null;
  readonly skill: string | null;
  readonly upstream: string | null;
  readonly method: string;
  readonly path: string | null;
  readonly raw_path: string | null;
  readonly raw_path_sha256: string | null;
  readonly query_sha256: string | null;
  readonly effect: 'allow' | 'deny';
  readonly rule_id: string;
  readonly reason: string;
  readonly detail: string | null;
  /** The status the gateway answered for a DENY; null for an ALLOW (its outcome entry has the upstream's). */
  readonly status: number | null;
  readonly policy_digest: string;
  readonly body_sha256: string | null;
  readonly shadow: readonly { readonly rule_id: string; readonly effect: string }[];
  /** The approval session the decision relied on (its id and both approvers), else null. */
  readonly approval: { readonly session_id: string; readonly approvers: readonly string[] } | null;
};

/** The `chron.outcome/v1` entry: what happened after an ALLOW was forwarded. */
export type OutcomeEntry = {
  readonly type: 'chron.outcome/v1';
  readonly decision_id: string;
  readonly request_id: string;
  readonly time: string;
  readonly upstream: string;
  readonly status: number;
  readonly reason: string | null;
  readonly upstream_ms: number;
  readonly total_ms: number;
};

/**
 * A new `decision_id` / `request_id`: an RFC 9562 UUIDv7 — 48-bit Unix-ms timestamp, version 7, then the
 * 74 random bits of a v4 UUID from node:crypto (whose entropy is cached; the `uuid` package's v7 asks the
 * OS for 16 bytes on every call, which showed in the CPU profile). Time-ordered ids keep Chron's
 * `record_id` index append-only: random v4 ids scattered every insert across the whole index and made it
 * the largest cost of a commit (bench/README.md, "Chron").
 */
export function newId(): string {
  const ts = Date.now().toString(16).padStart(12, '0');
  // randomUUID(): xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx; keep everything after the version nibble (variant bits included).
  return `${ts.slice(0, 8)}-${ts.slice(8, 12)}-7${randomUUID().slice(15)}`;
}

/** SHA-256 hex of text or bytes. */
export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Raw request text as it may be stored: cut at MAX_TEXT characters, with the hash of the whole when cut. */
export function boundedText(raw: string): { text: string; sha256: string | null } {
  return raw.length <= MAX_TEXT ? { text: raw, sha256: null } : { text: raw.slice(0, MAX_TEXT), sha256: sha256(raw) };
}

/** The path part of a raw request-target (the query may carry secrets such as `access_token`, so it is only hashed). */
export function rawPathOf(target: string): { path: string; query: string | null } {
  const q = target.indexOf('?');
  return q === -1 ? { path: target, query: null } : { path: target.slice(0, q), query: target.slice(q + 1) };
}
