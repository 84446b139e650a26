import { emptyRoot, nodeHash, perfectSubtrees, splitPoint } from './merkle-hash.js';

/**
 * Reads the stored hash of one perfect subtree: leaves [index·2^level, (index+1)·2^level).
 * Level 0 is the leaf hash. Must only be asked for subtrees that are complete in the tree.
 */
export type SubtreeReader = (level: number, index: number) => Uint8Array;

/**
 * Wraps a reader with a per-call memo so one proof reads each stored node once:
 * a proof then costs O(log n) reads, never a rebuild.
 */
export function memoReader(read: SubtreeReader): SubtreeReader {
  const seen = new Map<string, Uint8Array>();
  return (level, index) => {
    const key = `${level}/${index}`;
    let h = seen.get(key);
    if (h === undefined) { h = read(level, index); seen.set(key, h); }
    return h;
  };
}

/**
 * MTH(D[start:end]) (RFC 6962 §2.1) from stored perfect subtrees.
 * Precondition: `start` is a multiple of the largest power of two ≤ (end − start), which holds
 * for every range RFC 6962's recursion produces (and for start = 0). Empty range → MTH({}).
 */
export function rangeRoot(read: SubtreeReader, start: number, end: number): Uint8Array {
  if (end <= start) return emptyRoot();
  const pieces = perfectSubtrees(start, end);
  let h: Uint8Array | undefined;
  // Fold right to left: each earlier (larger) piece is the left child of what follows.
  for (let i = pieces.length - 1; i >= 0; i--) {
    const p = pieces[i] as { level: number; index: number };
    const ph = read(p.level, p.index);
    h = h === undefined ? ph : nodeHash(ph, h);
  }
  return h as Uint8Array;
}

/** Root hash of the tree of `size` leaves. O(log n) reads. */
export function treeRoot(read: SubtreeReader, size: number): Uint8Array {
  return rangeRoot(read, 0, size);
}

/**
 * RFC 6962 §2.1.1 PATH(m, D[n]): the inclusion proof for leaf `index` in the tree of `size`
 * leaves, leaf's sibling first. Preconditions: 0 ≤ index < size. O(log n) reads with memoReader.
 */
export function inclusionProof(read: SubtreeReader, index: number, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let lo = 0;
  let hi = size;
  let m = index;
  // Walk from the root down; collect siblings, then reverse to leaf-first order.
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (m < k) {
      out.push(rangeRoot(read, lo + k, hi));
      hi = lo + k;
    } else {
      out.push(rangeRoot(read, lo, lo + k));
      lo += k;
      m -= k;
    }
  }
  return out.reverse();
}

/**
 * RFC 6962 §2.1.2 PROOF(m, D[n]): the consistency proof between the trees of `size1` and
 * `size2` leaves. Preconditions: 0 < size1 ≤ size2. Empty when size1 = size2.
 */
export function consistencyProof(read: SubtreeReader, size1: number, size2: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let lo = 0;
  let hi = size2;
  let m = size1;
  let complete = true;
  // SUBPROOF(m, D[lo:hi], complete), unrolled; pushed root-side first, reversed at the end.
  while (m !== hi - lo) {
    const k = splitPoint(hi - lo);
    if (m <= k) {
      out.push(rangeRoot(read, lo + k, hi));
      hi = lo + k;
    } else {
      out.push(rangeRoot(read, lo, lo + k));
      lo += k;
      m -= k;
      complete = false;
    }
  }
  if (!complete) out.push(rangeRoot(read, lo, hi));
  return out.reverse();
}
