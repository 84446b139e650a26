import { errors, jwtVerify, type JWTPayload } from 'jose';
import { checkPinnedAlgorithms } from './algorithms.js';
import { IdentityError } from './errors.js';
import { loadKeyFiles } from './key-files.js';
import { staticKeySource } from './key-source.js';

/**
 * The admin-token issuer: separate from every agent issuer (an agent token can never act as an admin,
 * and an admin token never reaches the agent listener). Static keys only, algorithms pinned.
 */
export interface AdminIssuerConfig {
  /** Compared to "iss" by exact string equality. */
  readonly issuer: string;
  /** "aud" must contain one of these. */
  readonly audience: readonly string[];
  /** Pinned asymmetric JWS algorithms (RFC 8725 §3.1). */
  readonly algorithms: readonly string[];
  /** Public keys (PEM SPKI, X.509, JWK or JWK Set), read once at creation. */
  readonly keyFiles: readonly string[];
  /** Claim naming the caller's role: "admin" (may approve) or "operator" (may only request). */
  readonly roleClaim: string;
  /** Claim listing the aiorgs the caller acts for (an array of strings). */
  readonly aiorgsClaim: string;
  /** Leeway in seconds for "exp", "nbf" and "iat"; default 30. */
  readonly clockToleranceS?: number;
}

/** The verified caller of the admin API. `subject` is the token's "sub" (a human's id, e.g. an e-mail). */
export interface AdminPrincipal { readonly subject: string; readonly role: 'admin' | 'operator'; readonly aiorgs: readonly string[] }

/** Why an admin token was refused. Stable strings; every one answers 401 except `not_an_admin` (403). */
export type AdminAuthReason = 'missing_token' | 'malformed_authorization' | 'invalid_token' | 'token_expired' | 'token_not_yet_valid' | 'wrong_issuer' | 'wrong_audience' | 'unknown_key' | 'not_an_admin';

/** The result of verifying one Authorization header: a principal, or the reason why not. Never throws. */
export type AdminAuthResult = { readonly ok: true; readonly principal: AdminPrincipal } | { readonly ok: false; readonly reason: AdminAuthReason };

/** Verifies admin tokens. */
export interface AdminTokenVerifier { verify(authorization: string | undefined, nowMs: number): Promise<AdminAuthResult> }

const MAX_TOKEN_CHARS = 8192;

/**
 * Builds the admin-token verifier (jose jwtVerify, RFC 7519 + RFC 8725): algorithms pinned, "exp",
 * "iss", "aud" and "sub" required, the role claim must be the string "admin" or "operator", the aiorgs
 * claim must be a non-empty array of non-empty strings. Keys embedded in tokens are never used.
 * Throws IdentityError at creation (ERR_IDENTITY_ISSUER, ERR_IDENTITY_ALGORITHM, ERR_IDENTITY_KEY_FILE,
 * ERR_IDENTITY_KEY_ALGORITHM); at request time every failure is a reason value.
 */
export function createAdminTokenVerifier(cfg: AdminIssuerConfig): AdminTokenVerifier {
  if (cfg.issuer === '') throw new IdentityError('ERR_IDENTITY_ISSUER', 'admin issuer: "issuer" must be a non-empty string');
  if (cfg.audience.length === 0 || cfg.audience.some((a) => a === '')) throw new IdentityError('ERR_IDENTITY_ISSUER', 'admin issuer: "audience" must list at least one non-empty string');
  if (cfg.roleClaim === '' || cfg.aiorgsClaim === '') throw new IdentityError('ERR_IDENTITY_ISSUER', 'admin issuer: "role_claim" and "aiorgs_claim" must be non-empty');
  checkPinnedAlgorithms(cfg.issuer, cfg.algorithms);
  const keys = staticKeySource(loadKeyFiles(cfg.issuer, cfg.keyFiles, cfg.algorithms));
  const tolerance = cfg.clockToleranceS ?? 30;
  return {
    async verify(authorization, nowMs) {
      if (authorization === undefined || authorization === '') return no('missing_token');
      const m = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization);
      if (!m || authorization.length > MAX_TOKEN_CHARS) return no('malformed_authorization');
      let payload: JWTPayload;
      try {
        payload = (await jwtVerify(m[1] as string, keys.getKey, {
          issuer: cfg.issuer, audience: [...cfg.audience], algorithms: [...cfg.algorithms],
          requiredClaims: ['exp', 'iss', 'aud', 'sub'], clockTolerance: tolerance, currentDate: new Date(nowMs),
        })).payload;
      } catch (err) {
        return no(reasonOf(err));
      }
      if (typeof payload.iat === 'number' && payload.iat > Math.floor(nowMs / 1000) + tolerance) return no('token_not_yet_valid');
      const sub = payload.sub;
      const role = payload[cfg.roleClaim];
      const aiorgs = payload[cfg.aiorgsClaim];
      if (typeof sub !== 'string' || sub === '') return no('invalid_token');
      if (role !== 'admin' && role !== 'operator') return no('not_an_admin');
      if (!Array.isArray(aiorgs) || aiorgs.length === 0 || !aiorgs.every((o): o is string => typeof o === 'string' && o !== '')) return no('not_an_admin');
      return { ok: true, principal: Object.freeze({ subject: sub, role, aiorgs: Object.freeze([...new Set(aiorgs)]) }) };
    },
  };
}

function no(reason: AdminAuthReason): AdminAuthResult {
  return { ok: false, reason };
}

function reasonOf(err: unknown): AdminAuthReason {
  if (err instanceof errors.JWTExpired) return 'token_expired';
  if (err instanceof errors.JWKSNoMatchingKey) return 'unknown_key';
  if (err instanceof errors.JWTClaimValidationFailed && err.reason === 'check_failed') {
    if (err.claim === 'aud') return 'wrong_audience';
    if (err.claim === 'iss') return 'wrong_issuer';
    if (err.claim === 'nbf' || err.claim === 'iat') return 'token_not_yet_valid';
  }
  return 'invalid_token';
}
