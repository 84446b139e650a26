import { ChronError } from './errors.js';
import { HASH_SIZE, MAX_TREE_SIZE } from './merkle-hash.js';
import { openNote, signNote, type NoteSigner, type NoteVerifier } from './signed-note.js';

/** The three mandatory lines of a C2SP tlog-checkpoint body. */
export interface CheckpointBody {
  readonly origin: string;
  readonly treeSize: number;
  readonly rootHash: Uint8Array;
}

/** A checkpoint whose signature verified and whose origin is the expected one. */
export interface VerifiedCheckpoint extends CheckpointBody {
  /** The full signed note, byte for byte. */
  readonly note: string;
  readonly verifiedBy: readonly string[];
}

/** Formats the checkpoint note text: `<origin>\n<decimal size>\n<base64 root>\n` (C2SP tlog-checkpoint). */
export function formatCheckpointBody(body: CheckpointBody): string {
  checkOrigin(body.origin);
  if (!Number.isSafeInteger(body.treeSize) || body.treeSize < 0) throw new ChronError('ERR_CHRON_RANGE', 'tree size must be a non-negative safe integer');
  if (body.rootHash.length !== HASH_SIZE) throw new ChronError('ERR_CHRON_NOTE', `root hash must be ${HASH_SIZE} bytes`);
  return `${body.origin}\n${body.treeSize}\n${Buffer.from(body.rootHash).toString('base64')}\n`;
}

/** Formats and signs a checkpoint with every signer (key overlap during rotation: old and new). */
export function signCheckpoint(body: CheckpointBody, signers: readonly NoteSigner[]): string {
  return signNote(formatCheckpointBody(body), signers);
}

/**
 * Parses checkpoint note text (unverified). Extension lines after the root are allowed and ignored.
 * Rejects sizes with leading zeros, signs, or above 2^53−1, and roots that are not 32 bytes of
 * canonical base64. Throws ERR_CHRON_NOTE or ERR_CHRON_RANGE.
 */
export function parseCheckpointBody(text: string): CheckpointBody {
  const lines = text.split('\n');
  if (lines.length < 4 || lines[lines.length - 1] !== '') throw new ChronError('ERR_CHRON_NOTE', 'checkpoint must have origin, size and root lines, each ending in a newline');
  const [origin, size, root] = lines as [string, string, string];
  if (origin === '') throw new ChronError('ERR_CHRON_NOTE', 'checkpoint origin line must not be empty');
  if (!/^(0|[1-9][0-9]*)$/.test(size)) throw new ChronError('ERR_CHRON_NOTE', 'checkpoint size must be a decimal without leading zeros');
  const treeSize = Number(size);
  if (!Number.isSafeInteger(treeSize) || treeSize > MAX_TREE_SIZE) throw new ChronError('ERR_CHRON_RANGE', 'checkpoint size must not exceed 2^53-1');
  const rootHash = Buffer.from(root, 'base64');
  if (rootHash.length !== HASH_SIZE || rootHash.toString('base64') !== root) throw new ChronError('ERR_CHRON_NOTE', 'checkpoint root must be base64 of 32 bytes');
  return { origin, treeSize, rootHash };
}

/**
 * Opens a signed checkpoint: verifies the note signature with the trusted keys (C2SP signed-note),
 * parses the body, and checks the origin line equals `expectedOrigin`. Only a checkpoint returned
 * by this function may supply a tree size and root to proof verification.
 * Throws ERR_CHRON_SIGNATURE, ERR_CHRON_NOTE, ERR_CHRON_RANGE or ERR_CHRON_ORIGIN.
 */
export function openCheckpoint(note: string, verifiers: readonly NoteVerifier[], expectedOrigin: string): VerifiedCheckpoint {
  const opened = openNote(note, verifiers);
  const body = parseCheckpointBody(opened.text);
  if (body.origin !== expectedOrigin) {
    throw new ChronError('ERR_CHRON_ORIGIN', `checkpoint origin "${body.origin}" must be "${expectedOrigin}"`);
  }
  return { ...body, note, verifiedBy: opened.verifiedBy };
}

/** Throws ERR_CHRON_NOTE unless `origin` is a usable origin line (non-empty, one line, printable). */
export function checkOrigin(origin: string): void {
  // eslint-disable-next-line no-control-regex
  if (origin.length === 0 || /[\u0000-\u001f]/.test(origin)) throw new ChronError('ERR_CHRON_NOTE', 'origin must be a non-empty single line');
}
