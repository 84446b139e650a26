/**
 * The canonical request target: one pure function that turns the raw request-target into the path the
 * rules see and the gateway forwards (CASES.md "P — Path confusion"; RFC 3986 §2.3, §5.2.4, §6.2.2).
 *
 * Path: percent-escaped unreserved characters are decoded once; every other escape is kept, upper-cased;
 * `%2F %5C %00 %25 %3B`, raw `; \ #`, whitespace, control characters, non-ASCII bytes and escapes that do
 * not form valid (non-overlong) UTF-8 are rejected; repeated slashes merge; `.` and `..` resolve (`..`
 * above the root is rejected); a trailing slash is removed. Query: validated the same way (without the
 * path-only rules) and kept byte for byte, so what the rules decoded is exactly what the upstream decodes —
 * except that parameters carrying a client credential (`access_token`, `api_key`, …; CASES.md J13, J18)
 * are removed whole, since the gateway injects the only credential the upstream sees.
 */
export type TargetResult =
  | { ok: true; path: string; query: string }
  | { ok: false; reason: TargetReason };

export type TargetReason =
  | 'invalid_target'
  | 'absolute_target_foreign'
  | 'path_encoded_separator'
  | 'path_invalid_escape'
  | 'path_forbidden_character'
  | 'path_above_root'
  | 'path_invalid_utf8'
  | 'query_invalid';

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
// pchar minus ';' (RFC 3986 §3.3), plus '/'; '%' handled separately.
const PATH_CHAR = /^[A-Za-z0-9\-._~!$&'()*+,=:@/]$/;
const QUERY_CHAR = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/?[\]]$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const MAX_TARGET = 8192;

/**
 * Canonicalizes a raw request-target. `gatewayHost` is the request's own Host header value: an
 * absolute-form target is accepted only when it names that same authority (RFC 9112 §3.2.2).
 */
export function canonicalTarget(raw: string, gatewayHost: string | undefined): TargetResult {
  if (raw.length === 0 || raw.length > MAX_TARGET) return { ok: false, reason: 'invalid_target' };
  let target = raw;
  if (!raw.startsWith('/')) {
    const m = /^https?:\/\/([^/?#]*)(.*)$/i.exec(raw);
    if (!m) return { ok: false, reason: 'invalid_target' };
    if (gatewayHost === undefined || (m[1] ?? '').toLowerCase() !== gatewayHost.toLowerCase()) return { ok: false, reason: 'absolute_target_foreign' };
    target = m[2] === '' ? '/' : (m[2] ?? '/');
    if (!target.startsWith('/')) return { ok: false, reason: 'invalid_target' };
  }
  if (target.includes('#')) return { ok: false, reason: 'path_forbidden_character' };
  const q = target.indexOf('?');
  const rawPath = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? '' : target.slice(q + 1);
  const path = canonicalPath(rawPath);
  if (typeof path !== 'string') return path;
  if (!validQuery(query)) return { ok: false, reason: 'query_invalid' };
  return { ok: true, path, query: withoutCredentials(query) };
}

function canonicalPath(raw: string): string | { ok: false; reason: TargetReason } {
  const segments: string[] = [];
  for (const seg of raw.split('/')) {
    const decoded = decodeSegment(seg);
    if (typeof decoded !== 'string') return decoded;
    if (decoded === '' || decoded === '.') continue;
    if (decoded === '..') {
      if (segments.length === 0) return { ok: false, reason: 'path_above_root' };
      segments.pop();
      continue;
    }
    segments.push(decoded);
  }
  return '/' + segments.join('/');
}

function decodeSegment(seg: string): string | { ok: false; reason: TargetReason } {
  let out = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i] as string;
    if (c !== '%') {
      if (!PATH_CHAR.test(c)) return { ok: false, reason: 'path_forbidden_character' };
      out += c;
      continue;
    }
    // A run of escapes: decode the bytes together so multi-byte UTF-8 is checked as a whole.
    const bytes: number[] = [];
    while (i < seg.length && seg[i] === '%') {
      const hex = seg.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return { ok: false, reason: 'path_invalid_escape' };
      bytes.push(parseInt(hex, 16));
      i += 3;
    }
    i--;
    const run = escapeRun(bytes);
    if (typeof run !== 'string') return run;
    out += run;
  }
  return out;
}

function escapeRun(bytes: readonly number[]): string | { ok: false; reason: TargetReason } {
  let text: string;
  try {
    text = utf8.decode(Uint8Array.from(bytes));
  } catch {
    return { ok: false, reason: 'path_invalid_utf8' };
  }
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '/' || ch === '\\' || ch === '%' || ch === ';') return { ok: false, reason: 'path_encoded_separator' };
    if (cp <= 0x20 || cp === 0x7f || (cp >= 0x80 && cp <= 0x9f) || ch === '\u2028' || ch === '\u2029') return { ok: false, reason: 'path_forbidden_character' };
    out += UNRESERVED.test(ch) ? ch : encodeUpper(ch);
  }
  return out;
}

function encodeUpper(ch: string): string {
  return Array.from(new TextEncoder().encode(ch), (b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join('');
}

function validQuery(query: string): boolean {
  for (let i = 0; i < query.length; i++) {
    const c = query[i] as string;
    if (c === '%') {
      const bytes: number[] = [];
      while (i < query.length && query[i] === '%') {
        const hex = query.slice(i + 1, i + 3);
        if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return false;
        bytes.push(parseInt(hex, 16));
        i += 3;
      }
      i--;
      let text: string;
      try { text = utf8.decode(Uint8Array.from(bytes)); } catch { return false; }
      if (/[\u0000-\u001f\u007f]/.test(text)) return false;
      continue;
    }
    if (!QUERY_CHAR.test(c)) return false;
  }
  return true;
}

/** Query parameter names (decoded, lower-cased) that carry a client credential in some tool API. */
const CREDENTIAL_PARAMS: ReadonlySet<string> = new Set(['access_token', 'api_key', 'apikey', 'api-key', 'private_token', 'client_secret', 'auth_token', 'id_token', 'refresh_token', 'x-api-key']);

function withoutCredentials(query: string): string {
  if (query === '') return query;
  const kept = query.split('&').filter((pair) => {
    const name = pair.split('=', 1)[0] ?? '';
    let decoded: string;
    try { decoded = decodeURIComponent(name.replaceAll('+', ' ')); } catch { decoded = name; }
    return !CREDENTIAL_PARAMS.has(decoded.toLowerCase());
  });
  return kept.join('&');
}

/** Decoded query pairs (application/x-www-form-urlencoded rules, as upstream APIs decode them). */
export function queryPairs(query: string): [string, string][] {
  return query === '' ? [] : [...new URLSearchParams(query)];
}
