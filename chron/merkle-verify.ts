import { ChronError } from './errors.js';
import { HASH_SIZE, MAX_TREE_SIZE, isPowerOfTwo, nodeHash } from './merkle-hash.js';

/**
 * Verifies an RFC 9162 §2.1.3.2 inclusion proof: that `leaf` (a 32-byte leaf hash) is at
 * `index` in the tree of `treeSize` leaves whose root is `root`.
 * Throws ChronError ERR_CHRON_RANGE (index ≥ size, size > 2^53−1) or ERR_CHRON_PROOF; returns on success.
 * Preconditions: `root` and `treeSize` come from a checkpoint whose signature verified.
 */
export function verifyInclusion(index: number, treeSize: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): void {
  checkSize('tree size', treeSize);
  checkSize('index', index);
  if (index >= treeSize) throw new ChronError('ERR_CHRON_RANGE', `index ${index} must be below tree size ${treeSize}`);
  const computed = rootFromInclusionProof(index, treeSize, leaf, proof);
  if (!Buffer.from(computed).equals(root)) {
    throw new ChronError('ERR_CHRON_PROOF', `inclusion proof for index ${index} does not lead to the checkpoint root`, { index });
  }
}

/**
 * The root an inclusion proof implies (RFC 9162 §2.1.3.2 steps 2–5, without the final comparison).
 * Throws ERR_CHRON_PROOF when the proof has the wrong length or a hash is not 32 bytes.
 */
export function rootFromInclusionProof(index: number, treeSize: number, leaf: Uint8Array, proof: readonly Uint8Array[]): Uint8Array {
  if (leaf.length !== HASH_SIZE) throw new ChronError('ERR_CHRON_PROOF', `leaf hash must be ${HASH_SIZE} bytes`);
  checkHashes(proof);
  let fn = BigInt(index);
  let sn = BigInt(treeSize) - 1n;
  let r: Uint8Array = leaf;
  for (const p of proof) {
    if (sn === 0n) throw new ChronError('ERR_CHRON_PROOF', 'inclusion proof is longer than the tree is deep');
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new ChronError('ERR_CHRON_PROOF', 'inclusion proof is shorter than the tree is deep');
  return r;
}

/**
 * Verifies an RFC 9162 §2.1.4.2 consistency proof that the tree of `size1` leaves with root
 * `root1` is a prefix of the tree of `size2` leaves with root `root2`.
 * Edge cases follow transparency-dev/merkle (and the fixture's probes): size1 = 0 is rejected
 * (a proof from the empty tree proves nothing); size1 = size2 needs an empty proof and equal roots;
 * size1 > size2 is rejected. Throws ChronError ERR_CHRON_RANGE or ERR_CHRON_PROOF.
 */
export function verifyConsistency(size1: number, size2: number, root1: Uint8Array, root2: Uint8Array, proof: readonly Uint8Array[]): void {
  checkSize('size1', size1);
  checkSize('size2', size2);
  if (size1 === 0) throw new ChronError('ERR_CHRON_RANGE', 'size1 must be at least 1: a consistency proof from the empty tree proves nothing');
  if (size2 < size1) throw new ChronError('ERR_CHRON_RANGE', `size1 ${size1} must not exceed size2 ${size2}`);
  if (size1 === size2) {
    if (proof.length !== 0) throw new ChronError('ERR_CHRON_PROOF', 'sizes are equal, so the proof must be empty');
    if (!Buffer.from(root1).equals(root2)) throw new ChronError('ERR_CHRON_PROOF', 'sizes are equal but the roots differ');
    return;
  }
  // Step 1.
  if (proof.length === 0) throw new ChronError('ERR_CHRON_PROOF', 'consistency proof must not be empty');
  checkHashes(proof);
  if (root1.length !== HASH_SIZE || root2.length !== HASH_SIZE) throw new ChronError('ERR_CHRON_PROOF', `roots must be ${HASH_SIZE} bytes`);
  // Step 2.
  const path: Uint8Array[] = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  // Step 3.
  let fn = BigInt(size1) - 1n;
  let sn = BigInt(size2) - 1n;
  // Step 4.
  while ((fn & 1n) === 1n) { fn >>= 1n; sn >>= 1n; }
  // Step 5.
  let fr = path[0] as Uint8Array;
  let sr = path[0] as Uint8Array;
  // Step 6.
  for (const c of path.slice(1)) {
    if (sn === 0n) throw new ChronError('ERR_CHRON_PROOF', 'consistency proof is longer than the tree is deep');
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  // Step 7.
  if (sn !== 0n) throw new ChronError('ERR_CHRON_PROOF', 'consistency proof is shorter than the tree is deep');
  if (!Buffer.from(fr).equals(root1)) throw new ChronError('ERR_CHRON_PROOF', `consistency proof does not lead to the root of size ${size1}`);
  if (!Buffer.from(sr).equals(root2)) throw new ChronError('ERR_CHRON_PROOF', `consistency proof does not lead to the root of size ${size2}`);
}

function checkSize(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_TREE_SIZE) {
    throw new ChronError('ERR_CHRON_RANGE', `${what} must be an integer in [0, 2^53-1]`);
  }
}

function checkHashes(proof: readonly Uint8Array[]): void {
  for (const [i, p] of proof.entries()) {
    if (p.length !== HASH_SIZE) throw new ChronError('ERR_CHRON_PROOF', `proof hash ${i} must be ${HASH_SIZE} bytes`);
  }
}
