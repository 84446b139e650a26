/**
 * Field paths into a parsed body: `ticket.comment.public`, `tickets[*].comment.public`,
 * `metadata[order_id]` (Stripe bracket keys), `items[0][price]`, `a["key.with.dots"]`.
 * Resolution yields slots: each is a value or missing (undefined). Semantics: docs/rules.md "Field paths".
 */
import type { BodyValue } from './types.js';

/** One step of a field path. */
export type FieldStep =
  | { readonly k: 'key'; readonly name: string }
  | { readonly k: 'index'; readonly i: number }
  | { readonly k: 'wild' };

const BARE = /^[^.[\]"\s]+/;

/**
 * Parse a field path. Returns the steps, or a message naming the offset where it went wrong.
 * Grammar: first a bare key or a bracket; then `.bare`, `[bare]`, `[digits]`, `[*]` or `["quoted"]`.
 */
export function parseFieldPath(src: string): FieldStep[] | { message: string } {
  const steps: FieldStep[] = [];
  let i = 0;
  const fail = (what: string): { message: string } => ({ message: `field path "${src}": ${what} at offset ${i}` });
  if (src.length === 0) return { message: 'field path must not be empty' };
  while (i < src.length) {
    const c = src[i];
    if (c === '[' && src[i + 1] === '"') {
      let j = i + 2;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      if (src[j + 1] !== ']') return fail('unclosed quoted key');
      let name: unknown;
      try { name = JSON.parse(src.slice(i + 1, j + 1)); } catch { return fail('bad quoted key'); }
      steps.push({ k: 'key', name: name as string });
      i = j + 2;
      continue;
    }
    if (c === '[') {
      const close = src.indexOf(']', i);
      if (close < 0) return fail('unclosed "["');
      const inner = src.slice(i + 1, close);
      if (inner === '*') steps.push({ k: 'wild' });
      else if (/^(0|[1-9][0-9]{0,8})$/.test(inner)) steps.push({ k: 'index', i: Number(inner) });
      else if (inner.length > 0 && !/[\s"[]/.test(inner)) steps.push({ k: 'key', name: inner });
      else return fail('expected "*", an index, a key or a quoted key inside "[]"');
      i = close + 1;
      continue;
    }
    if (c === '.') {
      if (steps.length === 0) return fail('unexpected "."');
      i++;
    } else if (steps.length > 0) {
      return fail('expected "." or "["');
    }
    const m = BARE.exec(src.slice(i));
    if (!m) return fail('expected a key');
    steps.push({ k: 'key', name: m[0] });
    i += m[0].length;
  }
  return steps;
}

/** Type guard for `parseFieldPath`'s refusal. */
export function isFieldPathProblem(x: FieldStep[] | { message: string }): x is { message: string } {
  return !Array.isArray(x);
}

/** True if the path has a `[*]` step (so several slots are possible). */
export function hasWildcard(steps: readonly FieldStep[]): boolean {
  return steps.some((s) => s.k === 'wild');
}

/**
 * Resolve `steps` against `root`. Every `[*]` fans out over an array's elements (or an object's
 * values); an empty array gives no slots. Where the path leaves the document (absent key, index
 * out of range, a step into a scalar) the result is one missing slot.
 */
export function resolveSlots(root: BodyValue | undefined, steps: readonly FieldStep[]): (BodyValue | undefined)[] {
  let cur: (BodyValue | undefined)[] = [root];
  for (const step of steps) {
    const next: (BodyValue | undefined)[] = [];
    for (const v of cur) {
      if (v === undefined) { next.push(undefined); continue; }
      if (step.k === 'key') next.push(v.t === 'obj' ? v.v.get(step.name) : undefined);
      else if (step.k === 'index') {
        next.push(v.t === 'arr' ? v.v[step.i] : v.t === 'obj' ? v.v.get(String(step.i)) : undefined);
      } else if (v.t === 'arr') next.push(...v.v);
      else if (v.t === 'obj') next.push(...v.v.values());
      else next.push(undefined);
    }
    cur = next;
  }
  return cur;
}
