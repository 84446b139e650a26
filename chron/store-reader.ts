import Database from 'better-sqlite3';
import { ChronError } from './errors.js';
import type { SubtreeReader } from './merkle-proofs.js';
import { storeFormat, storedSubtrees, subtreeQuery, type StoreFormat } from './store-schema.js';

/** One stored entry: its index, leaf hash and the exact bytes that were hashed. */
export interface StoredEntry { readonly index: number; readonly leafHash: Buffer; readonly data: Buffer }

/** One stored checkpoint, with its signed note verbatim. */
export interface StoredCheckpoint { readonly seq: number; readonly treeSize: number; readonly rootHash: Buffer; readonly note: string; readonly createdMs: number }

/** Filters of `chron show` and the admin API; every filter is optional and they combine with AND. */
export interface EntryFilter {
  from?: number;
  to?: number;
  agent?: string;
  effect?: string;
  rule?: string;
  /** ISO-8601 bounds compared with the record's `time` string. */
  since?: string;
  until?: string;
  limit?: number;
}

/**
 * Read-only access to a Chron database on the calling thread (better-sqlite3, `readonly: true`):
 * entries, checkpoints, and the stored subtree hashes proofs are built from. Every query is a
 * point or range read on an integer primary key, so a proof costs O(log n) reads.
 * Precondition: the database exists (the writer creates it). Throws ERR_CHRON_NOT_FOUND otherwise.
 */
export class StoreReader {
  readonly #db: Database.Database;
  readonly #leaf: Database.Statement;
  readonly #node: Database.Statement;
  /** The store format (store-schema.ts): where the subtree hashes are. */
  readonly format: StoreFormat;

  constructor(path: string) {
    let format: string | undefined;
    try {
      this.#db = new Database(path, { readonly: true, fileMustExist: true });
      this.#db.pragma('busy_timeout = 5000');
      this.#leaf = this.#db.prepare('SELECT leaf_hash FROM entries WHERE idx = ?').pluck();
      format = this.#db.prepare("SELECT value FROM meta WHERE key = 'format'").pluck().get() as string | undefined;
    } catch (err) {
      throw new ChronError('ERR_CHRON_NOT_FOUND', `cannot open Chron database ${path} read-only`, { cause: err });
    }
    try {
      this.format = storeFormat(format);
    } catch (err) {
      this.#db.close();
      throw err;
    }
    this.#node = this.#db.prepare(subtreeQuery(this.format)).pluck();
  }

  /** The origin the database belongs to. */
  origin(): string {
    const o = this.#db.prepare("SELECT value FROM meta WHERE key = 'origin'").pluck().get() as string | undefined;
    if (o === undefined) throw new ChronError('ERR_CHRON_NOT_FOUND', 'database has no origin (not a Chron database)');
    return o;
  }

  /** Every verifier key that ever signed in this database (published, not trusted: auditors bring their own). */
  vkeys(): string[] {
    return this.#db.prepare("SELECT value FROM meta WHERE key LIKE 'vkey %' ORDER BY key").pluck().all() as string[];
  }

  /** Number of committed entries. */
  size(): number {
    const max = this.#db.prepare('SELECT max(idx) FROM entries').pluck().get() as number | null;
    return max === null ? 0 : max + 1;
  }

  /** Reader of stored perfect-subtree hashes for merkle-proofs.ts. Throws ERR_CHRON_NOT_FOUND for a missing node. */
  subtrees(): SubtreeReader {
    return storedSubtrees(this.format, (i) => this.#leaf.get(i), (k) => this.#node.get(k));
  }

  /** The entry at `index`, or undefined. */
  entry(index: number): StoredEntry | undefined {
    const r = this.#db.prepare('SELECT idx, leaf_hash, data FROM entries WHERE idx = ?').get(index) as Row | undefined;
    return r === undefined ? undefined : toEntry(r);
  }

  /** Index of the entry whose record `id` is `id`, or undefined. */
  indexOfId(id: string): number | undefined {
    return this.#db.prepare('SELECT idx FROM entries WHERE record_id = ? ORDER BY idx LIMIT 1').pluck().get(id) as number | undefined;
  }

  /** Entries in [from, to) in index order, streamed. */
  *entries(from: number, to: number): Generator<StoredEntry> {
    const it = this.#db.prepare('SELECT idx, leaf_hash, data FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx').iterate(from, to) as IterableIterator<Row>;
    for (const r of it) yield toEntry(r);
  }

  /**
   * Entries matching `f`, in index order. Field filters read the record's top-level `agent`
   * (string, or object with `id`), `effect`, `rule_id` and `time` with SQLite's JSON functions.
   */
  find(f: EntryFilter): StoredEntry[] {
    const where: string[] = ['idx >= ?', 'idx < ?'];
    const args: (string | number)[] = [f.from ?? 0, f.to ?? Number.MAX_SAFE_INTEGER];
    const j = (path: string): string => `json_extract(CAST(data AS TEXT), '${path}')`;
    if (f.agent !== undefined) { where.push(`(${j('$.agent')} = ? OR ${j('$.agent.id')} = ?)`); args.push(f.agent, f.agent); }
    if (f.effect !== undefined) { where.push(`lower(${j('$.effect')}) = lower(?)`); args.push(f.effect); }
    if (f.rule !== undefined) { where.push(`${j('$.rule_id')} = ?`); args.push(f.rule); }
    if (f.since !== undefined) { where.push(`${j('$.time')} >= ?`); args.push(f.since); }
    if (f.until !== undefined) { where.push(`${j('$.time')} < ?`); args.push(f.until); }
    const sql = `SELECT idx, leaf_hash, data FROM entries WHERE ${where.join(' AND ')} ORDER BY idx LIMIT ?`;
    args.push(f.limit ?? 1000);
    return (this.#db.prepare(sql).all(...args) as Row[]).map(toEntry);
  }

  /** Every stored checkpoint, oldest first. */
  checkpoints(): StoredCheckpoint[] {
    return (this.#db.prepare('SELECT seq, tree_size, root_hash, note, created_ms FROM checkpoints ORDER BY seq').all() as CpRow[]).map(toCheckpoint);
  }

  /** The newest checkpoint, or undefined when none was signed yet. */
  latestCheckpoint(): StoredCheckpoint | undefined {
    const r = this.#db.prepare('SELECT seq, tree_size, root_hash, note, created_ms FROM checkpoints ORDER BY seq DESC LIMIT 1').get() as CpRow | undefined;
    return r === undefined ? undefined : toCheckpoint(r);
  }

  /** The newest checkpoint of exactly `treeSize` leaves, or undefined. */
  checkpointOfSize(treeSize: number): StoredCheckpoint | undefined {
    const r = this.#db.prepare('SELECT seq, tree_size, root_hash, note, created_ms FROM checkpoints WHERE tree_size = ? ORDER BY seq DESC LIMIT 1').get(treeSize) as CpRow | undefined;
    return r === undefined ? undefined : toCheckpoint(r);
  }

  /** Closes the connection. */
  close(): void {
    this.#db.close();
  }
}

interface Row { idx: number; leaf_hash: Buffer; data: Buffer }
interface CpRow { seq: number; tree_size: number; root_hash: Buffer; note: string; created_ms: number }

function toEntry(r: Row): StoredEntry {
  return { index: r.idx, leafHash: r.leaf_hash, data: r.data };
}

function toCheckpoint(r: CpRow): StoredCheckpoint {
  return { seq: r.seq, treeSize: r.tree_size, rootHash: r.root_hash, note: r.note, createdMs: r.created_ms };
}
