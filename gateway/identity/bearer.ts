import { deny, type AuthFailure } from './types.js';

/**
 * `Bearer <b64token>` exactly (RFC 6750 §2.1; scheme case-insensitive per RFC 7235 §2.1): one space,
 * no tabs, no second credential, nothing after the token. Anything else is malformed (CASES J15).
 */
const BEARER = /^[Bb][Ee][Aa][Rr][Ee][Rr] ([A-Za-z0-9\-._~+/]+=*)$/;
const SCHEME_AND_SPACE = 'Bearer '.length;
/** One element of a comma-joined credential list: an auth-scheme, space(s), then something. */
const CREDENTIAL = /^\s*[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]* +\S/;

/** The bearer token of a request, or the deny that ends authentication. */
export type BearerResult = { readonly ok: true; readonly token: string } | AuthFailure;

/**
 * Extracts the one bearer token from every raw Authorization header value of a request.
 * No value → `missing_token`; two or more → `duplicate_authorization` (CASES J14: Node keeps only
 * the first in `req.headers`, rawHeaders keeps both, so the caller passes rawHeaders values);
 * a value longer than the scheme plus `maxTokenBytes` → `token_too_large` (checked before any parsing,
 * CASES J16); a comma-joined list of credentials (`Bearer A, Bearer B` — what an intermediary makes of
 * two headers, RFC 9110 §5.3) → `duplicate_authorization` too (CASES J14); anything else but
 * `Bearer <b64token>` → `malformed_authorization` (CASES J15).
 * Preconditions: values are header values as Node delivers them (latin1, one char per byte).
 */
export function readBearer(values: readonly string[], maxTokenBytes: number): BearerResult {
  if (values.length === 0) return deny('missing_token');
  if (values.length > 1) return deny('duplicate_authorization');
  const value = values[0] as string;
  if (value.length > SCHEME_AND_SPACE + maxTokenBytes) return deny('token_too_large');
  const m = BEARER.exec(value);
  if (!m) {
    const list = value.split(',');
    return deny(list.length > 1 && list.every((c) => CREDENTIAL.test(c)) ? 'duplicate_authorization' : 'malformed_authorization');
  }
  return { ok: true, token: m[1] as string };
}
