/**
 * gateway/identity: who is calling. Verifies agent JWTs with jose (the only folder that imports jose)
 * and mints dev tokens. See docs/identity.md for the accepted token profile and every deny reason.
 */
export { createAuthenticator, type AuthenticatorOptions } from './authenticator.js';
export { IdentityError, type IdentityErrorCode } from './errors.js';
export { ASYMMETRIC_JWS_ALGORITHMS } from './algorithms.js';
export { generateDevIssuerKey, mintDevToken, mintDevAdminToken, devTokenCommand, parseTtl, DEV_DEFAULTS, DEV_PRIVATE_KEY_FILE, DEV_PUBLIC_KEY_FILE } from './dev-token.js';
export {
  AUTH_STATUS,
  type AgentSkillRange,
  type AuthFailure,
  type AuthReason,
  type AuthResult,
  type AuthStatus,
  type AuthSuccess,
  type Authenticator,
  type IdentityAgent,
  type IssuerConfig,
} from './types.js';
export { createAdminTokenVerifier, type AdminIssuerConfig, type AdminPrincipal, type AdminAuthReason, type AdminAuthResult, type AdminTokenVerifier } from './admin-token.js';
