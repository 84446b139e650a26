import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalTarget } from '../../gateway/canonical/target.js';
import { prng } from '../helpers/prng.js';

/**
 * Property tests of `canonicalTarget` (issue 4, CASES.md "P"): random request-targets from a seeded PRNG,
 * biased towards the characters attacks are made of (dots, slashes, escapes of separators and dots, `;`,
 * `\`, `#`, `?`, non-ASCII and control characters). For every input: it never throws; an accepted
 * target's canonical form is a fixed point; that form never holds a dot segment, `//`, an encoded
 * slash/backslash/NUL/percent/dot or an escape of an unreserved character; and decoding it once never
 * changes its segments (so no later decoder — the upstream's — can read another path out of it).
 */


// Pieces a canonicalizer must accept (and resolve), and pieces it must refuse; mixed 85/15 so that both
// sides are exercised.
const SAFE = [
  '/', '/', '/', '.', '..', '/./', '/../', '//', 'a', 'repos', 'merge', '7', '~', '-', '_', '?', '&', '=', '+', '@', ':', '!', '$',
  "'", '(', ')', '*', ',', '%2e', '%2E', '%41', '%61', '%7e', '%7E', '%20', '%3F', '%3f', '%c3%a9', '%e2%82%ac', '%5B', '%40',
];
const HOSTILE = [
  '#', ';', '\\', ' ', '%2f', '%2F', '%5c', '%5C', '%00', '%25', '%3b', '%0d', '%0A', '%1b', '%e2%80%a8', '%C0%AF', '%ff', '%e2%82',
  '%', '%g1', '%2', '[', ']', '\u00e9', '\u2028', '\u0000', '\u007f', '\r', '\n', '\t',
];

function randomTarget(rand: () => number): string {
  const n = 1 + Math.floor(rand() * 14);
  let s = rand() < 0.9 ? '/' : '';
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.03) s += String.fromCharCode(Math.floor(rand() * 256));
    else if (r < 0.1) s += HOSTILE[Math.floor(rand() * HOSTILE.length)] as string;
    else s += SAFE[Math.floor(rand() * SAFE.length)] as string;
  }
  return s;
}

function randomBytes(rand: () => number): string {
  const n = Math.floor(rand() * 40);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(Math.floor(rand() * 256));
  return rand() < 0.5 ? `/${s}` : s;
}

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** Checks the invariants of one canonical path; returns the first broken one, or null. */
function brokenInvariant(path: string): string | null {
  if (!path.startsWith('/')) return 'does not start with /';
  if (path.includes('//')) return 'holds //';
  if (path.length > 1 && path.endsWith('/')) return 'ends with /';
  if (/%(2F|5C|00|25|2E)/i.test(path)) return 'holds an encoded separator, NUL, percent or dot';
  if (/[^A-Za-z0-9\-._~!$&'()*+,=:@/%]/.test(path)) return 'holds a character outside pchar';
  if (/%(?![0-9A-F]{2})/.test(path)) return 'holds a malformed or lower-case escape';
  for (const seg of path.split('/').slice(1)) {
    if (seg === '.' || seg === '..') return 'holds a dot segment';
    let decoded: string;
    try { decoded = decodeURIComponent(seg); } catch { return 'holds an escape that is not UTF-8'; }
    if (decoded.includes('/') || decoded.includes('\\')) return 'decodes to a separator';
    if (decoded === '.' || decoded === '..') return 'decodes to a dot segment';
    for (const m of seg.matchAll(/%([0-9A-F]{2})/g)) {
      const byte = parseInt(m[1] as string, 16);
      if (byte < 0x80 && UNRESERVED.test(String.fromCharCode(byte))) return 'keeps an escaped unreserved character';
    }
  }
  return null;
}

function checkOne(raw: string): void {
  let r: ReturnType<typeof canonicalTarget>;
  try {
    r = canonicalTarget(raw, 'gw.test');
  } catch (e) {
    assert.fail(`threw on ${JSON.stringify(raw)}: ${String(e)}`);
  }
  if (!r.ok) {
    assert.equal(typeof r.reason, 'string');
    return;
  }
  const broken = brokenInvariant(r.path);
  assert.equal(broken, null, `${JSON.stringify(raw)} → ${JSON.stringify(r.path)}: ${broken}`);
  assert.equal(/[#\s\u0000-\u001f\u007f-\uffff]/.test(r.query), false, `${JSON.stringify(raw)}: query ${JSON.stringify(r.query)}`);
  const again = canonicalTarget(r.query === '' ? r.path : `${r.path}?${r.query}`, 'gw.test');
  assert.deepEqual(again, r, `not idempotent: ${JSON.stringify(raw)} → ${JSON.stringify(r)} → ${JSON.stringify(again)}`);
}

test('canonicalTarget – 4000 attack-shaped random targets: never throws, idempotent, no ambiguity survives', () => {
  const rand = prng(0xc1a11);
  let accepted = 0;
  for (let i = 0; i < 4000; i++) {
    const raw = randomTarget(rand);
    checkOne(raw);
    if (canonicalTarget(raw, 'gw.test').ok) accepted++;
  }
  // The generator must exercise the accepting side too, or the invariants above prove nothing.
  assert.ok(accepted > 400, `only ${accepted} targets accepted`);
});

test('canonicalTarget – 3000 random byte strings: never throws, every accepted form is canonical', () => {
  const rand = prng(0x5eed);
  for (let i = 0; i < 3000; i++) checkOne(randomBytes(rand));
});

test('canonicalTarget – an accepted target and its canonical form name the same resource after one decode', () => {
  const rand = prng(42);
  for (let i = 0; i < 3000; i++) {
    const raw = randomTarget(rand);
    const r = canonicalTarget(raw, 'gw.test');
    if (!r.ok) continue;
    // Reference: split the raw path on '/', decode each segment once, resolve dot segments (RFC 3986 §5.2.4).
    const q = raw.indexOf('?');
    const rawPath = q === -1 ? raw : raw.slice(0, q);
    const out: string[] = [];
    for (const seg of rawPath.split('/')) {
      const d = decodeURIComponent(seg);
      if (d === '' || d === '.') continue;
      if (d === '..') { out.pop(); continue; }
      out.push(d);
    }
    const decodedCanonical = r.path.split('/').slice(1).filter((s) => s !== '').map((s) => decodeURIComponent(s));
    assert.deepEqual(decodedCanonical, out, `${JSON.stringify(raw)} → ${r.path}`);
  }
});
