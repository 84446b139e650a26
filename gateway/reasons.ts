/**
 * The one table that maps every decision reason the gateway can give to its HTTP status and meaning.
 * A reason is a stable snake_case string: callers, tests, dashboards and Chron readers branch on it.
 * docs/reasons.md lists every row (a test fails if one is undocumented).
 */
export const REASONS = {
  // accept (400/405) — before routing
  invalid_method: { status: 400, stage: 'accept', text: 'method is not a standard upper-case HTTP method' },
  method_not_allowed: { status: 405, stage: 'accept', text: 'TRACE, TRACK and CONNECT are never proxied' },
  invalid_target: { status: 400, stage: 'accept', text: 'request-target is empty, too long, or not origin-form' },
  missing_host: { status: 400, stage: 'accept', text: 'an HTTP/1.1 request without a Host header' },
  expectation_failed: { status: 417, stage: 'accept', text: 'an Expect header other than 100-continue' },
  absolute_target_foreign: { status: 400, stage: 'accept', text: 'absolute-form request-target names another host' },
  duplicate_header: { status: 400, stage: 'accept', text: 'Host, Authorization or Content-Type sent more than once' },
  ambiguous_framing: { status: 400, stage: 'accept', text: 'conflicting or malformed Content-Length / Transfer-Encoding, or Transfer-Encoding on HTTP/1.0' },
  method_override: { status: 400, stage: 'accept', text: 'a method-override header or _method parameter was sent' },
  upgrade_not_allowed: { status: 400, stage: 'accept', text: 'protocol upgrade (websocket, h2c) is not allowed on this upstream' },
  malformed_request: { status: 400, stage: 'accept', text: 'Node\'s strict HTTP parser refused the request (framing, header syntax); detail has the parser code' },
  headers_too_large: { status: 431, stage: 'accept', text: 'request headers larger than limits.max_header_bytes' },
  request_timeout: { status: 408, stage: 'accept', text: 'the request headers did not arrive in time' },
  body_not_allowed: { status: 400, stage: 'accept', text: 'a GET or HEAD request carries a body' },
  unsupported_content_encoding: { status: 415, stage: 'accept', text: 'Content-Encoding other than identity' },
  invalid_header: { status: 400, stage: 'accept', text: 'a header value contains control characters' },
  // canonicalize (400)
  path_encoded_separator: { status: 400, stage: 'canonicalize', text: 'path contains an encoded /, \\, % or ;' },
  path_invalid_escape: { status: 400, stage: 'canonicalize', text: 'path contains a malformed percent-escape' },
  path_forbidden_character: { status: 400, stage: 'canonicalize', text: 'path contains ;, \\, #, whitespace, a control or non-ASCII character' },
  path_above_root: { status: 400, stage: 'canonicalize', text: 'dot-segments climb above the root' },
  path_invalid_utf8: { status: 400, stage: 'canonicalize', text: 'percent-escapes do not decode to valid UTF-8' },
  query_invalid: { status: 400, stage: 'canonicalize', text: 'query contains a forbidden character, bad escape or control character' },
  // route (404)
  unknown_mount: { status: 404, stage: 'route', text: 'no upstream is mounted at the first path segment' },
  // authenticate (400/401/431/503)
  missing_token: { status: 401, stage: 'authenticate', text: 'no Authorization: Bearer token' },
  malformed_authorization: { status: 401, stage: 'authenticate', text: 'Authorization is not exactly "Bearer <token>"' },
  duplicate_authorization: { status: 400, stage: 'authenticate', text: 'more than one Authorization header' },
  token_too_large: { status: 431, stage: 'authenticate', text: 'token larger than limits.max_token_bytes' },
  invalid_token: { status: 401, stage: 'authenticate', text: 'token is not a valid compact JWS with the required claims' },
  token_expired: { status: 401, stage: 'authenticate', text: 'token "exp" is in the past' },
  token_not_yet_valid: { status: 401, stage: 'authenticate', text: 'token "nbf" or "iat" is in the future' },
  wrong_issuer: { status: 401, stage: 'authenticate', text: 'token "iss" is not a configured issuer' },
  wrong_audience: { status: 401, stage: 'authenticate', text: 'token "aud" does not name this gateway' },
  unknown_key: { status: 401, stage: 'authenticate', text: 'no issuer key matches the token (kid / algorithm)' },
  unknown_agent: { status: 401, stage: 'authenticate', text: 'token "sub" is not a registered agent' },
  client_cert_mismatch: { status: 401, stage: 'authenticate', text: 'the agent requires mTLS and the verified client certificate does not name it' },
  skill_missing: { status: 401, stage: 'authenticate', text: 'the agent requires a "skill" claim and the token has none' },
  skill_invalid: { status: 401, stage: 'authenticate', text: '"skill" claim is not name@semver' },
  skill_not_allowed: { status: 401, stage: 'authenticate', text: '"skill" version is outside the agent\'s allowed ranges' },
  jwks_unavailable: { status: 503, stage: 'authenticate', text: 'the issuer\'s JWKS could not be fetched' },
  too_many_requests: { status: 429, stage: 'authenticate', text: 'the agent already has limits.max_concurrent_per_agent requests in flight' },
  // facts (400/413/415)
  body_too_large: { status: 413, stage: 'facts', text: 'request body larger than limits.max_body_bytes' },
  body_unreadable: { status: 400, stage: 'facts', text: 'request body ended early or could not be read' },
  body_unsupported_media_type: { status: 415, stage: 'facts', text: 'a rule needs the body and its Content-Type (or charset) is not one this upstream\'s rules parse' },
  body_invalid: { status: 400, stage: 'facts', text: 'a rule needs the body and it does not parse strictly' },
  query_shadows_body: { status: 400, stage: 'facts', text: 'a rule reads the body and a query parameter names one of its top-level fields' },
  // decide (403)
  aiorg_boundary: { status: 403, stage: 'decide', text: 'the upstream is outside the agent\'s aiorg; no rule can lift this' },
  no_matching_rule: { status: 403, stage: 'decide', text: 'no allow rule matched (default deny)' },
  denied_by_rule: { status: 403, stage: 'decide', text: 'a deny rule matched (deny wins)' },
  approval_required: { status: 403, stage: 'decide', text: 'the matching rule requires an active approval session' },
  allowed_by_approval: { status: 200, stage: 'decide', text: 'an allow rule that requires approval matched inside an active approval session' },
  graphql_missing_query: { status: 400, stage: 'decide', text: 'a GraphQL request without a query document (and no known persisted query)' },
  graphql_mutation_via_get: { status: 405, stage: 'decide', text: 'a GraphQL mutation sent with GET' },
  graphql_duplicate_parameter: { status: 400, stage: 'decide', text: 'query, operationName, variables or extensions given twice, or in the URL of a request with a body' },
  graphql_invalid: { status: 400, stage: 'decide', text: 'the GraphQL document or request envelope does not parse' },
  graphql_operation_ambiguous: { status: 400, stage: 'decide', text: 'several operations and no operationName to choose one' },
  graphql_unknown_operation: { status: 400, stage: 'decide', text: 'operationName names no operation in the document' },
  graphql_persisted_query_unknown: { status: 403, stage: 'decide', text: 'a persisted-query hash the gateway does not know' },
  graphql_persisted_query_mismatch: { status: 400, stage: 'decide', text: 'the persisted-query hash is not the SHA-256 of the query sent' },
  approval_session_unknown: { status: 403, stage: 'decide', text: 'the x-claiim-approval-session header names no session the gateway knows' },
  approval_session_inactive: { status: 403, stage: 'decide', text: 'the named session is pending, rejected or revoked' },
  approval_session_expired: { status: 403, stage: 'decide', text: 'the named session is past its expiry (gateway clock)' },
  approval_session_exhausted: { status: 403, stage: 'decide', text: 'the named session has no uses left' },
  approval_session_other_agent: { status: 403, stage: 'decide', text: 'the named session was approved for another agent' },
  allowed_by_rule: { status: 200, stage: 'decide', text: 'an allow rule matched and no deny rule did' },
  // record (503)
  chron_unavailable: { status: 503, stage: 'record', text: 'the decision could not be made durable in Chron; nothing was forwarded' },
  shutting_down: { status: 503, stage: 'accept', text: 'the gateway is shutting down; retry on another replica' },
  // forward (502/504/499)
  upstream_unreachable: { status: 502, stage: 'forward', text: 'the upstream refused, reset or failed the connection' },
  upstream_timeout: { status: 504, stage: 'forward', text: 'the upstream did not answer within its timeout_ms' },
  // Recorded only (the agent is gone, nobody receives it); 499 as in nginx's "client closed request".
  agent_disconnected: { status: 499, stage: 'forward', text: 'the agent closed the connection before its answer was complete; the upstream request was aborted' },
} as const satisfies Record<string, { status: number; stage: string; text: string }>;

/** Every reason string the gateway can put in a response or a Chron entry. */
export type Reason = keyof typeof REASONS;

/** The HTTP status for `reason`; unknown strings (from a newer module) fail closed as 403. */
export function statusOf(reason: string): number {
  return (REASONS as Record<string, { status: number }>)[reason]?.status ?? 403;
}

/**
 * The JSON body of an answer the gateway makes itself (deny, 4xx before policy, 5xx): the decision fields,
 * plus a human `message` and an `error` object, the members API clients read to raise an error and say why.
 * Without `error`, stripe-node resolves a 403 as if its body were the resource asked for; Octokit takes
 * its error text from `message`. Built only from the reason table and the rule id: never from the request.
 * Adds both to `fields` (a fresh object at every call site) and returns it.
 */
export function answerBody(fields: { effect: string; status: number; reason: string; rule_id?: string | null } & Record<string, unknown>): Record<string, unknown> {
  const text = (REASONS as Record<string, { text: string }>)[fields.reason]?.text;
  const rule = fields.rule_id && fields.rule_id !== 'pre_policy' ? ` (rule ${fields.rule_id})` : '';
  const message = `claiim: ${fields.reason}${rule}${text ? `: ${text}` : ''}`;
  // Added in place, not spread into a new object: `{ ...fields, message, error }` costs ~3 µs a call here.
  const body = fields as Record<string, unknown>;
  body.message = message;
  body.error = { type: 'claiim', code: fields.reason, message };
  return body;
}
