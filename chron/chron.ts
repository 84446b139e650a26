import { ChronError } from './errors.js';
import { canonicalBytes } from './jcs.js';
import { readSigningJwk, signerFromJwk, type SigningJwk } from './keys.js';
import { toHex } from './merkle-hash.js';
import { consistencyProof, inclusionProof, memoReader, treeRoot } from './merkle-proofs.js';
import { StoreReader, type EntryFilter, type StoredCheckpoint, type StoredEntry } from './store-reader.js';
import type { StoreFormat } from './store-schema.js';
import { formatTlogProof } from './tlog-proof.js';
import { WriterClient, type AppendResult, type ChronFault, type WriterStats } from './writer-client.js';

/** Options of openChron. Validated once; each problem names its option. */
export interface ChronOptions {
  /** SQLite file; parent directory created if missing. */
  path: string;
  /** C2SP checkpoint origin line, e.g. "claiim.local/demo". Must match the database's origin. */
  origin: string;
  /** Ed25519 private key as a JWK JSON file (see generateSigningKey). Not read when `readonly`. */
  signingKeyFile: string;
  /** Extra keys that co-sign every checkpoint during a key rotation overlap (chron/README.md). */
  additionalSigningKeyFiles?: readonly string[];
  /** Checkpoint schedule in ms; default 60000; 0 = none. Checkpoints are signed even when idle. */
  checkpointIntervalMs?: number;
  /** Open read-only: append and checkpoint reject with ERR_CHRON_WRITE; close signs nothing. */
  readonly?: boolean;
  /** Injected clock (ms since epoch); stamps stored checkpoints. */
  now?: () => number;
  /** Called after every committed transaction with the number of entries it held (group-commit batch size). */
  onCommit?: (entries: number) => void;
  /** Called when a scheduled checkpoint fails (the schedule keeps running). */
  onCheckpointError?: (err: ChronError) => void;
  /**
   * Called once, on the main thread, when a fault closes the log to appends (see Chron.fault); never
   * by close(). Must not throw.
   */
  onFault?: (fault: ChronFault) => void;
}

export type { AppendResult, ChronFault, WriterStats } from './writer-client.js';

/**
 * How an append may be batched. `deferMs` (default 0): hold the entry up to this long for a non-deferred
 * append to travel with, so that e.g. an outcome entry shares the fsync of the next request's decision.
 * The returned promise still resolves only when the entry is durable; a crash inside the window loses
 * only entries whose promise had not resolved.
 */
export interface AppendOptions { deferMs?: number }

/** An inclusion proof for one entry against a signed checkpoint. Hashes are lowercase hex. */
export interface InclusionProof {
  index: number;
  treeSize: number;
  leafHash: string;
  /** RFC 6962 PATH, leaf's sibling first. */
  proof: string[];
  /** The signed checkpoint of `treeSize`, verbatim. */
  checkpoint: string;
  /** The same proof as a c2sp.org/tlog-proof@v1 file whose `extra` line carries the entry bytes. */
  tlogProof: string;
}

/** A consistency proof between the trees of `from` and `to` leaves (RFC 6962 PROOF order). */
export interface ConsistencyProof { from: number; to: number; fromRoot: string; toRoot: string; proof: string[] }

/** The Chron audit log (chron/README.md). */
export interface Chron {
  /** The log's origin line. */
  readonly origin: string;
  /** The database's store format (chron/README.md, "Database"): '2' for a log created by this version, '1' for an older one. */
  readonly storeFormat: StoreFormat;
  /**
   * Serialises `record` with RFC 8785 (JCS), stores the bytes verbatim, leaf = SHA-256(0x00||bytes).
   * Resolves only after the entry is durable (WAL + synchronous=FULL, committed). Rejects with
   * ERR_CHRON_WRITE if it cannot be made durable, ERR_CHRON_RECORD if `record` is not plain JSON.
   */
  append(record: Readonly<Record<string, unknown>>, opts?: AppendOptions): Promise<AppendResult>;
  /**
   * Appends `records` in one transaction, in order, with consecutive indices: all durable, or none
   * (rejects ERR_CHRON_WRITE). At most 2,048 records (ERR_CHRON_USAGE); ERR_CHRON_RECORD as for append,
   * before anything is queued.
   */
  appendAll(records: readonly Readonly<Record<string, unknown>>[], opts?: AppendOptions): Promise<AppendResult[]>;
  /** Signs and stores a checkpoint for the current tree now; returns the signed note text. */
  checkpoint(): Promise<string>;
  /** Committed number of entries. */
  treeSize(): number;
  /** Newest signed checkpoint note, or undefined before the first one. */
  latestCheckpoint(): string | undefined;
  /** Every stored checkpoint, oldest first. */
  checkpoints(): StoredCheckpoint[];
  /**
   * Inclusion proof of entry `index` against the newest checkpoint covering it; when none covers it
   * yet, a writable log signs one first. Throws ERR_CHRON_RANGE / ERR_CHRON_NOT_FOUND.
   */
  proveInclusion(index: number): Promise<InclusionProof>;
  /** Consistency proof between tree sizes 1 ≤ from ≤ to ≤ treeSize(). O(log n) reads. */
  proveConsistency(from: number, to: number): ConsistencyProof;
  /** The entry at `index`, or undefined. */
  entry(index: number): StoredEntry | undefined;
  /** Entries matching the filter (index range, agent, effect, rule, time), at most `limit` (default 1000). */
  find(filter: EntryFilter): StoredEntry[];
  /** Index of the first entry whose record `id` (or else `decision_id`) equals `id`. */
  indexOfId(id: string): number | undefined;
  /** Every verifier key that signed in this database. */
  vkeys(): string[];
  /** Append/transaction counters (group commit makes transactions < appends). */
  stats(): WriterStats;
  /**
   * Why a writable log is closed to appends though close() was not called — the writer thread crashed
   * or exited, or the database file or its WAL was deleted or replaced — or undefined: while it accepts
   * appends, after a graceful close(), and always for a read-only log. Only reopening the log (a
   * restart of the process) clears it.
   */
  fault(): ChronFault | undefined;
  /**
   * Flushes pending appends, stops the schedule, signs a final checkpoint (unless readonly, or a fault
   * already closed the log to appends: then there is nothing to flush and nothing can be signed), closes.
   */
  close(): Promise<void>;
}

/**
 * Opens (creating if needed) the Chron log at `opts.path`. A writable log starts the writer
 * worker and the checkpoint schedule; a read-only log only reads. Rejects with ChronError:
 * ERR_CHRON_USAGE (bad option), ERR_CHRON_KEY, ERR_CHRON_ORIGIN (database of another origin),
 * ERR_CHRON_WRITE (database cannot be opened for writing), ERR_CHRON_NOT_FOUND (read-only, missing).
 */
export async function openChron(opts: ChronOptions): Promise<Chron> {
  const interval = opts.checkpointIntervalMs ?? 60_000;
  if (typeof opts.path !== 'string' || opts.path === '') throw new ChronError('ERR_CHRON_USAGE', '"path" must be a non-empty string');
  if (!Number.isSafeInteger(interval) || interval < 0) throw new ChronError('ERR_CHRON_USAGE', '"checkpointIntervalMs" must be a non-negative integer');
  const now = opts.now ?? Date.now;
  if (opts.readonly === true) {
    const reader = new StoreReader(opts.path);
    if (reader.origin() !== opts.origin) {
      reader.close();
      throw new ChronError('ERR_CHRON_ORIGIN', `database belongs to origin "${reader.origin()}", not "${opts.origin}"`);
    }
    return new ChronLog(opts.origin, reader, undefined, now);
  }
  const keys: SigningJwk[] = [];
  for (const f of [opts.signingKeyFile, ...(opts.additionalSigningKeyFiles ?? [])]) {
    const jwk = await readSigningJwk(f);
    // Key name = origin: verifiers derive the expected origin from the trusted key's name.
    if (signerFromJwk(jwk, opts.origin).name !== opts.origin) throw new ChronError('ERR_CHRON_KEY', `signing key ${f} must be named after the origin "${opts.origin}" (its "kid")`);
    keys.push(jwk);
  }
  const writer = await WriterClient.start({ path: opts.path, origin: opts.origin, keys });
  writer.onCommit = opts.onCommit;
  writer.onFault = opts.onFault;
  let reader: StoreReader;
  try {
    reader = new StoreReader(opts.path);
  } catch (err) {
    await writer.close();
    throw err;
  }
  const log = new ChronLog(opts.origin, reader, writer, now);
  if (interval > 0) log.schedule(interval, opts.onCheckpointError);
  return log;
}

/**
 * Opens an existing database read-only, taking the origin from the database itself
 * (for the CLI, which has no configuration). Throws ERR_CHRON_NOT_FOUND.
 */
export function openChronReadonly(path: string, now: () => number = Date.now): Chron {
  const reader = new StoreReader(path);
  return new ChronLog(reader.origin(), reader, undefined, now);
}

/** Indexed for `prove --id`: the record's `id`, or the gateway's `decision_id`. */
function recordIdOf(record: Readonly<Record<string, unknown>>): string | null {
  return typeof record.id === 'string' ? record.id : typeof record.decision_id === 'string' ? record.decision_id : null;
}

class ChronLog implements Chron {
  readonly origin: string;
  readonly #reader: StoreReader;
  readonly #writer: WriterClient | undefined;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  get storeFormat(): StoreFormat {
    return this.#reader.format;
  }

  constructor(origin: string, reader: StoreReader, writer: WriterClient | undefined, now: () => number) {
    this.origin = origin;
    this.#reader = reader;
    this.#writer = writer;
    this.#now = now;
  }

  schedule(intervalMs: number, onError: ((err: ChronError) => void) | undefined): void {
    this.#timer = setInterval(() => {
      this.checkpoint().catch((err: ChronError) => onError?.(err));
    }, intervalMs);
    this.#timer.unref();
  }

  async append(record: Readonly<Record<string, unknown>>, opts: AppendOptions = {}): Promise<AppendResult> {
    if (this.#writer === undefined || this.#closed) throw new ChronError('ERR_CHRON_WRITE', this.#closed ? 'the log is closed' : 'the log is open read-only');
    const bytes = canonicalBytes(record);
    const id = recordIdOf(record);
    return this.#writer.append(bytes, id, opts.deferMs ?? 0);
  }

  async appendAll(records: readonly Readonly<Record<string, unknown>>[], opts: AppendOptions = {}): Promise<AppendResult[]> {
    if (this.#writer === undefined || this.#closed) throw new ChronError('ERR_CHRON_WRITE', this.#closed ? 'the log is closed' : 'the log is open read-only');
    const items = records.map((record) => ({ data: canonicalBytes(record), recordId: recordIdOf(record) }));
    return this.#writer.appendAll(items, opts.deferMs ?? 0);
  }

  async checkpoint(): Promise<string> {
    if (this.#writer === undefined || this.#closed) throw new ChronError('ERR_CHRON_WRITE', this.#closed ? 'the log is closed' : 'the log is open read-only');
    return (await this.#writer.checkpoint(this.#now())).note;
  }

  treeSize(): number {
    return this.#writer?.size ?? this.#reader.size();
  }

  latestCheckpoint(): string | undefined {
    return this.#reader.latestCheckpoint()?.note;
  }

  checkpoints(): StoredCheckpoint[] {
    return this.#reader.checkpoints();
  }

  async proveInclusion(index: number): Promise<InclusionProof> {
    const size = this.treeSize();
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw new ChronError('ERR_CHRON_RANGE', `index must be an integer in [0, ${size})`);
    let cp = this.#reader.latestCheckpoint();
    if ((cp === undefined || cp.treeSize <= index) && this.#writer !== undefined && !this.#closed) {
      await this.checkpoint();
      cp = this.#reader.latestCheckpoint();
    }
    if (cp === undefined || cp.treeSize <= index) throw new ChronError('ERR_CHRON_NOT_FOUND', `no checkpoint covers index ${index} yet`);
    const entry = this.#reader.entry(index);
    if (entry === undefined) throw new ChronError('ERR_CHRON_NOT_FOUND', `entry ${index} is missing`, { index });
    const proof = inclusionProof(memoReader(this.#reader.subtrees()), index, cp.treeSize);
    return {
      index,
      treeSize: cp.treeSize,
      leafHash: toHex(entry.leafHash),
      proof: proof.map(toHex),
      checkpoint: cp.note,
      tlogProof: formatTlogProof({ extra: entry.data, index, proof, checkpoint: cp.note }),
    };
  }

  proveConsistency(from: number, to: number): ConsistencyProof {
    const size = this.treeSize();
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 1 || from > to || to > size) {
      throw new ChronError('ERR_CHRON_RANGE', `sizes must satisfy 1 <= from <= to <= ${size}`);
    }
    const read = memoReader(this.#reader.subtrees());
    return {
      from,
      to,
      fromRoot: toHex(treeRoot(read, from)),
      toRoot: toHex(treeRoot(read, to)),
      proof: consistencyProof(read, from, to).map(toHex),
    };
  }

  entry(index: number): StoredEntry | undefined {
    return this.#reader.entry(index);
  }

  find(filter: EntryFilter): StoredEntry[] {
    return this.#reader.find(filter);
  }

  indexOfId(id: string): number | undefined {
    return this.#reader.indexOfId(id);
  }

  vkeys(): string[] {
    return this.#reader.vkeys();
  }

  stats(): WriterStats {
    return this.#writer?.stats() ?? { appends: 0, transactions: 0 };
  }

  fault(): ChronFault | undefined {
    return this.#writer?.fault;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    if (this.#writer !== undefined) {
      try {
        // A log a fault closed to appends has nothing left to flush and cannot sign a final checkpoint.
        if (this.#writer.fault === undefined) {
          await this.#writer.drain();
          await this.checkpoint();
        }
      } finally {
        this.#closed = true;
        // Reader first: the writer, closing last, checkpoints the WAL into the database file.
        this.#reader.close();
        await this.#writer.close();
      }
      return;
    }
    this.#closed = true;
    this.#reader.close();
  }
}
