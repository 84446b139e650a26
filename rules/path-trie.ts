/**
 * A segment trie over path templates. Matching walks the request's segments once per branch
 * (literal child, then the one-segment wildcard child), so its cost depends on the path length and
 * the templates that share its prefixes, not on the number of rules (issue 5 item 7).
 */
import type { PathTemplate } from './path-template.js';

/** A template stored in the trie, with the payload the caller attached (a rule index). */
interface Entry<T> { readonly value: T; readonly params: readonly (readonly [number, string])[] }

interface Node<T> {
  readonly literal: Map<string, Node<T>>;
  any: Node<T> | undefined;
  readonly end: Entry<T>[];
  readonly rest: Entry<T>[];
}

/** One match: the payload and the template's parameters bound to the request's segments. */
export interface TrieMatch<T> { readonly value: T; readonly params: Readonly<Record<string, string>> }

function node<T>(): Node<T> { return { literal: new Map(), any: undefined, end: [], rest: [] }; }

/**
 * A trie of templates. `caseInsensitive` folds literal segments with `toLowerCase()` on insert and
 * lookup (GitHub owner and repo names); parameters are always returned as sent.
 */
export class PathTrie<T> {
  readonly #root: Node<T> = node();
  readonly #fold: boolean;
  #size = 0;

  constructor(caseInsensitive: boolean) { this.#fold = caseInsensitive; }

  /** Number of templates inserted. */
  get size(): number { return this.#size; }

  /** Insert a template with its payload. Insertion order is kept among equal templates. */
  insert(template: PathTemplate, value: T): void {
    let n = this.#root;
    const params: [number, string][] = [];
    template.segments.forEach((seg, i) => {
      if (seg.kind === 'literal') {
        const key = this.#fold ? seg.text.toLowerCase() : seg.text;
        let next = n.literal.get(key);
        if (!next) { next = node(); n.literal.set(key, next); }
        n = next;
      } else {
        if (seg.kind === 'param') params.push([i, seg.name]);
        if (!n.any) n.any = node();
        n = n.any;
      }
    });
    (template.rest ? n.rest : n.end).push({ value, params });
    this.#size++;
  }

  /**
   * Every template that matches `segments` (from `splitPath`), in no particular order; callers
   * that need declaration order sort by payload. A one-segment wildcard never matches ''.
   */
  match(segments: readonly string[]): TrieMatch<T>[] {
    const out: TrieMatch<T>[] = [];
    const folded = this.#fold ? segments.map((s) => s.toLowerCase()) : segments;
    const emit = (e: Entry<T>): void => {
      const params: Record<string, string> = Object.create(null) as Record<string, string>;
      for (const [i, name] of e.params) params[name] = segments[i] as string;
      out.push({ value: e.value, params });
    };
    const walk = (n: Node<T>, i: number): void => {
      for (const e of n.rest) emit(e);
      if (i === segments.length) { for (const e of n.end) emit(e); return; }
      const lit = n.literal.get(folded[i] as string);
      if (lit) walk(lit, i + 1);
      if (n.any && segments[i] !== '') walk(n.any, i + 1);
    };
    walk(this.#root, 0);
    return out;
  }

  /** True if some template matches `segments` (cheaper than `match` when the binding is not needed). */
  has(segments: readonly string[]): boolean {
    return this.match(segments).length > 0;
  }
}
