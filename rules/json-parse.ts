/**
 * A strict RFC 8259 JSON parser producing BodyValue: duplicate object keys are rejected (after
 * unescaping, so `{"event":1,"\u0065vent":2}` is a duplicate), numbers keep their exact text,
 * objects are Maps (no `__proto__` games), nesting depth is capped, unpaired surrogate escapes and
 * anything outside the grammar (comments, trailing commas, NaN, single quotes) are rejected.
 * Written here because `JSON.parse` on Node 20 loses duplicates and number precision.
 */
import type { BodyValue } from './types.js';

/** Why a JSON text was refused. */
export type JsonReject = 'body_invalid_json' | 'body_duplicate_key' | 'body_too_deep';

/** Default maximum nesting of arrays and objects. */
export const MAX_JSON_DEPTH = 64;

const TRUE: BodyValue = Object.freeze({ t: 'bool', v: true });
const FALSE: BodyValue = Object.freeze({ t: 'bool', v: false });
const NULL: BodyValue = Object.freeze({ t: 'null' });

class Reject { constructor(readonly reason: JsonReject) {} }

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * Parse `text` (already decoded from UTF-8, BOM already refused) as one JSON value.
 * Returns the value or the reason; never throws.
 */
export function parseJson(text: string, maxDepth = MAX_JSON_DEPTH): { ok: true; value: BodyValue } | { ok: false; reason: JsonReject } {
  let i = 0;
  const fail = (reason: JsonReject = 'body_invalid_json'): never => { throw new Reject(reason); };
  const ws = (): void => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++; else return;
    }
  };
  const str = (): string => {
    i++; // opening quote
    let out = '';
    for (;;) {
      const start = i;
      while (i < text.length) {
        const c = text.charCodeAt(i);
        if (c === 0x22 || c === 0x5c || c < 0x20) break;
        i++;
      }
      out += text.slice(start, i);
      if (i >= text.length) fail();
      const c = text[i];
      if (c === '"') { i++; return out; }
      if (c !== '\\') fail(); // raw control character
      const e = text[i + 1];
      if (e === 'u') {
        const code = hex4(i + 2);
        i += 6;
        if (code >= 0xd800 && code <= 0xdbff) {
          if (text[i] !== '\\' || text[i + 1] !== 'u') fail();
          const low = hex4(i + 2);
          if (low < 0xdc00 || low > 0xdfff) fail();
          i += 6;
          out += String.fromCharCode(code, low);
        } else if (code >= 0xdc00 && code <= 0xdfff) fail();
        else out += String.fromCharCode(code);
      } else {
        const r = e === undefined ? undefined : ESCAPES[e];
        if (r === undefined) fail();
        out += r;
        i += 2;
      }
    }
  };
  const hex4 = (at: number): number => {
    const h = text.slice(at, at + 4);
    if (!/^[0-9A-Fa-f]{4}$/.test(h)) fail();
    return parseInt(h, 16);
  };
  const value = (depth: number): BodyValue => {
    ws();
    const c = text[i];
    if (c === '{') {
      if (depth >= maxDepth) fail('body_too_deep');
      i++;
      const map = new Map<string, BodyValue>();
      ws();
      if (text[i] === '}') { i++; return { t: 'obj', v: map }; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        const key = str();
        ws();
        if (text[i] !== ':') fail();
        i++;
        const v = value(depth + 1);
        if (map.has(key)) fail('body_duplicate_key');
        map.set(key, v);
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return { t: 'obj', v: map }; }
        fail();
      }
    }
    if (c === '[') {
      if (depth >= maxDepth) fail('body_too_deep');
      i++;
      const arr: BodyValue[] = [];
      ws();
      if (text[i] === ']') { i++; return { t: 'arr', v: arr }; }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return { t: 'arr', v: arr }; }
        fail();
      }
    }
    if (c === '"') return { t: 'str', v: str() };
    if (c === 't' || c === 'f' || c === 'n') {
      if (text.startsWith('true', i)) { i += 4; return TRUE; }
      if (text.startsWith('false', i)) { i += 5; return FALSE; }
      if (text.startsWith('null', i)) { i += 4; return NULL; }
      return fail();
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m || m[0].length === 0) return fail();
    i += m[0].length;
    return { t: 'num', v: m[0] };
  };
  try {
    const v = value(0);
    ws();
    if (i !== text.length) fail();
    return { ok: true, value: v };
  } catch (e) {
    if (e instanceof Reject) return { ok: false, reason: e.reason };
    throw e;
  }
}
