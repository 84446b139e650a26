import { ApprovalError } from './errors.js';
import type { AdminIssuerConfig } from '../identity/admin-token.js';

/** The validated, defaulted, frozen `approvals:` section of claiim.yaml. */
export interface ApprovalsConfig {
  /** Upper bound of a session's lifetime in seconds (from its request). */
  readonly maxTtlS: number;
  /** Lifetime of a session whose request names none. */
  readonly defaultTtlS: number;
  /** When set: the upper bound of a session's `max_uses`, and the value of a request that names none. */
  readonly maxUses?: number;
  /** The admin-token issuer (separate from the agent issuers); one definition, owned by gateway/identity. */
  readonly admins: AdminIssuerConfig;
}

const ALGORITHMS = ['EdDSA', 'Ed25519', 'ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];

/**
 * JSON Schema (Ajv, draft 2020-12 subset) of the YAML section `approvals:`. Shape only; cross-field
 * checks (default ≤ max) are in approvalsConfigFromRaw. Example:
 *
 * ```yaml
 * approvals:
 *   max_ttl_s: 14400
 *   default_ttl_s: 3600
 *   max_uses: 50
 *   admins:
 *     issuer: https://idp.acme.example/admins
 *     audience: claiim-admin
 *     algorithms: [EdDSA]
 *     key_files: [keys/admin-issuer.jwk]
 *     role_claim: claiim_role      # default
 *     aiorgs_claim: claiim_aiorgs  # default
 * ```
 */
export const approvalsConfigSchema = {
  type: 'object', additionalProperties: false, required: ['admins'],
  properties: {
    max_ttl_s: { type: 'integer', minimum: 60, maximum: 604800 },
    default_ttl_s: { type: 'integer', minimum: 60, maximum: 604800 },
    max_uses: { type: 'integer', minimum: 1, maximum: 1000000 },
    admins: {
      type: 'object', additionalProperties: false, required: ['issuer', 'audience', 'algorithms', 'key_files'],
      properties: {
        issuer: { type: 'string', minLength: 1 },
        audience: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } }] },
        algorithms: { type: 'array', minItems: 1, items: { enum: ALGORITHMS } },
        key_files: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
        role_claim: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.:-]*$' },
        aiorgs_claim: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.:-]*$' },
      },
    },
  },
} as const;

/** Defaults of the section (seconds). */
export const APPROVALS_DEFAULTS = Object.freeze({ maxTtlS: 4 * 3600, defaultTtlS: 3600, roleClaim: 'claiim_role', aiorgsClaim: 'claiim_aiorgs' });

interface RawApprovals {
  max_ttl_s?: number; default_ttl_s?: number; max_uses?: number;
  admins: { issuer: string; audience: string | string[]; algorithms: string[]; key_files: string[]; role_claim?: string; aiorgs_claim?: string };
}

/**
 * Applies defaults to a section that already passed `approvalsConfigSchema`, resolves key file paths
 * with `resolvePath` (relative to the config file) and freezes the result. When only `max_ttl_s` is
 * given and it is below the default lifetime, the default lifetime becomes `max_ttl_s`.
 * Throws ERR_APPROVAL_CONFIG when `default_ttl_s` > `max_ttl_s` (both given explicitly).
 */
export function approvalsConfigFromRaw(raw: unknown, resolvePath: (p: string) => string): ApprovalsConfig {
  const r = raw as RawApprovals;
  const maxTtlS = r.max_ttl_s ?? APPROVALS_DEFAULTS.maxTtlS;
  const defaultTtlS = r.default_ttl_s ?? Math.min(APPROVALS_DEFAULTS.defaultTtlS, maxTtlS);
  if (defaultTtlS > maxTtlS) throw new ApprovalError('ERR_APPROVAL_CONFIG', `approvals: "default_ttl_s" (${defaultTtlS}) must not exceed "max_ttl_s" (${maxTtlS})`);
  const a = r.admins;
  return Object.freeze({
    maxTtlS,
    defaultTtlS,
    ...(r.max_uses !== undefined ? { maxUses: r.max_uses } : {}),
    admins: Object.freeze({
      issuer: a.issuer,
      audience: Object.freeze(typeof a.audience === 'string' ? [a.audience] : [...a.audience]),
      algorithms: Object.freeze([...a.algorithms]),
      keyFiles: Object.freeze(a.key_files.map(resolvePath)),
      roleClaim: a.role_claim ?? APPROVALS_DEFAULTS.roleClaim,
      aiorgsClaim: a.aiorgs_claim ?? APPROVALS_DEFAULTS.aiorgsClaim,
    }),
  });
}
