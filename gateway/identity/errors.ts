/**
 * Creation-time failures of the identity module (bad key file, unsafe algorithm, bad agent skill range,
 * bad dev-token input). Request-time failures are never exceptions: they are AuthFailure values.
 */

/** The closed set of identity error codes. Callers branch on `code`, never on `message`. */
export type IdentityErrorCode =
  /** A key file cannot be read or parsed, holds a private key, or holds no usable public key. */
  | 'ERR_IDENTITY_KEY_FILE'
  /** An issuer pins an algorithm that is not an asymmetric JWS algorithm ("none", HS*, unknown names). */
  | 'ERR_IDENTITY_ALGORITHM'
  /** A static key fits none of its issuer's pinned algorithms (e.g. an RSA key for an EdDSA-only issuer). */
  | 'ERR_IDENTITY_KEY_ALGORITHM'
  /** An issuer entry is unusable: empty or duplicate issuer, empty audience, not exactly one key source, bad JWKS URL. */
  | 'ERR_IDENTITY_ISSUER'
  /** An agent entry is unusable: duplicate id, or a skill range that semver cannot parse. */
  | 'ERR_IDENTITY_AGENT'
  /** dev-token: a bad subject, skill, lifetime, issuer or audience. */
  | 'ERR_IDENTITY_DEV_TOKEN';

/**
 * An identity error. The message names the field and what was expected, and may name a file path;
 * it never contains key material or a token.
 */
export class IdentityError extends Error {
  /** Stable machine-readable code. */
  readonly code: IdentityErrorCode;

  constructor(code: IdentityErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IdentityError';
    this.code = code;
  }
}
