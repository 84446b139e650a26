import { checkPinnedAlgorithms } from './algorithms.js';
import { readBearer } from './bearer.js';
import { IdentityError } from './errors.js';
import { loadKeyFiles } from './key-files.js';
import { checkJwksUrl, remoteKeySource, staticKeySource, type KeySource } from './key-source.js';
import { checkSkill, compileAgents } from './skills.js';
import { TokenCache } from './token-cache.js';
import { inspectToken } from './token-shape.js';
import { deny, type AuthResult, type AuthSuccess, type Authenticator, type IdentityAgent, type IssuerConfig } from './types.js';
import { verifyToken } from './verify-token.js';

/** Options of `createAuthenticator`. */
export interface AuthenticatorOptions {
  /** The configured issuers; each token is verified only by the one whose `issuer` equals its "iss". */
  readonly issuers: readonly IssuerConfig[];
  /** The registered agents; a verified "sub" must be one of them. */
  readonly agents: readonly IdentityAgent[];
  /** Largest accepted token, in bytes (default 8192); larger → `token_too_large` (431) before any parsing. */
  readonly maxTokenBytes?: number;
  /** Injected clock in milliseconds (default Date.now); drives "exp"/"nbf"/"iat" checks and cache expiry. */
  readonly now?: () => number;
  /** Verified-token cache size (default 10 000 entries; 0 disables it). */
  readonly cache?: { readonly maxEntries: number };
}

/**
 * Builds the request authenticator: checks every issuer and agent entry, loads static keys once, and
 * prepares remote JWKS sources (fetched lazily, on the first token that needs them).
 * The request path, for each call of `authenticate`:
 *   Authorization values ─▶ one well-formed bearer token ─▶ cache hit? ─▶ unverified shape + pick issuer
 *   by exact "iss" ─▶ jose jwtVerify (issuer keys, pinned algorithms, required claims, injected clock)
 *   ─▶ registered agent ─▶ skill claim ─▶ cache ─▶ AuthSuccess
 * with a deny value (reason + status) at every exit. Rejects with IdentityError on bad configuration:
 * ERR_IDENTITY_ISSUER, ERR_IDENTITY_ALGORITHM, ERR_IDENTITY_KEY_FILE, ERR_IDENTITY_KEY_ALGORITHM, ERR_IDENTITY_AGENT.
 */
export async function createAuthenticator(opts: AuthenticatorOptions): Promise<Authenticator> {
  const maxTokenBytes = opts.maxTokenBytes ?? 8192;
  if (!Number.isInteger(maxTokenBytes) || maxTokenBytes < 1) throw new IdentityError('ERR_IDENTITY_ISSUER', '"maxTokenBytes" must be a positive integer');
  const maxEntries = opts.cache?.maxEntries ?? 10_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 0) throw new IdentityError('ERR_IDENTITY_ISSUER', '"cache.maxEntries" must be a non-negative integer');
  const now = opts.now ?? Date.now;
  const agents = compileAgents(opts.agents);
  const issuers = new Map<string, { readonly config: IssuerConfig; readonly keys: KeySource }>();
  for (const config of opts.issuers) {
    checkIssuer(config);
    if (issuers.has(config.issuer)) throw new IdentityError('ERR_IDENTITY_ISSUER', `issuer "${config.issuer}" is configured twice`);
    issuers.set(config.issuer, { config, keys: keySourceOf(config) });
  }
  const cache = new TokenCache(maxEntries);

  const authenticate = async (authorization: readonly string[]): Promise<AuthResult> => {
    const bearer = readBearer(authorization, maxTokenBytes);
    if (!bearer.ok) return bearer;
    const nowMs = now();
    const cacheKey = TokenCache.keyOf(bearer.token);
    const cached = cache.get(cacheKey, nowMs);
    if (cached) return cached;
    const shape = inspectToken(bearer.token);
    if (!shape.ok) return shape;
    const issuer = issuers.get(shape.iss);
    if (!issuer) return deny('wrong_issuer');
    const verified = await verifyToken(bearer.token, issuer.config, issuer.keys, nowMs);
    if (!verified.ok) return verified;
    const { sub, exp, jti, skill: skillClaim } = verified.claims;
    const agent = agents.get(sub);
    if (!agent) return deny('unknown_agent');
    const skill = checkSkill(agent, skillClaim);
    if (!skill.ok) return skill;
    const result: AuthSuccess = Object.freeze({
      ok: true as const,
      agent: agent.id,
      ...(skill.skill ? { skill: Object.freeze({ ...skill.skill }) } : {}),
      issuer: issuer.config.issuer,
      ...(typeof jti === 'string' ? { tokenId: jti } : {}),
      expiresAt: exp * 1000,
    });
    // Reused only while the key set that verified it is current (a key removed from a remote JWKS).
    const keys = issuer.keys;
    const set = keys.currentSet();
    cache.set(cacheKey, result, verified.validUntilMs, set === 0 ? undefined : () => keys.currentSet() === set);
    return result;
  };

  return {
    authenticate: async (authorization) => {
      try {
        return await authenticate(authorization);
      } catch {
        return deny('invalid_token');
      }
    },
    ready: () => [...issuers.values()].every((i) => i.keys.healthy()),
  };
}

function checkIssuer(c: IssuerConfig): void {
  if (typeof c.issuer !== 'string' || c.issuer === '') throw new IdentityError('ERR_IDENTITY_ISSUER', '"issuer" must be a non-empty string');
  const name = c.issuer;
  if (c.audience.length === 0 || c.audience.some((a) => typeof a !== 'string' || a === '')) {
    throw new IdentityError('ERR_IDENTITY_ISSUER', `issuer "${name}": "audience" must list at least one non-empty string`);
  }
  checkPinnedAlgorithms(name, c.algorithms);
  if ((c.keyFiles === undefined) === (c.jwks === undefined)) throw new IdentityError('ERR_IDENTITY_ISSUER', `issuer "${name}": needs exactly one of "keyFiles" or "jwks"`);
  if (!Number.isFinite(c.clockToleranceS) || c.clockToleranceS < 0) throw new IdentityError('ERR_IDENTITY_ISSUER', `issuer "${name}": "clockToleranceS" must be a non-negative number`);
  if (c.maxTokenAgeS !== undefined && !(Number.isFinite(c.maxTokenAgeS) && c.maxTokenAgeS > 0)) {
    throw new IdentityError('ERR_IDENTITY_ISSUER', `issuer "${name}": "maxTokenAgeS" must be a positive number`);
  }
  if (c.jwks) {
    for (const k of ['cooldownMs', 'cacheMaxAgeMs', 'timeoutMs'] as const) {
      if (!Number.isInteger(c.jwks[k]) || c.jwks[k] < 0) throw new IdentityError('ERR_IDENTITY_ISSUER', `issuer "${name}": "jwks.${k}" must be a non-negative integer`);
    }
  }
}

function keySourceOf(c: IssuerConfig): KeySource {
  if (c.keyFiles) return staticKeySource(loadKeyFiles(c.issuer, c.keyFiles, c.algorithms));
  const jwks = c.jwks as NonNullable<IssuerConfig['jwks']>;
  return remoteKeySource(checkJwksUrl(c.issuer, jwks.url), jwks);
}
