/**
 * The SQLite layout of a Chron database (format 1). Plain SQL: only the store files
 * (writer-worker.ts, store-reader.ts) open the database with better-sqlite3.
 *
 * - `entries(idx, leaf_hash, data, record_id)`: entry `idx` (0-based, gapless) holds the exact
 *   RFC 8785 bytes in `data` and SHA-256(0x00||data) in `leaf_hash`; `record_id` is the record's
 *   top-level string `id`, indexed for `prove --id`.
 * - `subtrees(id, hash)`: the hash of every complete perfect subtree of level ≥ 1, written in the
 *   same transaction as the entry that completes it; `id = level·2^40 + index` (subtreeId).
 * - `checkpoints(seq, tree_size, root_hash, note, created_ms)`: every signed checkpoint, verbatim.
 * - `meta(key, value)`: `format` and the log `origin` (a database belongs to one origin).
 * Triggers make entries, subtrees and checkpoints append-only through SQL.
 */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entries (
  idx INTEGER PRIMARY KEY,
  leaf_hash BLOB NOT NULL,
  data BLOB NOT NULL,
  record_id TEXT
);
CREATE INDEX IF NOT EXISTS entries_record_id ON entries(record_id) WHERE record_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS subtrees (id INTEGER PRIMARY KEY, hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints (
  seq INTEGER PRIMARY KEY,
  tree_size INTEGER NOT NULL,
  root_hash BLOB NOT NULL,
  note TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS entries_append_only_u BEFORE UPDATE ON entries BEGIN SELECT RAISE(ABORT, 'chron entries are append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_append_only_d BEFORE DELETE ON entries BEGIN SELECT RAISE(ABORT, 'chron entries are append-only'); END;
CREATE TRIGGER IF NOT EXISTS subtrees_append_only_u BEFORE UPDATE ON subtrees BEGIN SELECT RAISE(ABORT, 'chron subtrees are append-only'); END;
CREATE TRIGGER IF NOT EXISTS subtrees_append_only_d BEFORE DELETE ON subtrees BEGIN SELECT RAISE(ABORT, 'chron subtrees are append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_append_only_u BEFORE UPDATE ON checkpoints BEGIN SELECT RAISE(ABORT, 'chron checkpoints are append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_append_only_d BEFORE DELETE ON checkpoints BEGIN SELECT RAISE(ABORT, 'chron checkpoints are append-only'); END;
`;

/** Database format written in `meta.format`. */
export const STORE_FORMAT = '1';

/** Largest number of entries one database holds (subtree ids are level·2^40 + index). */
export const MAX_ENTRIES = 2 ** 40;

/** The `subtrees.id` of the perfect subtree at `level` (≥ 1) and `index`. */
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
  | { type: 'append'; batch: number; data: Uint8Array[]; recordIds: (string | null)[] }
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
  | { type: 'closed'; req: number };

/** What the writer worker is started with (`workerData`). Holds private JWKs: never log it. */
export interface WriterInit {
  path: string;
  origin: string;
  /** Private JWKs of every signing key (current first, then keys kept during a rotation overlap). */
  keys: { kty: 'OKP'; crv: 'Ed25519'; d: string; x: string; kid?: string }[];
}
