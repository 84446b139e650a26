/**
 * Exact comparison of decimal numerals (RFC 8259 §6 number grammar), without converting to a
 * binary float: `9007199254740993` and `9007199254740992` compare as different, `1.0`, `1` and
 * `10e-1` as equal, and a huge exponent costs no more than a small one.
 */

const NUMERAL = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/;

/** A numeral as sign, significant digits (no leading or trailing zeros) and the power of ten of the last digit. */
export interface Decimal { readonly neg: boolean; readonly digits: string; readonly exp: bigint }

/**
 * Parse `text` as an RFC 8259 number. Returns undefined if it is not one (no leading '+', no
 * leading zeros, no '.5', no hex, no whitespace). Zero is `{neg: false, digits: '', exp: 0n}`.
 */
export function parseDecimal(text: string): Decimal | undefined {
  const m = NUMERAL.exec(text);
  if (!m) return undefined;
  const int = m[2] as string;
  const frac = m[3] ?? '';
  let digits = (int + frac).replace(/^0+/, '');
  let exp = BigInt(m[4] ?? '0') - BigInt(frac.length);
  const trimmed = digits.replace(/0+$/, '');
  exp += BigInt(digits.length - trimmed.length);
  digits = trimmed;
  if (digits === '') return { neg: false, digits: '', exp: 0n };
  return { neg: m[1] === '-', digits, exp };
}

/** -1, 0 or 1 as `a` is less than, equal to or greater than `b`. Exact. */
export function compareDecimal(a: Decimal, b: Decimal): -1 | 0 | 1 {
  const sa = a.digits === '' ? 0 : a.neg ? -1 : 1;
  const sb = b.digits === '' ? 0 : b.neg ? -1 : 1;
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (sa === 0) return 0;
  const mag = compareMagnitude(a, b);
  return (sa === -1 ? -mag : mag) as -1 | 0 | 1;
}

function compareMagnitude(a: Decimal, b: Decimal): -1 | 0 | 1 {
  // Position of the most significant digit decides first; then the digits, left to right.
  const ta = a.exp + BigInt(a.digits.length);
  const tb = b.exp + BigInt(b.digits.length);
  if (ta !== tb) return ta < tb ? -1 : 1;
  const n = Math.max(a.digits.length, b.digits.length);
  const da = a.digits.padEnd(n, '0');
  const db = b.digits.padEnd(n, '0');
  return da === db ? 0 : da < db ? -1 : 1;
}

/** The literal forms a rule may use for a number. */
export type NumericLiteral = number | bigint | string;

/**
 * Turn a rule literal into a Decimal. A JS number must be finite and, if an integer, safe
 * (a larger one has already lost digits in the YAML parser: quote it). Returns a message on refusal.
 */
export function literalDecimal(x: NumericLiteral): Decimal | { message: string } {
  if (typeof x === 'bigint') return parseDecimal(x.toString()) as Decimal;
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) return { message: 'number must be finite' };
    if (Number.isInteger(x) && !Number.isSafeInteger(x)) {
      return { message: `integer ${x} is beyond 2^53 and was rounded by the YAML parser; write it quoted, e.g. "9007199254740993"` };
    }
    return parseDecimal(String(x)) ?? { message: `number ${x} has no exact decimal form` };
  }
  const d = parseDecimal(x);
  return d ?? { message: `"${x}" is not a decimal number (RFC 8259 grammar, e.g. "-12.5e3")` };
}

/** Type guard for `literalDecimal`'s refusal. */
export function isDecimal(x: Decimal | { message: string }): x is Decimal {
  return (x as Decimal).digits !== undefined;
}
