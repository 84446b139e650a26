import { errors, jwtVerify, type JWTPayload, type JWTVerifyOptions, type KeyObject, type CryptoKey } from 'jose';
import { parseJson } from '../../rules/index.js';
import { JwksUnavailableError, type KeySource } from './key-source.js';
import { deny, type AuthFailure, type AuthReason, type IssuerConfig } from './types.js';

/** Claims every agent token must carry (issue 2 item 5; RFC 8725 §3.8–3.9). */
const REQUIRED_CLAIMS = ['exp', 'iss', 'aud', 'sub'];

/** A verified claims set with the instant it stops being valid, or the deny. */
export type Verified = { readonly ok: true; readonly claims: JWTPayload & { sub: string; exp: number }; readonly validUntilMs: number } | AuthFailure;

/**
 * Verifies a compact JWS with the issuer's keys and pinned algorithms (jose jwtVerify), then checks
 * the claims: no member name given twice in the header or claims, exact "iss", "aud" containing one
 * configured audience, finite numeric "exp" in the future,
 * "nbf" and "iat" not in the future, "sub" a non-empty string; all times with `clockToleranceS` leeway
 * at the injected instant `nowMs`. Keys embedded in the token ("jwk", "x5c", "jku", "x5u") are never
 * used: only `keys` resolves keys. When several configured keys match a kid-less token, each is tried.
 * Never throws: every failure maps to a reason (unexpected errors → `invalid_token`, fail closed).
 * `validUntilMs` is the first instant at which this same verification would fail on time grounds.
 */
export async function verifyToken(token: string, issuer: IssuerConfig, keys: KeySource, nowMs: number): Promise<Verified> {
  const options: JWTVerifyOptions = {
    issuer: issuer.issuer,
    audience: [...issuer.audience],
    algorithms: [...issuer.algorithms],
    requiredClaims: REQUIRED_CLAIMS,
    clockTolerance: issuer.clockToleranceS,
    currentDate: new Date(nowMs),
    ...(issuer.maxTokenAgeS !== undefined ? { maxTokenAge: issuer.maxTokenAgeS } : {}),
  };
  let payload: JWTPayload;
  try {
    payload = await verifyWithAnyKey(token, keys, options);
  } catch (err) {
    return deny(reasonOf(err));
  }
  // jose reads header and claims with JSON.parse, where the last of two equal names wins
  // ({"sub":"x","sub":"a1"}): a signed token that a strict reader would read otherwise is refused.
  if (!strictJson(token)) return deny('invalid_token');
  const { sub, exp, iat } = payload;
  const tol = issuer.clockToleranceS;
  // An "exp" of 1e400 parses as Infinity: a token that would never expire (nor leave the cache).
  if (typeof sub !== 'string' || sub === '' || typeof exp !== 'number' || !Number.isFinite(exp)) return deny('invalid_token');
  // jose checks a future "iat" only together with maxTokenAge; CASES J08 wants it always.
  if (iat !== undefined && iat > Math.floor(nowMs / 1000) + tol) return deny('token_not_yet_valid');
  let validUntilMs = Math.ceil(exp + tol) * 1000;
  if (issuer.maxTokenAgeS !== undefined && typeof iat === 'number') {
    validUntilMs = Math.min(validUntilMs, (Math.floor(iat + issuer.maxTokenAgeS + tol) + 1) * 1000);
  }
  return { ok: true, claims: { ...payload, sub, exp }, validUntilMs };
}

/** Deep enough for any claims set that fits the token size limit; only repeated member names matter here. */
const MAX_CLAIMS_DEPTH = 8192;
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** True if the header and the claims set of a compact JWS have no repeated member names (RFC 8259 strict, as rules read bodies). */
function strictJson(token: string): boolean {
  const [h = '', p = ''] = token.split('.');
  try {
    return parseJson(utf8.decode(Buffer.from(h, 'base64url')), MAX_CLAIMS_DEPTH).ok && parseJson(utf8.decode(Buffer.from(p, 'base64url')), MAX_CLAIMS_DEPTH).ok;
  } catch {
    return false; // too deep for the stack: not a claims set anyone signs on purpose
  }
}

async function verifyWithAnyKey(token: string, keys: KeySource, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    return (await jwtVerify(token, keys.getKey, options)).payload;
  } catch (err) {
    if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw err;
    // jose hands back the candidate keys; the first whose signature verifies wins (jose docs, createLocalJWKSet).
    const candidates = err as unknown as AsyncIterable<KeyObject | CryptoKey>;
    for await (const key of candidates) {
      try {
        return (await jwtVerify(token, key, options)).payload;
      } catch (inner) {
        if (!(inner instanceof errors.JWSSignatureVerificationFailed)) throw inner;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}

/** Maps a jose (or key source) failure to the stable reason; anything unknown is `invalid_token`. */
function reasonOf(err: unknown): AuthReason {
  if (err instanceof JwksUnavailableError) return 'jwks_unavailable';
  if (err instanceof errors.JWTExpired) return 'token_expired';
  if (err instanceof errors.JWKSNoMatchingKey) return 'unknown_key';
  if (err instanceof errors.JWTClaimValidationFailed && err.reason === 'check_failed') {
    switch (err.claim) {
      case 'aud': return 'wrong_audience';
      case 'iss': return 'wrong_issuer';
      case 'nbf': case 'iat': return 'token_not_yet_valid';
      default: return 'invalid_token';
    }
  }
  return 'invalid_token';
}
