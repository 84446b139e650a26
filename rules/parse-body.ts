/**
 * parseBody: the one strict parse of a request body that rules read (docs/rules.md "Bodies").
 * Pure, no I/O: the gateway reads the whole body (up to its limit, after refusing any
 * Content-Encoding it does not inflate) and hands the bytes here, then forwards those same bytes.
 */
import { graphqlFromJson, type GraphqlReject } from './graphql-facts.js';
import { parseForm, type FormReject } from './form-parse.js';
import { parseJson, type JsonReject } from './json-parse.js';
import type { BodyFacts, BodyKind } from './types.js';

/** Stable reasons for a refused body. `body_unsupported_media_type` / `_charset` suit a 415; the rest a 400. */
export type BodyRejectReason = JsonReject | FormReject | GraphqlReject
  | 'body_bom' | 'body_invalid_utf8' | 'body_unsupported_media_type' | 'body_unsupported_charset';

/** Every BodyRejectReason, for the gateway's status table and the docs test. */
export const BODY_REJECT_REASONS: readonly BodyRejectReason[] = Object.freeze([
  'body_invalid_json', 'body_duplicate_key', 'body_too_deep', 'body_invalid_form', 'body_method_override',
  'body_bom', 'body_invalid_utf8', 'body_unsupported_media_type', 'body_unsupported_charset',
  'graphql_missing_query', 'graphql_mutation_via_get', 'graphql_duplicate_parameter', 'graphql_invalid',
  'graphql_operation_ambiguous', 'graphql_unknown_operation', 'graphql_persisted_query_unknown', 'graphql_persisted_query_mismatch',
] as const);

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Media type (lower case, no parameters) and charset parameter of a Content-Type value. */
function mediaType(contentType: string): { type: string; charset: string | undefined } {
  const [type = '', ...params] = contentType.split(';').map((s) => s.trim());
  let charset: string | undefined;
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq > 0 && p.slice(0, eq).trim().toLowerCase() === 'charset') {
      // Two charsets: which one the upstream reads is anybody's guess, so neither is accepted.
      charset = charset === undefined ? p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase() : 'ambiguous';
    }
  }
  return { type: type.toLowerCase(), charset };
}

function acceptsType(kind: BodyKind, type: string): boolean {
  if (kind === 'form') return type === 'application/x-www-form-urlencoded';
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/**
 * Parse `bytes` as `kind`. An empty body is valid for every kind and yields `value: undefined`
 * (every field "missing"). Otherwise the Content-Type must fit the kind (JSON and GraphQL:
 * `application/json` or `application/*+json`; form: `application/x-www-form-urlencoded`), a charset
 * if given must be UTF-8, and the bytes must be UTF-8 without a BOM. Never throws.
 */
export function parseBody(kind: BodyKind, bytes: Uint8Array, contentType: string | undefined): { ok: true; body: BodyFacts } | { ok: false; reason: BodyRejectReason } {
  if (bytes.length === 0) return { ok: true, body: { kind, value: undefined } };
  if (contentType === undefined) return { ok: false, reason: 'body_unsupported_media_type' };
  const mt = mediaType(contentType);
  if (!acceptsType(kind, mt.type)) return { ok: false, reason: 'body_unsupported_media_type' };
  if (mt.charset !== undefined && mt.charset !== 'utf-8' && mt.charset !== 'utf8') return { ok: false, reason: 'body_unsupported_charset' };
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { ok: false, reason: 'body_bom' };
  let text: string;
  try { text = utf8.decode(bytes); } catch { return { ok: false, reason: 'body_invalid_utf8' }; }
  if (kind === 'form') {
    const f = parseForm(text);
    return f.ok ? { ok: true, body: { kind, value: f.value } } : f;
  }
  const j = parseJson(text);
  if (!j.ok) return j;
  if (kind === 'json') return { ok: true, body: { kind, value: j.value } };
  const g = graphqlFromJson(j.value);
  if ('reason' in g) return { ok: false, reason: g.reason };
  return { ok: true, body: { kind, value: j.value, graphql: g } };
}

/**
 * True if a query parameter names a top-level field of the parsed body (by its root name: `ticket` for
 * `ticket[comment][public]`). Servers that merge query and body parameters (Rails: the query wins) would
 * act on a value no rule saw, so the gateway refuses such a request when a rule reads the body.
 */
export function queryShadowsBody(body: BodyFacts, query: readonly (readonly [string, string])[]): boolean {
  const v = body.value;
  if (v === undefined || v.t !== 'obj' || query.length === 0) return false;
  for (const [k] of query) {
    const bracket = k.indexOf('[');
    if (v.v.has(bracket === -1 ? k : k.slice(0, bracket))) return true;
  }
  return false;
}
