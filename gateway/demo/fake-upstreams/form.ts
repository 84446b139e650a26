/** A form body that cannot be read as Stripe reads it. */
export class FormError extends Error {
  readonly code = 'ERR_FAKE_FORM';
  /** The offending parameter name (never its value). */
  readonly param: string;
  constructor(param: string, message: string) { super(message); this.name = 'FormError'; this.param = param; }
}

const MAX_INDEX = 1000;
const KEY = /^([^[\]]+)((?:\[[^[\]]*\])*)$/;

/**
 * Parses an `application/x-www-form-urlencoded` body the way Stripe's API reads it (and stripe-node writes it):
 * `a[b][c]=v` nests objects, `a[]=v` appends to a list, `a[0][b]=v` indexes a list (index ≤ 1000).
 * A key without brackets (or one that is not well-bracketed) is a plain member. Every object made has a null
 * prototype, so `__proto__` and `constructor` are ordinary keys. Throws FormError when a key needs a container
 * where a value already is (Stripe's "Invalid hash"/"Invalid array").
 */
export function parseForm(body: string): Record<string, unknown> {
  const root: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of new URLSearchParams(body)) {
    const m = KEY.exec(key);
    const path: string[] = m === null ? [key] : [m[1] ?? key, ...[...(m[2] ?? '').matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1] ?? '')];
    let container: Record<string, unknown> | unknown[] = root;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i] ?? '';
      const last = i === path.length - 1;
      const next = path[i + 1];
      const make = (): Record<string, unknown> | unknown[] => (next === '' || (next !== undefined && /^\d+$/.test(next)) ? [] : Object.create(null) as Record<string, unknown>);
      if (Array.isArray(container)) {
        if (seg !== '' && !/^\d+$/.test(seg)) throw new FormError(key, 'Invalid array');
        const index = seg === '' ? container.length : Number(seg);
        if (index > MAX_INDEX) throw new FormError(key, `array index above ${MAX_INDEX}`);
        if (last) { container[index] = value; break; }
        const existing: unknown = container[index];
        if (existing === undefined) container[index] = make();
        else if (typeof existing !== 'object') throw new FormError(key, 'Invalid hash');
        container = container[index] as Record<string, unknown> | unknown[];
      } else {
        if (seg === '') throw new FormError(key, 'Invalid hash');
        if (last) { container[seg] = value; break; }
        const existing = container[seg];
        if (existing === undefined) container[seg] = make();
        else if (typeof existing !== 'object') throw new FormError(key, 'Invalid hash');
        container = container[seg] as Record<string, unknown> | unknown[];
      }
    }
  }
  return root;
}
