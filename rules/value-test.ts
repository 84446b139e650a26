/**
 * Tests on values (docs/rules.md "Tests"): equals, in, not_in, exists, missing, gt/gte/lt/lte
 * (exact decimal), glob, regex, and the any/all quantifier over several values. Compiled once;
 * evaluation is allocation-light and never throws.
 */
import { compareDecimal, isDecimal, literalDecimal, parseDecimal, type Decimal } from './decimal.js';
import type { BodyValue, Effect, Scalar, TestSpec } from './types.js';

/** Where problems go while compiling; `path` is relative to the test. */
export type Report = (code: 'ERR_RULE_TEST_INVALID' | 'ERR_RULE_NUMBER_UNSAFE' | 'ERR_RULE_REGEX_INVALID' | 'ERR_RULE_UNKNOWN_KEY',
  path: readonly (string | number)[], message: string) => void;

/** One slot: a value, or undefined when missing. */
export type Slot = BodyValue | undefined;

/** A check on one slot. `text` is true for query, header and form values (all strings on the wire). */
type Pred = (slot: Slot, text: boolean) => boolean;

/** A compiled test. `quant` undefined means the effect decides: allow → all, deny → any. */
export interface CompiledTest { readonly quant: 'any' | 'all' | undefined; readonly preds: readonly Pred[] }

/** The normalised form of a literal, for the policy digest and for equality. */
type Lit = { t: 'null' } | { t: 'bool'; v: boolean } | { t: 'num'; v: Decimal } | { t: 'str'; v: string };

const KEYS = new Set(['equals', 'in', 'not_in', 'exists', 'missing', 'gt', 'gte', 'lt', 'lte', 'glob', 'regex', 'any', 'all']);

function isScalar(x: unknown): x is Scalar {
  return x === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof x);
}

function toLit(x: unknown, path: readonly (string | number)[], report: Report): Lit | undefined {
  if (x === null) return { t: 'null' };
  if (typeof x === 'boolean') return { t: 'bool', v: x };
  if (typeof x === 'string') return { t: 'str', v: x };
  if (typeof x === 'number' || typeof x === 'bigint') {
    const d = literalDecimal(x);
    if (isDecimal(d)) return { t: 'num', v: d };
    report('ERR_RULE_NUMBER_UNSAFE', path, d.message);
    return undefined;
  }
  report('ERR_RULE_TEST_INVALID', path, 'expected a string, number, boolean or null');
  return undefined;
}

function eqLit(lit: Lit, slot: Slot, text: boolean): boolean {
  if (slot === undefined) return false;
  switch (lit.t) {
    case 'null': return slot.t === 'null';
    case 'bool': return slot.t === 'bool' ? slot.v === lit.v : text && slot.t === 'str' && slot.v === String(lit.v);
    case 'str': return slot.t === 'str' && slot.v === lit.v;
    case 'num': {
      const d = slotDecimal(slot, text);
      return d !== undefined && compareDecimal(d, lit.v) === 0;
    }
  }
}

function slotDecimal(slot: Slot, text: boolean): Decimal | undefined {
  if (slot === undefined) return undefined;
  if (slot.t === 'num') return parseDecimal(slot.v);
  if (text && slot.t === 'str') return parseDecimal(slot.v);
  return undefined;
}

/** Glob on a whole string: `*` any run of characters, `?` one character, everything else literal. */
export function globToRegExp(glob: string): RegExp {
  const body = Array.from(glob, (ch) => ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')).join('');
  return new RegExp(`^${body}$`, 'su');
}

/**
 * Compile a test spec. Reports every problem through `report` and returns undefined if there was one.
 * `nested` is true inside `any`/`all` (quantifiers do not nest).
 */
export function compileTest(spec: TestSpec, path: readonly (string | number)[], report: Report, nested = false): CompiledTest | undefined {
  let bad = false;
  const r: Report = (c, p, m) => { bad = true; report(c, p, m); };
  if (isScalar(spec)) {
    const lit = toLit(spec, path, r);
    return lit && !bad ? { quant: undefined, preds: [(s, t) => eqLit(lit, s, t)] } : undefined;
  }
  if (Array.isArray(spec)) return compileTest({ in: spec }, path, report, nested);
  if (typeof spec !== 'object' || spec === null) { report('ERR_RULE_TEST_INVALID', path, 'expected a scalar, a list or an object of tests'); return undefined; }
  const o = spec as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 0) { report('ERR_RULE_TEST_INVALID', path, 'a test must have at least one key'); return undefined; }
  const preds: Pred[] = [];
  let quant: 'any' | 'all' | undefined;
  for (const k of keys) {
    const v = o[k];
    const p = [...path, k];
    if (!KEYS.has(k)) { r('ERR_RULE_UNKNOWN_KEY', p, `unknown test "${k}" (expected one of ${[...KEYS].join(', ')})`); continue; }
    if (k === 'any' || k === 'all') {
      if (nested) { r('ERR_RULE_TEST_INVALID', p, `"${k}" cannot be nested in "any"/"all"`); continue; }
      if (keys.length !== 1) { r('ERR_RULE_TEST_INVALID', p, `"${k}" must be the only key of its test`); continue; }
      const inner = compileTest(v as TestSpec, p, r, true);
      if (inner) { quant = k; preds.push(...inner.preds); }
      continue;
    }
    const pred = compileOne(k, v, p, r);
    if (pred) preds.push(pred);
  }
  return bad ? undefined : { quant, preds };
}

function compileOne(k: string, v: unknown, p: readonly (string | number)[], r: Report): Pred | undefined {
  switch (k) {
    case 'equals': {
      if (!isScalar(v)) { r('ERR_RULE_TEST_INVALID', p, '"equals" must be a string, number, boolean or null'); return undefined; }
      const lit = toLit(v, p, r);
      return lit && ((s, t) => eqLit(lit, s, t));
    }
    case 'in': case 'not_in': {
      if (!Array.isArray(v) || v.length === 0) { r('ERR_RULE_TEST_INVALID', p, `"${k}" must be a non-empty list`); return undefined; }
      const lits = v.map((x, i) => toLit(x, [...p, i], r));
      if (lits.some((l) => l === undefined)) return undefined;
      const ls = lits as Lit[];
      return k === 'in' ? (s, t) => ls.some((l) => eqLit(l, s, t)) : (s, t) => s !== undefined && !ls.some((l) => eqLit(l, s, t));
    }
    case 'exists': case 'missing': {
      if (typeof v !== 'boolean') { r('ERR_RULE_TEST_INVALID', p, `"${k}" must be true or false`); return undefined; }
      const want = k === 'exists' ? v : !v;
      return (s) => (s !== undefined) === want;
    }
    case 'gt': case 'gte': case 'lt': case 'lte': {
      if (typeof v !== 'number' && typeof v !== 'bigint' && typeof v !== 'string') {
        r('ERR_RULE_TEST_INVALID', p, `"${k}" must be a number or a quoted decimal`); return undefined;
      }
      const d = literalDecimal(v);
      if (!isDecimal(d)) { r(typeof v === 'string' ? 'ERR_RULE_TEST_INVALID' : 'ERR_RULE_NUMBER_UNSAFE', p, d.message); return undefined; }
      const ok = k === 'gt' ? (c: number) => c > 0 : k === 'gte' ? (c: number) => c >= 0 : k === 'lt' ? (c: number) => c < 0 : (c: number) => c <= 0;
      return (s, t) => { const x = slotDecimal(s, t); return x !== undefined && ok(compareDecimal(x, d)); };
    }
    case 'glob': case 'regex': {
      if (typeof v !== 'string') { r('ERR_RULE_TEST_INVALID', p, `"${k}" must be a string`); return undefined; }
      let re: RegExp;
      try { re = k === 'glob' ? globToRegExp(v) : new RegExp(`^(?:${v})$`, 'u'); } catch (e) {
        r('ERR_RULE_REGEX_INVALID', p, `"${k}" does not compile: ${(e as Error).message}`); return undefined;
      }
      return (s) => s !== undefined && s.t === 'str' && re.test(s.v);
    }
  }
  return undefined;
}

/**
 * Apply a compiled test to the slots of one field. The quantifier is the test's own, else the
 * effect's default (allow → every slot, deny → some slot), so an ambiguous request fails closed.
 */
export function runTest(test: CompiledTest, slots: readonly Slot[], effect: Effect, text: boolean): boolean {
  const quant = test.quant ?? (effect === 'allow' ? 'all' : 'any');
  const pass = (s: Slot): boolean => test.preds.every((p) => p(s, text));
  return quant === 'all' ? slots.every(pass) : slots.some(pass);
}
