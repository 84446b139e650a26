import { emptyRoot, nodeHash, perfectSubtrees } from './merkle-hash.js';
import type { SubtreeReader } from './merkle-proofs.js';

/** One complete perfect subtree: leaves [index·2^level, (index+1)·2^level) and its hash. */
export interface Subtree { readonly level: number; readonly index: number; readonly hash: Uint8Array }

/**
 * The right edge of an append-only RFC 6962 tree: the perfect subtrees that make up [0, size),
 * largest first (one per set bit of size). Appending a leaf is O(log n) and reports every subtree
 * it completes, which the store persists so proofs never rebuild anything.
 */
export class Frontier {
  #size: number;
  readonly #pieces: Subtree[];

  private constructor(size: number, pieces: Subtree[]) {
    this.#size = size;
    this.#pieces = pieces;
  }

  /** An empty tree. */
  static empty(): Frontier {
    return new Frontier(0, []);
  }

  /** The frontier of a stored tree of `size` leaves, read with O(log n) subtree reads. */
  static load(size: number, read: SubtreeReader): Frontier {
    const pieces = size === 0 ? [] : perfectSubtrees(0, size).map((p) => ({ ...p, hash: read(p.level, p.index) }));
    return new Frontier(size, pieces);
  }

  /** Number of leaves. */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends one leaf hash; returns the subtrees of level ≥ 1 this append completed, lowest first.
   * The caller persists them with the leaf in one transaction.
   */
  append(leaf: Uint8Array): Subtree[] {
    const completed: Subtree[] = [];
    let cur: Subtree = { level: 0, index: this.#size, hash: leaf };
    for (;;) {
      const last = this.#pieces[this.#pieces.length - 1];
      if (last === undefined || last.level !== cur.level) break;
      this.#pieces.pop();
      cur = { level: cur.level + 1, index: last.index / 2, hash: nodeHash(last.hash, cur.hash) };
      completed.push(cur);
    }
    this.#pieces.push(cur);
    this.#size += 1;
    return completed;
  }

  /** MTH of the whole tree (RFC 6962 §2.1): the pieces folded right to left. */
  root(): Uint8Array {
    let h: Uint8Array | undefined;
    for (let i = this.#pieces.length - 1; i >= 0; i--) {
      const p = this.#pieces[i] as Subtree;
      h = h === undefined ? p.hash : nodeHash(p.hash, h);
    }
    return h ?? emptyRoot();
  }
}
