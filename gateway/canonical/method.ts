import type { HttpMethod } from '../../rules/index.js';

/**
 * The request method, checked before anything else (CASES.md M05, M07, M08): only the standard methods
 * a tool API uses are accepted, exactly in upper case. `TRACE` and `CONNECT` are refused with 405 (a TRACE
 * echo would reflect the injected credential); anything else — lower-case, unknown, extension — is 400.
 */
export type MethodResult = { ok: true; method: HttpMethod } | { ok: false; reason: 'method_not_allowed' | 'invalid_method'; status: 400 | 405 };

const ALLOWED: ReadonlySet<string> = new Set<HttpMethod>(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Classifies `raw` as an accepted method, a refused one (405) or a malformed one (400). */
export function canonicalMethod(raw: string): MethodResult {
  if (ALLOWED.has(raw)) return { ok: true, method: raw as HttpMethod };
  if (raw === 'TRACE' || raw === 'CONNECT' || raw === 'TRACK') return { ok: false, reason: 'method_not_allowed', status: 405 };
  return { ok: false, reason: 'invalid_method', status: 400 };
}
