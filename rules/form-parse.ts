/**
 * Strict application/x-www-form-urlencoded parsing with Stripe's bracket keys:
 * `metadata[order]=1`, `items[0][price]=p`, `expand[]=a&expand[]=b`. A key set twice, a key used
 * both as a value and as a container, an index not written as a plain decimal (`[00]`, `[+1]`, `[ 2]`),
 * malformed brackets or percent-escapes, invalid UTF-8 and a `_method` override are refused. Values are strings (`str`); `[]` lists become arrays, every
 * other container an object (so `items[0]` and `items[*]` work on it).
 */
import type { BodyValue } from './types.js';

/** Why a form body was refused. */
export type FormReject = 'body_invalid_form' | 'body_duplicate_key' | 'body_invalid_utf8' | 'body_method_override';

class Reject { constructor(readonly reason: FormReject) {} }
const refuse = (reason: FormReject): never => { throw new Reject(reason); };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const KEY = /^([^[\]]+)((?:\[[^[\]]*\])*)$/;
/** A bracket segment a lenient integer reader (Ruby's Integer(), say) reads as a number: signs, spaces, `_`, 0x/0b/0o. */
const NUMERIC_LIKE = /^\s*[+-]?(?:\d[\d_]*|0[xob][0-9a-f_]+)\s*$/i;
const CANONICAL_INDEX = /^(?:0|[1-9]\d*)$/;

const utf8Encoder = new TextEncoder();

function decode(s: string): string {
  if (!s.includes('%') && !s.includes('+')) return s;
  const src = utf8Encoder.encode(s);
  const out = new Uint8Array(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as number;
    if (c === 0x2b) out[n++] = 0x20;
    else if (c === 0x25) {
      const h = String.fromCharCode(src[i + 1] ?? 0, src[i + 2] ?? 0);
      if (!/^[0-9A-Fa-f]{2}$/.test(h)) refuse('body_invalid_form');
      out[n++] = parseInt(h, 16);
      i += 2;
    } else out[n++] = c;
  }
  try { return utf8.decode(out.subarray(0, n)); } catch { return refuse('body_invalid_utf8'); }
}

type Tree = Map<string, Tree | string> | string[];

function insert(root: Map<string, Tree | string>, name: string, value: string): void {
  const m = KEY.exec(name);
  if (!m) return refuse('body_invalid_form');
  const segs = [m[1] as string, ...Array.from((m[2] as string).matchAll(/\[([^[\]]*)\]/g), (x) => x[1] as string)];
  let cur: Map<string, Tree | string> = root;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i] as string;
    const last = i === segs.length - 1;
    const nextIsAppend = segs[i + 1] === '';
    if (seg === '') return refuse('body_invalid_form'); // '[]' handled by the parent step; nothing may follow it
    // `items[0]` and `items[00]` (or `[+0]`, `[ 0]`) are two keys here but one index to readers that turn
    // numeric keys into integers: an index must be written one way only.
    if (i > 0 && NUMERIC_LIKE.test(seg) && !CANONICAL_INDEX.test(seg)) return refuse('body_invalid_form');
    const existing = cur.get(seg);
    if (last) {
      if (existing !== undefined) return refuse(typeof existing === 'string' ? 'body_duplicate_key' : 'body_invalid_form');
      cur.set(seg, value);
      return;
    }
    if (nextIsAppend) {
      if (i + 1 !== segs.length - 1) return refuse('body_invalid_form');
      if (existing === undefined) cur.set(seg, [value]);
      else if (Array.isArray(existing)) existing.push(value);
      else return refuse('body_invalid_form');
      return;
    }
    if (existing === undefined) { const n = new Map<string, Tree | string>(); cur.set(seg, n); cur = n; }
    else if (existing instanceof Map) cur = existing;
    else return refuse('body_invalid_form');
  }
}

function toValue(t: Tree | string): BodyValue {
  if (typeof t === 'string') return { t: 'str', v: t };
  if (Array.isArray(t)) return { t: 'arr', v: t.map((v) => ({ t: 'str', v })) };
  return { t: 'obj', v: new Map([...t].map(([k, v]) => [k, toValue(v)])) };
}

/**
 * Parse a form body (already checked to be valid UTF-8 by the caller or not: it is checked here
 * after percent-decoding). Empty pairs (`a=1&&b=2`) are skipped; a name without `=` has value ''.
 * Returns an object value or the reason; never throws.
 */
export function parseForm(text: string): { ok: true; value: BodyValue } | { ok: false; reason: FormReject } {
  try {
    const root = new Map<string, Tree | string>();
    for (const piece of text.split('&')) {
      if (piece === '') continue;
      const eq = piece.indexOf('=');
      const name = decode(eq < 0 ? piece : piece.slice(0, eq));
      const value = eq < 0 ? '' : decode(piece.slice(eq + 1));
      if (name === '_method') refuse('body_method_override');
      insert(root, name, value);
    }
    return { ok: true, value: toValue(root) };
  } catch (e) {
    if (e instanceof Reject) return { ok: false, reason: e.reason };
    throw e;
  }
}
