import { ChronError } from './errors.js';
import { HASH_SIZE } from './merkle-hash.js';
import type { SubtreeReader } from './merkle-proofs.js';

/**
 * The SQLite layout of a Chron database. Plain SQL and pure helpers: only the store files
 * (writer-worker.ts, store-reader.ts) open the database with better-sqlite3.
 *
 * Format 2 (every database this version creates):
 * - `entries(idx, leaf_hash, nodes, data, record_id)`: entry `idx` (0-based, gapless) holds the exact
 *   RFC 8785 bytes in `data` and SHA-256(0x00||data) in `leaf_hash`; `record_id` is the record's
 *   top-level string `id`, indexed for `prove --id`. `nodes` holds the hashes of the perfect subtrees
 *   this entry completes — levels 1..t, lowest first, 32 bytes each, where t is the number of trailing
 *   one bits of `idx` — or NULL when it completes none (even `idx`). So every interior hash a proof
 *   needs is written in the entry's own row: one row per append, no second table, no extra B-tree pages
 *   per commit. Subtree (level L ≥ 1, index i) is bytes [(L−1)·32, L·32) of the `nodes` of entry
 *   (i+1)·2^L − 1.
 * - `checkpoints(seq, tree_size, root_hash, note, created_ms)`: every signed checkpoint, verbatim.
 * - `meta(key, value)`: `format`, the log `origin` (a database belongs to one origin), `vkey …`.
 *
 * Format 1 (databases created before format 2; still read and appended to in their own layout):
 * `entries(idx, leaf_hash, data, record_id)` without `nodes`, and `subtrees(id INTEGER PRIMARY KEY,
 * hash)` holding every complete perfect subtree of level ≥ 1 with `id = level·2^40 + index`.
 *
 * Triggers make entries, checkpoints and (format 1) subtrees append-only through SQL.
 */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entries (
  idx INTEGER PRIMARY KEY,
  leaf_hash BLOB NOT NULL,
  nodes BLOB,
  data BLOB NOT NULL,
  record_id TEXT
);
CREATE INDEX IF NOT EXISTS entries_record_id ON entries(record_id) WHERE record_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS checkpoints (
  seq INTEGER PRIMARY KEY,
  tree_size INTEGER NOT NULL,
  root_hash BLOB NOT NULL,
  note TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS entries_append_only_u BEFORE UPDATE ON entries BEGIN SELECT RAISE(ABORT, 'chron entries are append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_append_only_d BEFORE DELETE ON entries BEGIN SELECT RAISE(ABORT, 'chron entries are append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_append_only_u BEFORE UPDATE ON checkpoints BEGIN SELECT RAISE(ABORT, 'chron checkpoints are append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_append_only_d BEFORE DELETE ON checkpoints BEGIN SELECT RAISE(ABORT, 'chron checkpoints are append-only'); END;
`;

/** Database format this version writes into a new database's `meta.format`. */
export const STORE_FORMAT = '2';

/** Every format this version reads and appends to. */
export type StoreFormat = '1' | '2';

/** The format named by `meta.format`; ERR_CHRON_FORMAT for anything this version does not know (e.g. a newer one). */
export function storeFormat(value: string | undefined): StoreFormat {
  if (value === '1' || value === '2') return value;
  throw new ChronError('ERR_CHRON_FORMAT', value === undefined
    ? 'database has no format (not a Chron database)'
    : `database format "${value}" is not one this version reads (1, 2); use the CLAIIM version that wrote it`);
}

/**
 * A SubtreeReader over one open database of `format`, given its two prepared point reads (pluck):
 * `leaf` = `SELECT leaf_hash FROM entries WHERE idx = ?`, `node` = subtreeQuery(format). A hash that
 * is not stored is ERR_CHRON_NOT_FOUND.
 */
export function storedSubtrees(format: StoreFormat, leaf: (idx: number) => unknown, node: (key: number) => unknown): SubtreeReader {
  return (level, index) => {
    let h: Buffer | undefined;
    if (level === 0) h = leaf(index) as Buffer | undefined;
    else if (format === '1') h = node(subtreeId(level, index)) as Buffer | undefined;
    else {
      // Format 2: the entry that completed the subtree holds it at (level − 1)·32 in `nodes`.
      const blob = node((index + 1) * 2 ** level - 1) as Buffer | null | undefined;
      const at = (level - 1) * HASH_SIZE;
      if (blob !== undefined && blob !== null && blob.byteLength >= at + HASH_SIZE) h = blob.subarray(at, at + HASH_SIZE);
    }
    if (h === undefined) throw new ChronError('ERR_CHRON_NOT_FOUND', `subtree ${level}/${index} is not stored`);
    return h;
  };
}

/** SQL reading the blob that holds a subtree hash (one integer parameter; see storedSubtrees). */
export function subtreeQuery(format: StoreFormat): string {
  return format === '1' ? 'SELECT hash FROM subtrees WHERE id = ?' : 'SELECT nodes FROM entries WHERE idx = ?';
}

/** Largest number of entries one database holds (format 1 numbers subtrees level·2^40 + index; format 2 keeps the same bound). */
export const MAX_ENTRIES = 2 ** 40;

/** Format 1: the `subtrees.id` of the perfect subtree at `level` (≥ 1) and `index`. */
export function subtreeId(level: number, index: number): number {
  return level * 2 ** 40 + index;
}

/**
 * Entries per transaction the writer aims for: the client sends messages of at most this many entries
 * (an appendAll group is never split, so one may be longer); the worker stops adding queued messages to
 * a transaction once it holds this many.
 */
export const MAX_BATCH = 2048;

/** Messages from the main thread to the writer worker. */
export type WriterRequest =
  /**
   * `leafInputs[i]` is entry i's RFC 6962 leaf input, 0x00 || the entry bytes, as a view into one
   * transferred buffer: the writer hashes it in place and stores the bytes after the 0x00.
   */
  | { type: 'append'; batch: number; leafInputs: Uint8Array[]; recordIds: (string | null)[] }
  | { type: 'checkpoint'; req: number; nowMs: number }
  | { type: 'close'; req: number };

/** Messages from the writer worker to the main thread. */
export type WriterReply =
  | { type: 'ready'; size: number }
  | { type: 'open-failed'; code: string; message: string }
  /** One transaction holding the entries of `batches` (in order): indices from `first`, leaf hashes in entry order. */
  | { type: 'appended'; batches: number[]; first: number; leafHashes: Uint8Array[] }
  | { type: 'append-failed'; batches: number[]; code: string; message: string }
  | { type: 'checkpointed'; req: number; note: string; size: number }
  | { type: 'checkpoint-failed'; req: number; code: string; message: string }
  | { type: 'closed'; req: number }
  /**
   * The writer closed the log to appends and is exiting (sent after the reply to the commit that
   * found the fault): the database file or its WAL is no longer the file it opened (open-files.ts).
   */
  | { type: 'fatal'; cause: 'database_replaced' | 'wal_replaced'; message: string };

/** What the writer worker is started with (`workerData`). Holds private JWKs: never log it. */
export interface WriterInit {
  path: string;
  origin: string;
  /** Private JWKs of every signing key (current first, then keys kept during a rotation overlap). */
  keys: { kty: 'OKP'; crv: 'Ed25519'; d: string; x: string; kid?: string }[];
}
