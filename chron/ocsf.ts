import { toHex } from './merkle-hash.js';

/**
 * OCSF (Open Cybersecurity Schema Framework) export of Chron decision entries, for SIEM ingestion.
 * Each `chron.decision/v1` entry becomes one API Activity event (class_uid 6003, category 6
 * "Application Activity", schema 1.3.0) with the `security_control` profile, whose
 * `action`/`disposition` say ALLOW or DENY. Why this class and not Authorize Session: docs/ocsf.md.
 *
 * Traceability: `metadata.sequence` is the Chron index and `unmapped.chron` holds the origin, the
 * index and the RFC 6962 leaf hash of the exact entry bytes, so a SIEM record leads back to
 * `claiim chron prove --index N` and verifies against a signed checkpoint.
 *
 * `chron/` never imports `gateway/`: entries are read as plain JSON, field by field, and a field
 * of the wrong type is left out rather than guessed.
 */

/** OCSF schema version the events claim (metadata.version). */
export const OCSF_VERSION = '1.3.0';
/** API Activity. */
export const OCSF_CLASS_UID = 6003;
/** Application Activity. */
export const OCSF_CATEGORY_UID = 6;

/** The outcome of a forwarded ALLOW (from its `chron.outcome/v1` entry), joined by decision id. */
export interface OcsfOutcome { readonly status: number; readonly upstreamMs: number | null }

/** Where an entry sits in the log: what makes the event provable. */
export interface ChronPosition { readonly origin: string; readonly index: number; readonly leafHash: Uint8Array }

/** One OCSF event: a plain JSON object (serialised with `formatOcsfLine`). */
export type OcsfEvent = Record<string, unknown>;

/** True when the parsed entry is a decision entry that `decisionToOcsf` maps. */
export function isDecisionRecord(record: unknown): record is Record<string, unknown> {
  return typeof record === 'object' && record !== null && !Array.isArray(record) && (record as Record<string, unknown>).type === 'chron.decision/v1';
}

/**
 * Maps one decision entry to an OCSF 1.3.0 API Activity event. Preconditions: `isDecisionRecord(record)`.
 * activity_id comes from the HTTP method (POST → Create 1, GET/HEAD → Read 2, PUT/PATCH → Update 3,
 * DELETE → Delete 4, anything else → Other 99); type_uid = 600300 + activity_id. ALLOW → action
 * Allowed (1), disposition Allowed (1), status Success (1), severity Informational (1); DENY → action
 * Denied (2), disposition Blocked (2), status Failure (2) with the reason as status_detail, severity
 * Medium (3) when a rule or the aiorg boundary denied, Low (2) for pre-policy refusals.
 */
export function decisionToOcsf(record: Record<string, unknown>, pos: ChronPosition, outcome?: OcsfOutcome): OcsfEvent {
  const str = (k: string): string | undefined => (typeof record[k] === 'string' ? (record[k] as string) : undefined);
  const num = (k: string): number | undefined => (typeof record[k] === 'number' ? (record[k] as number) : undefined);
  const method = str('method') ?? '';
  const path = str('path') ?? str('raw_path') ?? '';
  const allow = record.effect === 'allow';
  const reason = str('reason') ?? 'unknown';
  const ruleId = str('rule_id') ?? 'unknown';
  const agent = str('agent');
  const activityId = activityOf(method);
  const timeText = str('time');
  const timeMs = timeText === undefined ? NaN : Date.parse(timeText);
  const severityId = allow ? 1 : RULE_DENIALS.has(reason) ? 3 : 2;
  const approval = typeof record.approval === 'object' && record.approval !== null ? record.approval as Record<string, unknown> : undefined;
  const status = allow ? outcome?.status : num('status');

  const event: OcsfEvent = {
    class_uid: OCSF_CLASS_UID, class_name: 'API Activity', category_uid: OCSF_CATEGORY_UID, category_name: 'Application Activity',
    activity_id: activityId, activity_name: ACTIVITY_NAMES[activityId], type_uid: OCSF_CLASS_UID * 100 + activityId,
    type_name: `API Activity: ${ACTIVITY_NAMES[activityId]}`,
    time: Number.isFinite(timeMs) ? timeMs : 0,
    severity_id: severityId, severity: SEVERITY_NAMES[severityId],
    status_id: allow ? 1 : 2, status: allow ? 'Success' : 'Failure', ...(allow ? {} : { status_detail: reason }),
    action_id: allow ? 1 : 2, action: allow ? 'Allowed' : 'Denied',
    disposition_id: allow ? 1 : 2, disposition: allow ? 'Allowed' : 'Blocked',
    message: `${allow ? 'ALLOW' : 'DENY'} ${method || '(no method)'} ${path || '(no path)'} by ${agent ?? '(unauthenticated)'}: ${ruleId} / ${reason}`,
    metadata: {
      version: OCSF_VERSION,
      product: { name: 'CLAIIM', vendor_name: 'CLAIIM', feature: { name: 'policy gateway' } },
      profiles: ['security_control'],
      log_name: pos.origin, log_provider: 'chron',
      sequence: pos.index,
      ...(str('decision_id') ?? str('id') ? { uid: str('decision_id') ?? str('id') } : {}),
      ...(str('request_id') ? { correlation_uid: str('request_id') } : {}),
      ...(timeText !== undefined ? { original_time: timeText } : {}),
    },
    actor: {
      user: {
        uid: agent ?? 'unauthenticated', name: agent ?? 'unauthenticated', type_id: 99, type: 'AI agent',
        ...(str('aiorg') ? { org: { uid: str('aiorg'), name: str('aiorg') } } : {}),
      },
      ...(str('skill') ? { app_name: str('skill') } : {}),
      authorizations: [{ decision: allow ? 'allow' : 'deny', policy: { uid: ruleId, name: ruleId, ...(str('policy_digest') ? { version: str('policy_digest') } : {}) } }],
    },
    api: {
      operation: `${method} ${path}`.trim() || 'unknown',
      service: { name: str('upstream') ?? 'unrouted' },
      ...(str('request_id') ? { request: { uid: str('request_id') } } : {}),
      ...(status !== undefined ? { response: { code: status, ...(allow ? {} : { error: reason }) } } : {}),
    },
    // Chron entries hold no client address (by design); the source is named by the agent identity.
    src_endpoint: { name: agent ?? 'unauthenticated' },
    ...(str('upstream') ? { dst_endpoint: { svc_name: str('upstream') } } : {}),
    http_request: { http_method: method, url: { path } },
    ...(status !== undefined ? { http_response: { code: status } } : {}),
    unmapped: {
      chron: { origin: pos.origin, index: pos.index, leaf_hash: toHex(pos.leafHash) },
      reason, rule_id: ruleId,
      ...(str('anchor') ? { anchor: str('anchor') } : {}),
      ...(str('detail') ? { detail: str('detail') } : {}),
      ...(str('body_sha256') ? { body_sha256: str('body_sha256') } : {}),
      ...(approval ? { approval } : {}),
      ...(Array.isArray(record.shadow) && record.shadow.length > 0 ? { shadow: record.shadow } : {}),
      ...(outcome?.upstreamMs != null ? { upstream_ms: outcome.upstreamMs } : {}),
    },
  };
  return event;
}

/**
 * Serialises one event as a JSONL line ("\n"-terminated). U+2028/U+2029 are escaped as well, so
 * no consumer that splits on Unicode line separators can be made to break a record in two.
 */
export function formatOcsfLine(event: OcsfEvent): string {
  return `${JSON.stringify(event).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')}\n`;
}

/** The outcome an `chron.outcome/v1` record carries, keyed by its decision id; undefined for other records. */
export function outcomeOf(record: unknown): { decisionId: string; outcome: OcsfOutcome } | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const r = record as Record<string, unknown>;
  if (r.type !== 'chron.outcome/v1' || typeof r.decision_id !== 'string' || typeof r.status !== 'number') return undefined;
  return { decisionId: r.decision_id, outcome: { status: r.status, upstreamMs: typeof r.upstream_ms === 'number' ? r.upstream_ms : null } };
}

function activityOf(method: string): 1 | 2 | 3 | 4 | 99 {
  switch (method.toUpperCase()) {
    case 'POST': return 1;
    case 'GET': case 'HEAD': return 2;
    case 'PUT': case 'PATCH': return 3;
    case 'DELETE': return 4;
    default: return 99;
  }
}

const ACTIVITY_NAMES: Record<number, string> = { 1: 'Create', 2: 'Read', 3: 'Update', 4: 'Delete', 99: 'Other' };
const SEVERITY_NAMES: Record<number, string> = { 1: 'Informational', 2: 'Low', 3: 'Medium' };
const RULE_DENIALS = new Set(['denied_by_rule', 'aiorg_boundary', 'no_matching_rule', 'approval_required']);
