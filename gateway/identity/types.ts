/**
 * The identity module's public types: what the gateway hands in (issuers, agents) and what it gets
 * back for every request (an AuthResult: an agent, or a deny reason with its HTTP status).
 * Nothing here is jose-specific; callers never see jose types.
 */

/**
 * One token issuer, already validated, defaulted and frozen by the config loader.
 * Exactly one of `keyFiles` (static keys, read once at creation) or `jwks` (remote key set) is set.
 */
export interface IssuerConfig {
  /** Compared to the token's "iss" by exact string equality (no trailing-slash or case folding; RFC 8725 §3.8). */
  readonly issuer: string;
  /** The token's "aud" (string or array) must contain at least one of these (RFC 7519 §4.1.3, RFC 8725 §3.9). */
  readonly audience: readonly string[];
  /** Pinned JWS algorithms (RFC 8725 §3.1), e.g. ['EdDSA'] or ['RS256']. Only asymmetric algorithms are accepted. */
  readonly algorithms: readonly string[];
  /** Static verification keys: PEM SPKI public keys, or JWK / JWKS JSON documents (public members only). */
  readonly keyFiles?: readonly string[];
  /**
   * Remote JWKS (jose createRemoteJWKSet): cached for `cacheMaxAgeMs`, refetched on an unknown "kid"
   * at most once per `cooldownMs`; a failed fetch also holds further fetches off for `cooldownMs`.
   */
  readonly jwks?: { readonly url: string; readonly cooldownMs: number; readonly cacheMaxAgeMs: number; readonly timeoutMs: number };
  /** Leeway in seconds for "exp", "nbf" and "iat" (clock skew between the issuer and the gateway). */
  readonly clockToleranceS: number;
  /** When set, "iat" is required and a token older than this many seconds is expired. */
  readonly maxTokenAgeS?: number;
}

/** One allowed skill of an agent: the skill name and a semver range (npm `semver` syntax) of allowed versions. */
export interface AgentSkillRange { readonly name: string; readonly range: string }

/** A registered agent as identity sees it: its id (the token "sub") and its allowed skills (may be empty). */
export interface IdentityAgent { readonly id: string; readonly skills: readonly AgentSkillRange[] }

/**
 * Why a request was not authenticated. Stable snake_case strings: the gateway's reasons table
 * (gateway/reasons.ts) maps each to its HTTP status, and Chron records them verbatim.
 */
export type AuthReason =
  | 'missing_token'
  | 'malformed_authorization'
  | 'duplicate_authorization'
  | 'token_too_large'
  | 'invalid_token'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'unknown_key'
  | 'unknown_agent'
  | 'skill_missing'
  | 'skill_invalid'
  | 'skill_not_allowed'
  | 'jwks_unavailable';

/** The HTTP status that goes with a deny: 400 duplicate header, 401 bad credentials, 431 token too large, 503 JWKS down. */
export type AuthStatus = 400 | 401 | 431 | 503;

/** A successful authentication: who is calling, with which skill build, under which issuer. */
export interface AuthSuccess {
  readonly ok: true;
  /** The verified "sub", a registered agent id. */
  readonly agent: string;
  /** The verified "skill" claim split at "@" (version is a valid semver), when the token carries one. */
  readonly skill?: { readonly name: string; readonly version: string };
  /** The verified "iss". */
  readonly issuer: string;
  /** The "jti" claim, when it is a string. */
  readonly tokenId?: string;
  /** The token's "exp", in milliseconds since the epoch. */
  readonly expiresAt: number;
}

/** A failed authentication: a value, never an exception. Never contains the token or any part of it. */
export interface AuthFailure { readonly ok: false; readonly reason: AuthReason; readonly status: AuthStatus }

/** The outcome of `Authenticator.authenticate`. */
export type AuthResult = AuthSuccess | AuthFailure;

/** Verifies agent tokens for every request. Built once by `createAuthenticator`. */
export interface Authenticator {
  /**
   * `authorization` = every raw Authorization header value of the request, in rawHeaders order.
   * Side-effect free except for JWKS fetching and the verified-token cache. Never throws (an unexpected
   * failure is `invalid_token`, fail closed); never returns or logs any part of the token.
   */
  authenticate(authorization: readonly string[]): Promise<AuthResult>;
  /** True when static keys are loaded (always, once created) and no remote JWKS is in a failed-fetch state (readyz). */
  ready(): boolean;
}

/** The status of each deny reason (mirrors gateway/reasons.ts; a test keeps the two in step). */
export const AUTH_STATUS: Readonly<Record<AuthReason, AuthStatus>> = Object.freeze({
  missing_token: 401,
  malformed_authorization: 401,
  duplicate_authorization: 400,
  token_too_large: 431,
  invalid_token: 401,
  token_expired: 401,
  token_not_yet_valid: 401,
  wrong_issuer: 401,
  wrong_audience: 401,
  unknown_key: 401,
  unknown_agent: 401,
  skill_missing: 401,
  skill_invalid: 401,
  skill_not_allowed: 401,
  jwks_unavailable: 503,
});

/** Builds the deny value for `reason` with its status. */
export function deny(reason: AuthReason): AuthFailure {
  return { ok: false, reason, status: AUTH_STATUS[reason] };
}
