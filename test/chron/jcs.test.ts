import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalBytes, referenceCanonicalize } from '../../chron/jcs.js';
import { prng } from '../helpers/prng.js';

// canonicalBytes writes records with its own shape-cached serialiser; these tests hold it
// byte-for-byte to the reference `canonicalize` library on generated records (fixed seeds, so a
// failure reproduces), including more shapes than the cache keeps.

// Pieces chosen to hit JCS's hard parts: UTF-16 ordering beyond the BMP, escapes, lone surrogates,
// keys that look like array indices, __proto__, and numbers whose shortest form is exponential.
const KEY_PIECES = ['a', 'b', 'B', 'z', '_', '-', 'é', '€', '\u{1F600}', '\uFFFD', '\uD800', '\n', '"', '\\', ' ', '1', '10', '9', '0', 'type', 'decision_id', '__proto__', 'toJSON', 'constructor', ''];
const STR_PIECES = ['', 'x', 'Ä', '\u0000', '\u001f', '\u007f', '\u2028', '\u{1F4A9}', '\uDC00', '"', '\\', '/', '<script>', ' ', '0'];
const NUMBERS = [0, -0, 1, -1, 0.1, 1e21, 1e-7, 123456789012345680000, 5e-324, Number.MAX_VALUE, -Number.MIN_VALUE, 1 / 3, 4.5, 2 ** 53, -(2 ** 31)];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)] as T;
}

function str(r: () => number, pieces: readonly string[]): string {
  let s = '';
  for (let n = Math.floor(r() * 4); n > 0; n--) s += pick(r, pieces);
  return s;
}

function value(r: () => number, depth: number, digitKeys: boolean): unknown {
  const k = r();
  if (depth > 3 || k < 0.45) {
    const p = r();
    if (p < 0.3) return str(r, STR_PIECES);
    if (p < 0.6) return r() < 0.5 ? pick(r, NUMBERS) : (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20);
    if (p < 0.8) return r() < 0.5;
    return null;
  }
  if (k < 0.65) return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1, digitKeys));
  const o: Record<string, unknown> = r() < 0.1 ? Object.create(null) as Record<string, unknown> : {};
  for (let n = Math.floor(r() * 6); n > 0; n--) {
    let key = str(r, KEY_PIECES);
    if (!digitKeys) key = key.replace(/^[0-9]+/, '') || 'k';
    // Assignment to `__proto__` would set the prototype; define it as an own property, as JSON.parse does.
    Object.defineProperty(o, key, { value: value(r, depth + 1, digitKeys), enumerable: true, writable: true, configurable: true });
  }
  return o;
}

test('canonicalBytes – byte-identical to the reference library on 20,000 generated records', () => {
  for (const [seed, digitKeys] of [[1, false], [2, true], [3, false], [4, true]] as const) {
    const r = prng(seed);
    for (let i = 0; i < 5000; i++) {
      const v = value(r, 0, digitKeys);
      assert.equal(canonicalBytes(v).toString('utf8'), referenceCanonicalize(v), `seed ${seed} record ${i}: ${JSON.stringify(v)}`);
    }
  }
});

test('canonicalBytes – array-index-like keys, an own __proto__ key, null prototypes, lone surrogates', () => {
  // V8 keeps array-index keys first in numeric order; RFC 8785 sorts "10" before "9".
  assert.equal(canonicalBytes({ b: 1, 10: 'x', 9: 'y', a: [{ 2: 0, 1: 0 }] }).toString(), '{"10":"x","9":"y","a":[{"1":0,"2":0}],"b":1}');
  // An own __proto__ key (as JSON.parse makes it) is data, not the prototype.
  assert.equal(canonicalBytes(JSON.parse('{"z":1,"__proto__":{"p":2}}')).toString(), '{"__proto__":{"p":2},"z":1}');
  // Null-prototype objects, nested arrays, numbers in shortest form, lone surrogates escaped.
  const np = Object.assign(Object.create(null) as object, { y: [1e21, -0, 0.1], x: '\uD800' });
  assert.equal(canonicalBytes(np).toString(), '{"x":"\\ud800","y":[1e+21,0,0.1]}');
});

test('canonicalBytes – records that share a key count and first key, or differ only in key order, are each serialised by their own keys', () => {
  // The shape cache is keyed by key count and first key; a hit must still be confirmed key by key.
  const records: Record<string, unknown>[] = [
    { x: 1, a: 'A', b: true }, { x: 1, b: 'B', c: null }, { x: 2, a: 'A', b: false }, { b: 1, a: 2, x: 3 },
    { 'a\u0000b': 1, c: 2 }, { a: 1, 'b\u0000c': 2 }, { x: 1, a: { x: 1, b: [] } },
  ];
  for (let round = 0; round < 3; round++) {
    for (const r of records) assert.equal(canonicalBytes(r).toString('utf8'), referenceCanonicalize(r), JSON.stringify(r));
  }
  // A cached shape applied to the wrong record would read that record's missing key through the
  // prototype chain: with Object.prototype polluted, that would put a value into the entry.
  Object.defineProperty(Object.prototype, 'zz', { value: 'polluted', configurable: true });
  try {
    assert.equal(canonicalBytes({ q: 1, r: 2, zz: 3 }).toString('utf8'), '{"q":1,"r":2,"zz":3}');
    assert.equal(canonicalBytes({ q: 1, r: 2, s: 4 }).toString('utf8'), '{"q":1,"r":2,"s":4}');
  } finally {
    delete (Object.prototype as Record<string, unknown>).zz;
  }
});

test('canonicalBytes – anything that is not plain JSON is ERR_CHRON_RECORD naming where it is', () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  // eslint-disable-next-line no-sparse-arrays
  const cases: [unknown, RegExp][] = [
    [{ a: { b: undefined } }, /\$\.a\.b must be JSON/],
    [{ 1: { b: undefined } }, /\$\.1\.b must be JSON/],
    [{ a: [1, , 3] }, /\$\.a\[1\] must be JSON/],
    [{ a: [Infinity] }, /\$\.a\[0\] must be a finite number/],
    [{ a: new Map() }, /\$\.a must be a plain object/],
    [cyclic, /\$\.self must not be a cycle/],
    [{ a: Symbol('s') }, /\$\.a must be JSON/],
  ];
  for (const [bad, msg] of cases) assert.throws(() => canonicalBytes(bad), (e: unknown) => (e as { code?: string }).code === 'ERR_CHRON_RECORD' && msg.test((e as Error).message), String(msg));
});
