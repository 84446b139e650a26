/**
 * Closed set of Chron failure codes. Callers branch on `err.code`, never on the message.
 *
 * - ERR_CHRON_WRITE: an entry or checkpoint could not be made durable (worker died, commit threw, read-only log, closed log).
 * - ERR_CHRON_RECORD: the record is not plain JSON (undefined, function, bigint, non-finite number, cycle, non-plain object).
 * - ERR_CHRON_KEY: a signing or verifier key is missing, malformed or not Ed25519.
 * - ERR_CHRON_NOTE: a signed note, checkpoint or tlog-proof is malformed (C2SP signed-note / tlog-checkpoint / tlog-proof).
 * - ERR_CHRON_SIGNATURE: no trusted key verified a note, or a trusted key's signature failed.
 * - ERR_CHRON_ORIGIN: a checkpoint names another origin than the expected one.
 * - ERR_CHRON_FORMAT: the database's store format is one this version does not read (or it has none).
 * - ERR_CHRON_RANGE: an index, tree size or range is out of bounds (or above 2^53-1).
 * - ERR_CHRON_PROOF: an inclusion or consistency proof does not verify (RFC 9162 §2.1.3.2, §2.1.4.2).
 * - ERR_CHRON_ROOT_MISMATCH: recomputed root differs from a signed checkpoint's root.
 * - ERR_CHRON_LEAF_MISMATCH: an entry's bytes do not hash to the stored or exported leaf hash.
 * - ERR_CHRON_INCONSISTENT: two checkpoints of one origin cannot both describe one append-only log.
 * - ERR_CHRON_NOT_FOUND: no entry / checkpoint matches the request.
 * - ERR_CHRON_EXPORT: an export directory is missing files or cannot be written.
 * - ERR_CHRON_USAGE: bad command-line or query parameters.
 */
export type ChronErrorCode =
  | 'ERR_CHRON_WRITE'
  | 'ERR_CHRON_RECORD'
  | 'ERR_CHRON_KEY'
  | 'ERR_CHRON_NOTE'
  | 'ERR_CHRON_SIGNATURE'
  | 'ERR_CHRON_ORIGIN'
  | 'ERR_CHRON_FORMAT'
  | 'ERR_CHRON_RANGE'
  | 'ERR_CHRON_PROOF'
  | 'ERR_CHRON_ROOT_MISMATCH'
  | 'ERR_CHRON_LEAF_MISMATCH'
  | 'ERR_CHRON_INCONSISTENT'
  | 'ERR_CHRON_NOT_FOUND'
  | 'ERR_CHRON_EXPORT'
  | 'ERR_CHRON_USAGE';

/** Every code above, for tests that check each one is documented in chron/README.md. */
export const CHRON_ERROR_CODES: readonly ChronErrorCode[] = [
  'ERR_CHRON_WRITE', 'ERR_CHRON_RECORD', 'ERR_CHRON_KEY', 'ERR_CHRON_NOTE', 'ERR_CHRON_SIGNATURE',
  'ERR_CHRON_ORIGIN', 'ERR_CHRON_FORMAT', 'ERR_CHRON_RANGE', 'ERR_CHRON_PROOF', 'ERR_CHRON_ROOT_MISMATCH',
  'ERR_CHRON_LEAF_MISMATCH', 'ERR_CHRON_INCONSISTENT', 'ERR_CHRON_NOT_FOUND', 'ERR_CHRON_EXPORT', 'ERR_CHRON_USAGE',
];

/**
 * The one error class of `chron/`. Messages name the field and what was expected; they never
 * contain key material or record contents. `index` names the first bad entry when there is one.
 */
export class ChronError extends Error {
  readonly code: ChronErrorCode;
  readonly index: number | undefined;
  constructor(code: ChronErrorCode, message: string, options?: { cause?: unknown; index?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ChronError';
    this.code = code;
    this.index = options?.index;
  }
}

/** True when `err` is a ChronError (across worker/realm boundaries too, by shape). */
export function isChronError(err: unknown): err is ChronError {
  return err instanceof ChronError
    || (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'ChronError'
      && typeof (err as { code?: unknown }).code === 'string');
}
