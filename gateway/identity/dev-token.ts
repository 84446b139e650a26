import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { calculateJwkThumbprint, importJWK, SignJWT, type JWK } from 'jose';
import semver from 'semver';
import { IdentityError } from './errors.js';

/** File names of the dev issuer key pair inside the folder given to generateDevIssuerKey. */
export const DEV_PRIVATE_KEY_FILE = 'dev-issuer.private.jwk';
export const DEV_PUBLIC_KEY_FILE = 'dev-issuer.public.jwk';
/** Defaults of `claiim dev-token` (the demo's issuer and audience). */
export const DEV_DEFAULTS = Object.freeze({ issuer: 'https://idp.claiim.local', audience: 'claiim-gateway', ttlS: 3600 });
/** Longest lifetime a dev token may have (30 days). */
const MAX_TTL_S = 30 * 86_400;

/**
 * Makes (once) a local Ed25519 issuer key pair for development: `<dir>/dev-issuer.private.jwk`
 * (mode 0600) and `<dir>/dev-issuer.public.jwk`, both JWKs with "alg": "EdDSA", "use": "sig" and a
 * "kid" equal to the RFC 7638 thumbprint. Existing files are never overwritten: if the private key
 * exists it is reused (and its public half rewritten only if missing). The folder is created 0700.
 * Not for production: a real deployment verifies tokens from its IdP's keys or JWKS.
 */
export async function generateDevIssuerKey(dir: string): Promise<{ privateJwkFile: string; publicJwkFile: string; kid: string }> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const privateJwkFile = join(dir, DEV_PRIVATE_KEY_FILE);
  const publicJwkFile = join(dir, DEV_PUBLIC_KEY_FILE);
  let priv = tryReadJwk(privateJwkFile);
  if (!priv) {
    const { privateKey } = generateKeyPairSync('ed25519');
    const jwk = privateKey.export({ format: 'jwk' }) as JWK;
    const kid = await calculateJwkThumbprint(jwk);
    const fresh: JWK = { kty: 'OKP', crv: 'Ed25519', x: jwk.x as string, d: jwk.d as string, kid, alg: 'EdDSA', use: 'sig' };
    try {
      writeFileSync(privateJwkFile, JSON.stringify(fresh, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
      priv = fresh;
    } catch (err) {
      // Another process made it between our read and write: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      priv = tryReadJwk(privateJwkFile);
    }
  }
  if (!priv || priv.kty !== 'OKP' || priv.crv !== 'Ed25519' || typeof priv.x !== 'string' || typeof priv.d !== 'string') {
    throw new IdentityError('ERR_IDENTITY_KEY_FILE', `"${privateJwkFile}" is not an Ed25519 private JWK`);
  }
  const kid = typeof priv.kid === 'string' ? priv.kid : await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: priv.x });
  const pub: JWK = { kty: 'OKP', crv: 'Ed25519', x: priv.x, kid, alg: 'EdDSA', use: 'sig' };
  try {
    writeFileSync(publicJwkFile, JSON.stringify(pub, null, 2) + '\n', { mode: 0o644, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return { privateJwkFile, publicJwkFile, kid };
}

/**
 * Signs a dev agent token (compact JWS, EdDSA, header typ "JWT" and the key's kid) with the Ed25519
 * private JWK in `keyFile`. Claims: iss, aud, sub, iat = now, exp = now + ttlS, a random jti, and
 * `skill` when given (an empty string means no skill claim, as for an agent without skills). Throws ERR_IDENTITY_KEY_FILE (not an Ed25519 private JWK) or ERR_IDENTITY_DEV_TOKEN
 * (empty sub/issuer/audience, a skill that is not name@semver, ttlS not an integer in 1..30 days).
 */
export async function mintDevToken(opts: { keyFile: string; sub: string; issuer: string; audience: string; skill?: string; ttlS: number; now?: () => number }): Promise<string> {
  checkDevClaims(opts, 'agent id');
  const skill = opts.skill === '' ? undefined : opts.skill;
  if (skill !== undefined && !isSkill(skill)) throw new IdentityError('ERR_IDENTITY_DEV_TOKEN', '"skill" must be name@version with a semver version, e.g. code-review@1.4.2');
  return signDev(opts, skill !== undefined ? { skill } : {});
}

/**
 * Signs a dev **admin** token for the approvals admin API (docs/approvals.md): like mintDevToken, with
 * the role and aiorgs claims (`claiim_role`, `claiim_aiorgs`, the approvals defaults) instead of a skill.
 * For the demo and tests only: a real deployment's admin tokens come from its identity provider.
 * Throws as mintDevToken; ERR_IDENTITY_DEV_TOKEN also for an empty aiorgs list.
 */
export async function mintDevAdminToken(opts: { keyFile: string; sub: string; issuer: string; audience: string; role: 'admin' | 'operator'; aiorgs: readonly string[]; ttlS: number; now?: () => number }): Promise<string> {
  checkDevClaims(opts, 'admin subject');
  if (opts.aiorgs.length === 0) throw new IdentityError('ERR_IDENTITY_DEV_TOKEN', '"aiorgs" must name at least one aiorg');
  return signDev(opts, { claiim_role: opts.role, claiim_aiorgs: [...opts.aiorgs] });
}

function checkDevClaims(opts: { sub: string; issuer: string; audience: string; ttlS: number }, subject: string): void {
  if (opts.sub === '') throw new IdentityError('ERR_IDENTITY_DEV_TOKEN', `"sub" must be a non-empty ${subject}`);
  if (opts.issuer === '') throw new IdentityError('ERR_IDENTITY_DEV_TOKEN', '"issuer" must be non-empty');
  if (opts.audience === '') throw new IdentityError('ERR_IDENTITY_DEV_TOKEN', '"audience" must be non-empty');
  if (!Number.isInteger(opts.ttlS) || opts.ttlS < 1 || opts.ttlS > MAX_TTL_S) throw new IdentityError('ERR_IDENTITY_DEV_TOKEN', `"ttl" must be between 1 second and ${MAX_TTL_S / 86_400} days`);
}

/** Signs `claims` plus iss, aud, sub, iat, exp and a random jti with the Ed25519 private JWK in `opts.keyFile`. */
async function signDev(opts: { keyFile: string; sub: string; issuer: string; audience: string; ttlS: number; now?: () => number }, claims: Record<string, unknown>): Promise<string> {
  const jwk = tryReadJwk(opts.keyFile);
  if (!jwk || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string') {
    throw new IdentityError('ERR_IDENTITY_KEY_FILE', `"${opts.keyFile}" is not a readable Ed25519 private JWK`);
  }
  const key = await importJWK(jwk, 'EdDSA');
  const iat = Math.floor((opts.now ?? Date.now)() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', ...(typeof jwk.kid === 'string' ? { kid: jwk.kid } : {}) })
    .setIssuer(opts.issuer)
    .setAudience(opts.audience)
    .setSubject(opts.sub)
    .setIssuedAt(iat)
    .setExpirationTime(iat + opts.ttlS)
    .setJti(randomUUID())
    .sign(key);
}

const USAGE = `Usage: claiim dev-token --key FILE --sub AGENT [--skill NAME@VER] [--ttl 1h] [--iss URL] [--aud AUD]

Mints a short-lived agent token signed with a local Ed25519 private JWK (for tests and the demo).

  --key FILE        private JWK made by \`claiim demo\` (data/keys/${DEV_PRIVATE_KEY_FILE})   (required)
  --sub AGENT       agent id, the token "sub"                                       (required)
  --skill NAME@VER  skill claim, e.g. code-review@1.4.2
  --ttl DURATION    lifetime: 90s, 15m, 1h, 2d or plain seconds (default 1h, at most 30d)
  --iss URL         issuer (default ${DEV_DEFAULTS.issuer})
  --aud AUD         audience (default ${DEV_DEFAULTS.audience})
  --help            show this help

Prints the token and a newline. Exit codes: 0 ok, 1 key file problem, 2 bad flags.
`;

/**
 * `claiim dev-token …`: parses `argv` (the arguments after "dev-token") with node:util parseArgs,
 * mints with mintDevToken and writes the token plus a newline to stdout. Returns the exit code:
 * 0 ok (or --help), 2 bad or missing flags (message and usage hint on stderr), 1 key file unusable.
 */
export async function devTokenCommand(argv: readonly string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Promise<number> {
  let values: { key?: string; sub?: string; skill?: string; ttl?: string; iss?: string; aud?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: { key: { type: 'string' }, sub: { type: 'string' }, skill: { type: 'string' }, ttl: { type: 'string' }, iss: { type: 'string' }, aud: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    return usageError(io, (err as Error).message);
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (values.key === undefined) return usageError(io, '--key FILE is required');
  if (values.sub === undefined) return usageError(io, '--sub AGENT is required');
  const ttlS = parseTtl(values.ttl ?? '1h');
  if (ttlS === undefined) return usageError(io, `--ttl must look like 90s, 15m, 1h or 2d (at most 30d)`);
  try {
    const token = await mintDevToken({
      keyFile: values.key, sub: values.sub, ttlS,
      issuer: values.iss ?? DEV_DEFAULTS.issuer, audience: values.aud ?? DEV_DEFAULTS.audience,
      ...(values.skill !== undefined ? { skill: values.skill } : {}),
    });
    io.stdout.write(token + '\n');
    return 0;
  } catch (err) {
    if (err instanceof IdentityError && err.code === 'ERR_IDENTITY_DEV_TOKEN') return usageError(io, err.message);
    if (err instanceof IdentityError) {
      io.stderr.write(`claiim dev-token: ${err.code}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** Seconds in a duration like "90", "90s", "15m", "1h", "2d"; undefined if malformed or beyond 30 days. */
export function parseTtl(text: string): number | undefined {
  const m = /^(\d{1,7})([smhd]?)$/.exec(text);
  if (!m) return undefined;
  const s = Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3600, d: 86_400 } as Record<string, number>)[m[2] as string]!;
  return s >= 1 && s <= MAX_TTL_S ? s : undefined;
}

function usageError(io: { stderr: NodeJS.WritableStream }, message: string): number {
  io.stderr.write(`claiim dev-token: ${message}\nRun "claiim dev-token --help" for usage.\n`);
  return 2;
}

function isSkill(s: string): boolean {
  const at = s.indexOf('@');
  const version = s.slice(at + 1);
  return at > 0 && /^[a-z0-9][a-z0-9._-]*$/.test(s.slice(0, at)) && semver.parse(version)?.version === version;
}

function tryReadJwk(file: string): JWK | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new IdentityError('ERR_IDENTITY_KEY_FILE', `"${file}" cannot be read`, { cause: err });
  }
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JWK) : undefined;
  } catch {
    return undefined;
  }
}
