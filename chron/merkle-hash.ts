import { createHash, hash } from 'node:crypto';

/** Size in bytes of every hash in the tree (SHA-256). */
export const HASH_SIZE = 32;

/** Largest tree size / index a verifier accepts: 2^53 − 1 (issue 3 item 3; also JS's exact integer limit). */
export const MAX_TREE_SIZE = Number.MAX_SAFE_INTEGER;

/** RFC 6962 §2.1 leaf hash: SHA-256(0x00 || data). `data` are the exact stored entry bytes. */
export function leafHash(data: Uint8Array): Buffer {
  // One-shot crypto.hash over one buffer: cheaper than a Hash object per leaf on the writer's hot path.
  const input = Buffer.allocUnsafe(data.byteLength + 1);
  input[0] = 0x00;
  input.set(data, 1);
  return hash('sha256', input, 'buffer') as unknown as Buffer;
}

/**
 * RFC 6962 §2.1 leaf hash of a leaf input that already carries its 0x00 prefix (0x00 || data), hashed
 * in place: the Chron writer receives entries packed that way, which saves a copy of every entry.
 * Throws if the first byte is not 0x00, so a packing bug can never hash bytes as something else.
 */
export function leafHashOfInput(input: Uint8Array): Buffer {
  if (input.byteLength === 0 || input[0] !== 0x00) throw new RangeError('a leaf input starts with the 0x00 leaf prefix');
  return hash('sha256', input, 'buffer') as unknown as Buffer;
}

/** Reused by nodeHash (hashing is synchronous, so one buffer per thread is never shared by two calls). */
const nodeInput = Buffer.alloc(1 + 2 * HASH_SIZE);
nodeInput[0] = 0x01;

/** RFC 6962 §2.1 interior node hash: SHA-256(0x01 || left || right). Both inputs are 32-byte hashes. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.byteLength !== HASH_SIZE || right.byteLength !== HASH_SIZE) {
    // Only a malformed proof gets here (verifiers then fail on the root); hash exactly what was given.
    return hash('sha256', Buffer.concat([nodeInput.subarray(0, 1), left, right]), 'buffer') as unknown as Buffer;
  }
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_SIZE);
  return hash('sha256', nodeInput, 'buffer') as unknown as Buffer;
}

/** MTH({}) = SHA-256 of the empty string (RFC 6962 §2.1). */
export function emptyRoot(): Buffer {
  return createHash('sha256').digest();
}

/** k = the largest power of two strictly less than n (RFC 6962 §2.1 split rule). Precondition: n > 1. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** True for 1, 2, 4, 8, … (exact for any safe integer). */
export function isPowerOfTwo(n: number): boolean {
  if (!Number.isSafeInteger(n) || n < 1) return false;
  let m = n;
  while (m % 2 === 0) m /= 2;
  return m === 1;
}

/**
 * Decomposes the range [start, end) into maximal aligned perfect subtrees, left to right,
 * as `{level, index}` pairs meaning leaves [index·2^level, (index+1)·2^level).
 * Precondition: 0 ≤ start < end ≤ 2^53−1. At most 2·log2(end−start) pieces.
 */
export function perfectSubtrees(start: number, end: number): { level: number; index: number }[] {
  const out: { level: number; index: number }[] = [];
  let pos = start;
  while (pos < end) {
    let level = 0;
    // Grow while the subtree stays aligned at `pos` and inside the range.
    while (pos % 2 ** (level + 1) === 0 && pos + 2 ** (level + 1) <= end) level += 1;
    out.push({ level, index: pos / 2 ** level });
    pos += 2 ** level;
  }
  return out;
}

/** Lowercase hex of a hash (the `leafHash` wire format of AppendResult and JSON APIs). */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

