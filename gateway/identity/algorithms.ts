import { IdentityError } from './errors.js';

/**
 * The JWS algorithms an issuer may pin (RFC 7518 §3, RFC 8037, RFC 9864 "Ed25519"). Only asymmetric
 * ones: the gateway holds public keys, so an HMAC algorithm could only ever be keyed with public
 * material (the HS256-with-the-public-key confusion, CVE-2022-23541, RFC 8725 §3.1), and "none" is
 * never a signature (CVE-2022-23540).
 */
export const ASYMMETRIC_JWS_ALGORITHMS: ReadonlySet<string> = new Set([
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
]);

/**
 * Throws ERR_IDENTITY_ALGORITHM unless `algorithms` is a non-empty list of distinct names from
 * ASYMMETRIC_JWS_ALGORITHMS (exact spelling: "rs256" or "NONE" are refused, not normalised).
 */
export function checkPinnedAlgorithms(issuer: string, algorithms: readonly string[]): void {
  if (algorithms.length === 0) throw new IdentityError('ERR_IDENTITY_ALGORITHM', `issuer "${issuer}": "algorithms" must list at least one algorithm`);
  for (const alg of algorithms) {
    if (!ASYMMETRIC_JWS_ALGORITHMS.has(alg)) {
      throw new IdentityError('ERR_IDENTITY_ALGORITHM', `issuer "${issuer}": algorithm "${alg}" is not allowed; expected one of ${[...ASYMMETRIC_JWS_ALGORITHMS].join(', ')}`);
    }
  }
  if (new Set(algorithms).size !== algorithms.length) throw new IdentityError('ERR_IDENTITY_ALGORITHM', `issuer "${issuer}": "algorithms" lists an algorithm twice`);
}

/** The public-key members that decide which algorithms a JWK can verify. */
export interface KeyShape { readonly kty?: unknown; readonly crv?: unknown; readonly alg?: unknown; readonly use?: unknown }

/**
 * True if a public key of this type/curve can verify `alg` (RFC 7518 §3.3–3.5, RFC 8037 §3.1) and
 * the key's own "alg" and "use" members, when present, do not forbid it (RFC 7517 §4.2, §4.4).
 */
export function keyFitsAlgorithm(key: KeyShape, alg: string): boolean {
  if (key.alg !== undefined && key.alg !== alg) return false;
  if (key.use !== undefined && key.use !== 'sig') return false;
  switch (key.kty) {
    case 'RSA': return /^(RS|PS)(256|384|512)$/.test(alg);
    case 'EC': return (key.crv === 'P-256' && alg === 'ES256') || (key.crv === 'P-384' && alg === 'ES384') || (key.crv === 'P-521' && alg === 'ES512');
    case 'OKP': return key.crv === 'Ed25519' && (alg === 'EdDSA' || alg === 'Ed25519');
    default: return false;
  }
}
