import { ChronError } from './errors.js';
import { HASH_SIZE } from './merkle-hash.js';
import { verifyInclusion } from './merkle-verify.js';
import { openCheckpoint, type VerifiedCheckpoint } from './checkpoint.js';
import type { NoteVerifier } from './signed-note.js';

/** The parts of a C2SP tlog-proof@v1 file (unverified). */
export interface TlogProof {
  readonly extra?: Uint8Array;
  readonly index: number;
  readonly proof: readonly Uint8Array[];
  /** The signed checkpoint, verbatim. */
  readonly checkpoint: string;
}

/**
 * Formats a `c2sp.org/tlog-proof@v1` file: header, optional `extra <base64>`, `index N`, one
 * base64 hash per line (leaf's sibling first), a blank line, then the signed checkpoint verbatim.
 */
export function formatTlogProof(p: TlogProof): string {
  const extra = p.extra === undefined ? '' : `extra ${Buffer.from(p.extra).toString('base64')}\n`;
  const hashes = p.proof.map((h) => `${Buffer.from(h).toString('base64')}\n`).join('');
  return `${HEADER}\n${extra}index ${p.index}\n${hashes}\n${p.checkpoint}`;
}

/** Parses a tlog-proof file (C2SP tlog-proof). Throws ERR_CHRON_NOTE on any deviation from the format. */
export function parseTlogProof(text: string): TlogProof {
  const blank = text.indexOf('\n\n');
  if (blank < 0) throw new ChronError('ERR_CHRON_NOTE', 'tlog-proof must have a blank line before the checkpoint');
  const head = text.slice(0, blank).split('\n');
  const checkpoint = text.slice(blank + 2);
  if (head.shift() !== HEADER) throw new ChronError('ERR_CHRON_NOTE', `tlog-proof must start with "${HEADER}"`);
  let extra: Uint8Array | undefined;
  if (head[0]?.startsWith('extra ')) {
    const b64 = (head.shift() as string).slice(6);
    extra = Buffer.from(b64, 'base64');
    if (Buffer.from(extra).toString('base64') !== b64) throw new ChronError('ERR_CHRON_NOTE', 'tlog-proof extra must be base64');
  }
  const m = /^index (0|[1-9][0-9]*)$/.exec(head.shift() ?? '');
  const index = m === null ? NaN : Number(m[1]);
  if (!Number.isSafeInteger(index)) throw new ChronError('ERR_CHRON_NOTE', 'tlog-proof index line must be "index <decimal ≤ 2^53-1>"');
  const proof = head.map((line, i) => {
    const h = Buffer.from(line, 'base64');
    if (h.length !== HASH_SIZE || h.toString('base64') !== line) throw new ChronError('ERR_CHRON_NOTE', `tlog-proof hash line ${i} must be base64 of 32 bytes`);
    return h;
  });
  return { ...(extra === undefined ? {} : { extra }), index, proof, checkpoint };
}

/**
 * Verifies a tlog-proof for entry bytes `entry`: the checkpoint signature (trusted keys, expected
 * origin) first, then RFC 9162 §2.1.3.2 inclusion of SHA-256(0x00||entry) at the stated index in
 * that checkpoint's tree. Returns the verified checkpoint. Throws ChronError.
 */
export function verifyTlogProof(text: string, leaf: Uint8Array, verifiers: readonly NoteVerifier[], expectedOrigin: string): { checkpoint: VerifiedCheckpoint; index: number } {
  const p = parseTlogProof(text);
  const checkpoint = openCheckpoint(p.checkpoint, verifiers, expectedOrigin);
  verifyInclusion(p.index, checkpoint.treeSize, leaf, p.proof, checkpoint.rootHash);
  return { checkpoint, index: p.index };
}

const HEADER = 'c2sp.org/tlog-proof@v1';
