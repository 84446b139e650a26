import { decodeJwt, decodeProtectedHeader } from 'jose';
import { deny, type AuthFailure } from './types.js';

const B64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Media types accepted in the JOSE "typ" header when present (RFC 8725 §3.11, RFC 9068 §2.1):
 * a plain JWT or an OAuth access token. Anything else — "dpop+jwt", "logout+jwt", "secevent+jwt",
 * an ID token explicitly typed as such — is a token for another purpose and is refused (CASES J10).
 * Compared case-insensitively with an optional "application/" prefix (RFC 7515 §4.1.9).
 */
const ACCEPTED_TYP: ReadonlySet<string> = new Set(['jwt', 'at+jwt']);

/** What an unverified token tells us: only enough to pick the issuer whose keys will verify it. */
export type TokenShape = { readonly ok: true; readonly iss: string; readonly alg: string } | AuthFailure;

/**
 * Inspects a token WITHOUT verifying it, only to reject what can never be valid before any crypto
 * and to select the issuer configuration by its "iss". Nothing returned here may be trusted beyond that.
 * Requires RFC 7515 compact serialization with three non-empty, canonically encoded base64url parts
 * (RFC 4648 §3.5: unused trailing bits zero — else flipping the last character of a signature yields a
 * second string for the same signed bytes; a 5-part JWE or the
 * JSON serialization → `invalid_token`, CASES J11), a header whose "alg" is a string other than
 * "none" in any casing (CASES J01), no "b64": false (RFC 7797; JWTs must be base64url-encoded), a "typ"
 * that is absent or a JWT/access-token type, and a claims set that is a JSON object with a string "iss".
 * Header keys ("jwk", "x5c", "jku", "x5u") are never read here or anywhere else (CASES J03, J04).
 */
export function inspectToken(token: string): TokenShape {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every(canonicalBase64url)) return deny('invalid_token');
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token) as Record<string, unknown>;
    claims = decodeJwt(token) as Record<string, unknown>;
  } catch {
    return deny('invalid_token');
  }
  const { alg, typ, b64 } = header;
  if (typeof alg !== 'string' || alg === '' || alg.toLowerCase() === 'none') return deny('invalid_token');
  if (b64 !== undefined && b64 !== true) return deny('invalid_token');
  if (typ !== undefined && !acceptedTyp(typ)) return deny('invalid_token');
  if (typeof claims.iss !== 'string') return deny('invalid_token');
  return { ok: true, iss: claims.iss, alg };
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** True if `part` is unpadded base64url whose length is possible and whose unused trailing bits are zero. */
function canonicalBase64url(part: string): boolean {
  if (!B64URL.test(part)) return false;
  const rem = part.length % 4;
  if (rem === 1) return false;
  if (rem === 0) return true;
  const last = ALPHABET.indexOf(part[part.length - 1] as string);
  return rem === 2 ? (last & 0x0f) === 0 : (last & 0x03) === 0;
}

function acceptedTyp(typ: unknown): boolean {
  if (typeof typ !== 'string') return false;
  const t = typ.toLowerCase();
  return ACCEPTED_TYP.has(t.startsWith('application/') ? t.slice('application/'.length) : t);
}
