import { createLocalJWKSet, createRemoteJWKSet, customFetch, type JWK, type JWTVerifyGetKey } from 'jose';
import { IdentityError } from './errors.js';
import type { PublicJwk } from './key-files.js';

/** Where one issuer's verification keys come from: a jose key getter plus its health for readyz. */
export interface KeySource {
  /** Resolves the key for a token header (by "kid" and "alg"); jose calls it during jwtVerify. */
  readonly getKey: JWTVerifyGetKey;
  /** False while the last remote JWKS fetch attempt failed; always true for static keys. */
  healthy(): boolean;
  /**
   * Which key set a lookup made now would use: the same number for as long as that set is current, -1 once
   * it is due for a refresh. The token cache reuses a verification only while this still gives the number
   * it gave at verification, so a key removed from a remote JWKS stops being honoured for cached tokens
   * when it stops being honoured for new ones. Static keys: always 0.
   */
  currentSet(): number;
}

/**
 * Thrown by a remote key source when the key set cannot be obtained (network error, timeout, non-200,
 * unparsable set, or a fetch held off after a recent failure). Mapped to `jwks_unavailable` (503):
 * the token may be fine, the gateway just cannot tell — fail closed without blaming the agent.
 */
export class JwksUnavailableError extends Error {
  readonly code = 'ERR_IDENTITY_JWKS_UNAVAILABLE';
  constructor(options?: { cause?: unknown }) {
    super('the issuer JWKS could not be obtained', options);
    this.name = 'JwksUnavailableError';
  }
}

/** Errors of a key set lookup that are about the token, not about the key set's availability. */
const TOKEN_SIDE_CODES: ReadonlySet<unknown> = new Set(['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS', 'ERR_JOSE_NOT_SUPPORTED']);

/**
 * A key source over static keys (jose createLocalJWKSet). A token whose "kid" names a key is checked
 * against the keys with that kid only; a token with a kid no key has falls back to the keys that have
 * no kid (a PEM file carries none), else jose's ERR_JWKS_NO_MATCHING_KEY (`unknown_key`); a token
 * without a kid may match any key of a fitting type.
 */
export function staticKeySource(keys: readonly PublicJwk[]): KeySource {
  const all = createLocalJWKSet({ keys: keys as JWK[] });
  const keyless = keys.filter((k) => k.kid === undefined);
  const withoutKid = keyless.length > 0 ? createLocalJWKSet({ keys: keyless as JWK[] }) : undefined;
  const kids = new Set(keys.map((k) => k.kid).filter((k) => k !== undefined));
  return {
    getKey: async (header, token) => {
      if (typeof header.kid === 'string' && !kids.has(header.kid) && withoutKid) return withoutKid({ alg: header.alg }, token);
      return all(header, token);
    },
    healthy: () => true,
    currentSet: () => 0,
  };
}

/**
 * Throws ERR_IDENTITY_ISSUER unless `url` is https, or http to a loopback host (tests, sidecars).
 * The JWKS location comes only from config: token headers "jku"/"x5u" are never fetched (RFC 8725 §3.10).
 */
export function checkJwksUrl(issuer: string, url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new IdentityError('ERR_IDENTITY_ISSUER', `issuer "${issuer}": "jwks.url" is not a URL`);
  }
  const loopback = u.hostname === 'localhost' || u.hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(u.hostname);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) {
    throw new IdentityError('ERR_IDENTITY_ISSUER', `issuer "${issuer}": "jwks.url" must be https (http only to a loopback host)`);
  }
  if (u.username || u.password) throw new IdentityError('ERR_IDENTITY_ISSUER', `issuer "${issuer}": "jwks.url" must not carry credentials`);
  return u;
}

/**
 * A key source over a remote JWKS (jose createRemoteJWKSet): cached for `cacheMaxAgeMs`; an unknown
 * "kid" triggers a refetch only when the last successful fetch is older than `cooldownMs` (CASES J06).
 * jose does not hold fetches off after a failure, so a failed attempt (network error, timeout,
 * non-200) also starts a `cooldownMs` hold-off during which lookups fail fast with JwksUnavailableError
 * instead of hammering a struggling IdP. Redirects are not followed (jose uses redirect: "manual").
 * Stale-if-error: when the set cannot be refreshed, the last successfully fetched set keeps serving
 * lookups until one more `cacheMaxAgeMs` has passed (at most 2 × cacheMaxAgeMs after that fetch), so a
 * short IdP outage does not lock every agent out; after that, JwksUnavailableError.
 */
export function remoteKeySource(url: URL, opts: { readonly cooldownMs: number; readonly cacheMaxAgeMs: number; readonly timeoutMs: number }): KeySource {
  let failedAt = Number.NEGATIVE_INFINITY;
  let okAt = Number.NEGATIVE_INFINITY;
  let lastFailed = false;
  let stale: { readonly okAt: number; readonly lookup: JWTVerifyGetKey } | undefined;
  const guardedFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (Date.now() - failedAt < opts.cooldownMs) throw new JwksUnavailableError();
    try {
      const res = await fetch(input, init);
      lastFailed = res.status !== 200;
      if (lastFailed) failedAt = Date.now();
      else okAt = Date.now();
      return res;
    } catch (err) {
      lastFailed = true;
      failedAt = Date.now();
      throw err;
    }
  };
  const set = createRemoteJWKSet(url, {
    cooldownDuration: opts.cooldownMs,
    cacheMaxAge: opts.cacheMaxAgeMs,
    timeoutDuration: opts.timeoutMs,
    [customFetch]: guardedFetch,
  });
  return {
    getKey: async (header, token) => {
      try {
        return await set(header, token);
      } catch (err) {
        if (TOKEN_SIDE_CODES.has((err as { code?: unknown }).code)) throw err;
        const last = set.jwks();
        if (last === undefined || Date.now() - okAt >= 2 * opts.cacheMaxAgeMs) throw new JwksUnavailableError({ cause: err });
        if (stale?.okAt !== okAt) stale = { okAt, lookup: createLocalJWKSet(last) };
        return stale.lookup(header, token);
      }
    },
    healthy: () => !lastFailed,
    // okAt is when the set in use was fetched (jose stores it just after): due once cacheMaxAgeMs passed.
    currentSet: () => (Date.now() < okAt + opts.cacheMaxAgeMs ? okAt : -1),
  };
}
