import canonicalize from 'canonicalize';
import { ChronError } from './errors.js';

/**
 * Serialises a record with RFC 8785 (JCS) and returns its UTF-8 bytes — the exact bytes stored
 * and hashed as the entry. Only plain JSON is accepted (objects with Object/null prototype,
 * arrays, strings, finite numbers, booleans, null): anything JSON.stringify would silently drop
 * or change (undefined, functions, symbols, bigint, NaN/Infinity, Dates, Maps, cycles) is
 * rejected with ERR_CHRON_RECORD, so an entry never differs from what the caller meant.
 *
 * Fast path: a copy of the record with every object's keys inserted in sorted order, written by
 * the native JSON.stringify. JCS serialises strings and numbers exactly as JSON.stringify does and
 * orders keys by UTF-16 code units, which is what the default sort compares; JSON.stringify keeps
 * insertion order except for array-index keys (V8 writes those first, in numeric order) and an own
 * `__proto__` key cannot be copied by assignment, so a record with a key that starts with a digit or
 * is `__proto__` goes to the reference `canonicalize` library instead. test/chron/jcs.test.ts checks
 * both paths against the library on generated records.
 */
export function canonicalBytes(record: unknown): Buffer {
  const sorted = sortedCopy(record, []);
  if (sorted !== UNSORTABLE) return Buffer.from(JSON.stringify(sorted), 'utf8');
  // Not plain JSON (name the bad path), or a key the fast path leaves to the library.
  if (!isPlainJson(record, [])) checkPlainJson(record, '$', new Set());
  return Buffer.from(referenceCanonicalize(record), 'utf8');
}

/** RFC 8785 text by the reference library. Precondition: `record` is plain JSON (checked by the caller). */
export function referenceCanonicalize(record: unknown): string {
  const text = (canonicalize as unknown as (v: unknown) => string | undefined)(record);
  if (typeof text !== 'string') throw new ChronError('ERR_CHRON_RECORD', 'record must serialise to JSON');
  return text;
}

const UNSORTABLE: unique symbol = Symbol('unsortable');

/**
 * `v` with object keys in sorted insertion order (primitives as they are), or UNSORTABLE when `v` is
 * not plain JSON (the rules of checkPlainJson) or has a key the fast path cannot order (see canonicalBytes).
 * `stack` holds the objects being visited (cycles).
 */
function sortedCopy(v: unknown, stack: object[]): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? v : UNSORTABLE;
    case 'object': {
      if (v === null) return null;
      if (stack.includes(v)) return UNSORTABLE;
      stack.push(v);
      let out: unknown;
      if (Array.isArray(v)) {
        const arr: unknown[] = new Array<unknown>(v.length);
        out = arr;
        for (let i = 0; i < v.length; i++) {
          const c = sortedCopy(v[i], stack);
          if (c === UNSORTABLE) { out = UNSORTABLE; break; }
          arr[i] = c;
        }
      } else {
        const proto = Object.getPrototypeOf(v) as unknown;
        if (proto !== Object.prototype && proto !== null) out = UNSORTABLE;
        else {
          const keys = Object.keys(v).sort();
          const obj: Record<string, unknown> = {};
          out = obj;
          for (const k of keys) {
            const c0 = k.charCodeAt(0);
            const c = (c0 >= 0x30 && c0 <= 0x39) || k === '__proto__' ? UNSORTABLE : sortedCopy((v as Record<string, unknown>)[k], stack);
            if (c === UNSORTABLE) { out = UNSORTABLE; break; }
            obj[k] = c;
          }
        }
      }
      stack.pop();
      return out;
    }
    default:
      return UNSORTABLE;
  }
}

/** True when `v` is plain JSON (the rules of checkPlainJson); `stack` holds the objects being visited (cycles). */
function isPlainJson(v: unknown, stack: object[]): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v);
    case 'object': {
      if (v === null) return true;
      if (stack.includes(v)) return false;
      stack.push(v);
      let ok = true;
      if (Array.isArray(v)) {
        for (let i = 0; ok && i < v.length; i++) ok = isPlainJson(v[i], stack);
      } else {
        const proto = Object.getPrototypeOf(v) as unknown;
        ok = proto === Object.prototype || proto === null;
        for (const k in v) {
          if (!ok) break;
          if (Object.hasOwn(v, k)) ok = isPlainJson((v as Record<string, unknown>)[k], stack);
        }
      }
      stack.pop();
      return ok;
    }
    default:
      return false;
  }
}

function checkPlainJson(v: unknown, path: string, seen: Set<object>): void {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(v)) throw new ChronError('ERR_CHRON_RECORD', `${path} must be a finite number`);
      return;
    case 'object': {
      if (v === null) return;
      if (seen.has(v)) throw new ChronError('ERR_CHRON_RECORD', `${path} must not be a cycle`);
      seen.add(v);
      if (Array.isArray(v)) {
        // A for loop, not forEach: a hole is undefined and rejected, not skipped.
        for (let i = 0; i < v.length; i++) checkPlainJson(v[i], `${path}[${i}]`, seen);
      } else {
        const proto = Object.getPrototypeOf(v) as unknown;
        if (proto !== Object.prototype && proto !== null) throw new ChronError('ERR_CHRON_RECORD', `${path} must be a plain object`);
        for (const [k, item] of Object.entries(v)) checkPlainJson(item, `${path}.${k}`, seen);
      }
      seen.delete(v);
      return;
    }
    default:
      throw new ChronError('ERR_CHRON_RECORD', `${path} must be JSON (got ${typeof v})`);
  }
}
