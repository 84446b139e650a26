import { timingSafeEqual } from 'node:crypto';
import type { CredentialStatus } from './types.js';

/** The credential one fake requires, and everything derived from it that must never be echoed. */
export interface RequiredCredential {
  /** Accepted schemes, lower-case (`bearer`, `token`, `basic`). */
  readonly schemes: readonly string[];
  readonly secret: string;
  /** `<Scheme> <secret>` with the first scheme capitalised as the API documents it. */
  readonly headerValue: string;
  /** Strings to replace with `<redacted>` wherever they would appear in an answer (longest first). */
  readonly unsayable: readonly string[];
}

/** What replaces a secret or a sensitive header value in every echo. */
export const REDACTED = '<redacted>';

const SENSITIVE_HEADER = /authorization|cookie|token|secret|api[-_]?key|password|passwd|session|signature|credential/i;

/**
 * Builds the credential a fake requires. `configured` is either the bare secret or a full header value whose
 * scheme is one of `schemes` (compared case-insensitively); the scheme is then stripped.
 * Preconditions: `schemes` is non-empty and lower-case; the resulting secret is non-empty and has no whitespace
 * (callers validate and throw their own option error when this returns `undefined`).
 */
export function requiredCredential(schemes: readonly string[], configured: string): RequiredCredential | undefined {
  const first = schemes[0];
  if (first === undefined) return undefined;
  let secret = configured.trim();
  const sp = secret.indexOf(' ');
  if (sp !== -1 && schemes.includes(secret.slice(0, sp).toLowerCase())) secret = secret.slice(sp + 1).trim();
  if (secret === '' || /\s/.test(secret)) return undefined;
  const unsayable = new Set([secret]);
  if (first === 'basic') {
    // The decoded user:password form and the password alone are as secret as the base64 form.
    const decoded = Buffer.from(secret, 'base64').toString('utf8');
    if (decoded.length >= 4) unsayable.add(decoded);
    const password = decoded.slice(decoded.indexOf(':') + 1);
    if (decoded.includes(':') && password.length >= 4) unsayable.add(password);
  }
  const schemeName = first.charAt(0).toUpperCase() + first.slice(1);
  return Object.freeze({
    schemes,
    secret,
    headerValue: `${schemeName} ${secret}`,
    unsayable: Object.freeze([...unsayable].sort((a, b) => b.length - a.length)),
  });
}

/**
 * Compares the request's `authorization` header(s) with the required credential: `missing` when none was
 * sent, `present` when exactly one was sent and it is `<scheme> <secret>` with an accepted scheme (any case)
 * and an exactly equal secret (constant-time), `wrong` otherwise — including two `authorization` headers.
 */
export function checkCredential(required: RequiredCredential, rawHeaders: readonly string[]): CredentialStatus {
  const values: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === 'authorization') values.push(rawHeaders[i + 1] ?? '');
  }
  const only = values[0];
  if (only === undefined) return 'missing';
  if (values.length > 1) return 'wrong';
  const m = /^([A-Za-z]+) +(\S+)$/.exec(only.trim());
  if (m === null || !required.schemes.includes((m[1] ?? '').toLowerCase())) return 'wrong';
  const got = Buffer.from(m[2] ?? '', 'utf8');
  const want = Buffer.from(required.secret, 'utf8');
  return got.length === want.length && timingSafeEqual(got, want) ? 'present' : 'wrong';
}

/**
 * The received headers as they may be echoed: every value of a header whose name looks sensitive
 * (authorization, cookie, api keys, tokens, sessions, signatures, passwords) becomes `<redacted>`.
 */
export function redactHeaders(headers: Readonly<Record<string, string | string[]>>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name] = SENSITIVE_HEADER.test(name) ? REDACTED : value;
  }
  return out;
}

/** Replaces every occurrence of the credential (and its derived forms) in `text` with `<redacted>`. */
export function scrub(required: RequiredCredential, text: string): string {
  let out = text;
  for (const s of required.unsayable) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}
