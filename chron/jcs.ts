import canonicalize from 'canonicalize';
import { ChronError } from './errors.js';

/**
 * Serialises a record with RFC 8785 (JCS) and returns its UTF-8 bytes — the exact bytes stored
 * and hashed as the entry. Only plain JSON is accepted (objects with Object/null prototype,
 * arrays, strings, finite numbers, booleans, null): anything JSON.stringify would silently drop
 * or change (undefined, functions, symbols, bigint, NaN/Infinity, Dates, Maps, cycles) is
 * rejected with ERR_CHRON_RECORD, so an entry never differs from what the caller meant.
 *
 * Fast path (`serialize`): JCS writes strings and numbers exactly as JSON.stringify does and orders
 * object keys by UTF-16 code units, which is what the default sort compares; the sorted key order and
 * the serialised `"key":` prefixes are cached per record shape (the gateway writes a handful of shapes),
 * so a decision entry costs one JSON.stringify per string value. Anything that is not plain JSON goes to
 * the checks below, which name the bad path. test/chron/jcs.test.ts holds the result byte-for-byte to
 * the reference `canonicalize` library on 20,000 generated records.
 */
export function canonicalBytes(record: unknown): Buffer {
  const text = serialize(record, []);
  if (text !== NOT_PLAIN) return Buffer.from(text, 'utf8');
  // Not plain JSON: name the bad path. (The reference library below is a last line of defence only.)
  if (!isPlainJson(record, [])) checkPlainJson(record, '$', new Set());
  return Buffer.from(referenceCanonicalize(record), 'utf8');
}

/** RFC 8785 text by the reference library. Precondition: `record` is plain JSON (checked by the caller). */
export function referenceCanonicalize(record: unknown): string {
  const text = (canonicalize as unknown as (v: unknown) => string | undefined)(record);
  if (typeof text !== 'string') throw new ChronError('ERR_CHRON_RECORD', 'record must serialise to JSON');
  return text;
}

const NOT_PLAIN: unique symbol = Symbol('not plain JSON');

/** A record shape: its keys in insertion order (to confirm a cache hit), sorted, and as `"key":` prefixes. */
interface Shape { readonly keys: readonly string[]; readonly sorted: readonly string[]; readonly prefixes: readonly string[] }

/**
 * Shapes, looked up by key count and first key and confirmed key by key (cheaper than joining the keys).
 * Bounded: emptied when MAX_SHAPES are held, so records with ever-new keys cannot grow it.
 */
const shapes = new Map<string, Shape[]>();
let shapeCount = 0;
const MAX_SHAPES = 512;

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function shapeOf(keys: string[]): Shape {
  const id = `${keys.length}\u0000${keys[0] ?? ''}`;
  const candidates = shapes.get(id);
  if (candidates !== undefined) for (const c of candidates) if (sameKeys(c.keys, keys)) return c;
  const sorted = [...keys].sort();
  const shape: Shape = { keys, sorted, prefixes: sorted.map((k) => `${JSON.stringify(k)}:`) };
  if (shapeCount >= MAX_SHAPES) {
    // Full (records with ever-new keys): start over rather than keep stale shapes forever.
    shapes.clear();
    shapeCount = 0;
  }
  shapeCount += 1;
  const list = shapes.get(id);
  if (list === undefined) shapes.set(id, [shape]);
  else list.push(shape);
  return shape;
}

/** RFC 8785 text of `v`, or NOT_PLAIN (the rules of checkPlainJson). `stack` holds the objects being visited (cycles). */
function serialize(v: unknown, stack: object[]): string | typeof NOT_PLAIN {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : NOT_PLAIN;
    case 'object': {
      if (v === null) return 'null';
      if (stack.includes(v)) return NOT_PLAIN;
      stack.push(v);
      let out: string | typeof NOT_PLAIN;
      if (Array.isArray(v)) {
        out = '[';
        for (let i = 0; i < v.length; i++) {
          const item = serialize(v[i], stack);
          if (item === NOT_PLAIN) { out = NOT_PLAIN; break; }
          out += i === 0 ? item : `,${item}`;
        }
        if (out !== NOT_PLAIN) out += ']';
      } else {
        const proto = Object.getPrototypeOf(v) as unknown;
        if (proto !== Object.prototype && proto !== null) out = NOT_PLAIN;
        else {
          const { sorted, prefixes } = shapeOf(Object.keys(v));
          out = '{';
          for (let i = 0; i < sorted.length; i++) {
            const item = serialize((v as Record<string, unknown>)[sorted[i] as string], stack);
            if (item === NOT_PLAIN) { out = NOT_PLAIN; break; }
            out += i === 0 ? `${prefixes[i] as string}${item}` : `,${prefixes[i] as string}${item}`;
          }
          if (out !== NOT_PLAIN) out += '}';
        }
      }
      stack.pop();
      return out;
    }
    default:
      return NOT_PLAIN;
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
