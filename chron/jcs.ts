import canonicalize from 'canonicalize';
import { ChronError } from './errors.js';

/**
 * Serialises a record with RFC 8785 (JCS) and returns its UTF-8 bytes — the exact bytes stored
 * and hashed as the entry. Only plain JSON is accepted (objects with Object/null prototype,
 * arrays, strings, finite numbers, booleans, null): anything JSON.stringify would silently drop
 * or change (undefined, functions, symbols, bigint, NaN/Infinity, Dates, Maps, cycles) is
 * rejected with ERR_CHRON_RECORD, so an entry never differs from what the caller meant.
 */
export function canonicalBytes(record: unknown): Buffer {
  // The allocation-free check runs on every append; only a record that fails it is walked again to name the bad path.
  if (!isPlainJson(record, [])) checkPlainJson(record, '$', new Set());
  const text = (canonicalize as unknown as (v: unknown) => string | undefined)(record);
  if (typeof text !== 'string') throw new ChronError('ERR_CHRON_RECORD', 'record must serialise to JSON');
  return Buffer.from(text, 'utf8');
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
        v.forEach((item, i) => checkPlainJson(item, `${path}[${i}]`, seen));
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
