// Shared fixtures for the identity tests: tokens are built by hand with node:crypto (not jose), so
// tests can craft exactly the malformed and hostile tokens a library would refuse to produce.
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { IdentityAgent, IssuerConfig } from '../../gateway/identity/index.js';

/** The fixed "now" of every identity test, in seconds (2025-06-15T15:06:40Z). */
export const NOW_S = 1_750_000_000;
export const ISSUER = 'https://idp.test';
export const AUDIENCE = 'claiim-gateway';
export const AGENTS: readonly IdentityAgent[] = [
  { id: 'code-review', skills: [{ name: 'code-review', range: '^1.4.0' }] },
  { id: 'devops', skills: [] },
];

/** An injectable clock, in milliseconds, starting at NOW_S. */
export function clock(): { now: () => number; set(seconds: number): void } {
  let ms = NOW_S * 1000;
  return { now: () => ms, set: (s) => { ms = s * 1000; } };
}

export function b64url(v: unknown): string {
  return Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
}

/** Claims of a valid token for the code-review agent; override or delete (value undefined) per test. */
export function claims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = { iss: ISSUER, aud: AUDIENCE, sub: 'code-review', iat: NOW_S, exp: NOW_S + 600, jti: 'j-1', skill: 'code-review@1.4.2', ...over };
  for (const k of Object.keys(base)) if (base[k] === undefined) delete base[k];
  return base;
}

/** Signs `header.payload` with an Ed25519 or RSA private key (EdDSA / RS256 by key type). */
export function signJws(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const sig = key.asymmetricKeyType === 'ed25519' ? sign(null, Buffer.from(input), key) : sign('sha256', Buffer.from(input), key);
  return `${input}.${sig.toString('base64url')}`;
}

/** HMAC-SHA256 over `header.payload` keyed with arbitrary bytes (the algorithm-confusion attack). */
export function signHs256(header: Record<string, unknown>, payload: Record<string, unknown>, secret: Buffer | string): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** A temp folder removed after the test. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'claiim-identity-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** An Ed25519 issuer key pair with its public JWK (kid "k1" unless given) written to a file. */
export function edIssuer(t: TestContext, kid: string | undefined = 'k1'): { privateKey: KeyObject; publicJwk: Record<string, unknown>; file: string; config: IssuerConfig; token(payload?: Record<string, unknown>, header?: Record<string, unknown>): string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicJwk: Record<string, unknown> = { ...publicKey.export({ format: 'jwk' }), ...(kid !== undefined ? { kid } : {}) };
  const file = join(tempDir(t), 'issuer.jwk');
  writeFileSync(file, JSON.stringify(publicJwk));
  const config: IssuerConfig = { issuer: ISSUER, audience: [AUDIENCE], algorithms: ['EdDSA'], keyFiles: [file], clockToleranceS: 30 };
  return {
    privateKey, publicJwk, file, config,
    token: (payload = claims(), header = { alg: 'EdDSA', typ: 'JWT', ...(kid !== undefined ? { kid } : {}) }) => signJws(header, payload, privateKey),
  };
}
