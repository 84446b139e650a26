/**
 * The policy digest: sha256 (hex) of the RFC 8785 (JCS) serialisation of the normalised policy
 * input. Recorded with every decision so an auditor can tell which rule set made it. Normalisation:
 * defaults applied (`mode: enforce`, `methods` expanded and sorted, `pathCase: sensitive`),
 * BigInt literals written as `{"$bigint": "<decimal>"}` (JSON has no BigInt), descriptions kept.
 */
import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';
import { HTTP_METHODS, type PolicySpec, type UpstreamRulesOptions } from './types.js';

// The package is CommonJS (`module.exports = serialize`) with an ESM-style .d.ts; under NodeNext the
// default import is the function at runtime but is typed as the module, hence the cast.
const canonicalize = canonicalizeModule as unknown as (v: unknown) => string | undefined;

/** Version of the normalised form; bump when normalisation changes so digests are never reused. */
export const DIGEST_FORM = 'claiim.rules/v1';

function plain(x: unknown): unknown {
  if (typeof x === 'bigint') return { $bigint: x.toString() };
  if (Array.isArray(x)) return x.map(plain);
  if (x !== null && typeof x === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) if (v !== undefined) Object.defineProperty(out, k, { value: plain(v), enumerable: true });
    return out;
  }
  return x;
}

function methods(m: unknown): unknown {
  if (m === undefined || m === '*') return [...HTTP_METHODS].sort();
  return Array.isArray(m) ? [...new Set(m)].sort() : m;
}

/**
 * Digest of a policy input. Precondition: the input compiled without problems (so every value is
 * JSON-representable apart from BigInt, handled here). Equal inputs give equal digests.
 */
export function policyDigest(policies: readonly PolicySpec[], upstreams: readonly UpstreamRulesOptions[]): string {
  const form = {
    form: DIGEST_FORM,
    upstreams: [...upstreams].map((u) => ({ name: u.name, pathCase: u.pathCase ?? 'sensitive' })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    policies: policies.map((p) => ({
      agents: [...p.agents],
      upstream: p.upstream,
      rules: p.rules.map((r) => ({ ...r, mode: r.mode ?? 'enforce', match: { ...r.match, methods: methods(r.match.methods) } })),
    })),
  };
  const text = canonicalize(plain(form));
  if (text === undefined) throw new TypeError('policy input is not JSON-representable');
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
