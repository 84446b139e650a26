/**
 * The Chron writer: the only code that writes the database. Runs in a worker_threads Worker so
 * that the fsync of each group commit never blocks the event loop. Opens better-sqlite3 with
 * WAL and synchronous=FULL. Group commit happens here: when an `append` message arrives, every
 * further `append` already waiting on the port (sent while the previous commit was in flight) is
 * taken too (receiveMessageOnPort, up to MAX_BATCH entries, never splitting a message), and all of
 * them become exactly one IMMEDIATE transaction, reported back in one reply only after COMMIT
 * returned, i.e. after the WAL was fsynced. The writer never waits for the main thread between
 * two transactions.
 *
 * Before each transaction the stored size is compared with the in-memory frontier; if another
 * process appended (or a transaction failed) the frontier is reloaded from storage, so indices
 * stay gapless and are never reused. Checkpoints are signed here, inside a transaction that also
 * checks the new tree extends the last stored checkpoint (never two inconsistent checkpoints).
 *
 * After every commit, before replying, the writer checks that the database path and its WAL still
 * name the files it opened (open-files.ts). If not, that commit is not reported durable (unless a lost
 * WAL could be copied into the still-linked database file first), the writer sends `fatal` and exits:
 * the log is closed to appends, as when the worker dies.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { signCheckpoint } from './checkpoint.js';
import { ChronError, isChronError } from './errors.js';
import { Frontier } from './frontier.js';
import { signerFromJwk } from './keys.js';
import { HASH_SIZE, leafHashOfInput } from './merkle-hash.js';
import { rangeRoot, type SubtreeReader } from './merkle-proofs.js';
import type { Subtree } from './frontier.js';
import { OpenFiles, type FileFault } from './open-files.js';
import {
  MAX_BATCH, MAX_ENTRIES, SCHEMA_SQL, STORE_FORMAT, storeFormat, storedSubtrees, subtreeId, subtreeQuery,
  type StoreFormat, type WriterInit, type WriterReply, type WriterRequest,
} from './store-schema.js';

/** Page size of a database this writer creates (SQLite's default is 4 KiB). Declared before the start-up code below uses it. */
const PAGE_SIZE = 16384;

/** WAL size (bytes of frames) at which the writer checkpoints it into the database file. */
const WAL_CHECKPOINT_BYTES = 4 * 1024 * 1024;

const init = workerData as WriterInit;
if (parentPort === null) throw new Error('writer-worker must run as a worker thread');
const port = parentPort;
const reply = (m: WriterReply): void => port.postMessage(m);

let db: Database.Database;
let format: StoreFormat;
let frontier: Frontier;
let files: OpenFiles;
/** Set once a fault closed the log: no further message is handled. */
let stopped = false;
// Prepared once, on first use (storedSize runs at the start of every transaction).
let maxIdx: Database.Statement | undefined;
let subtreeReader: SubtreeReader | undefined;
try {
  ({ db, format } = openWritable(init));
  files = new OpenFiles(init.path);
  frontier = Frontier.load(storedSize(), reader());
  serve();
  reply({ type: 'ready', size: frontier.size });
} catch (err) {
  reply({ type: 'open-failed', ...describe(err) });
  port.close();
}

/** Prepares statements and starts handling WriterRequest messages, one at a time, in order. */
function serve(): void {
  const signers = init.keys.map((k) => signerFromJwk(k, init.origin));
  // Publish every verifier key ever used, so `chron export` can write DIR/vkey without the private key.
  const addVkey = db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)');
  for (const s of signers) addVkey.run(`vkey ${s.vkey.split('+').slice(0, 2).join('+')}`, s.vkey);
  // Multi-row INSERTs: one statement step per ROWS entries instead of one per entry (≈ 2× less
  // writer CPU per entry in bench/chron-bench). Statements are prepared once per row count.
  // Format 2 writes the subtrees an entry completes into its own row; format 1 into `subtrees`.
  const v1 = format === '1';
  const entryWidth = v1 ? 4 : 5;
  const insertEntries = v1
    ? multiRowInsert(db, 'INSERT INTO entries (idx, leaf_hash, data, record_id) VALUES ', '(?, ?, ?, ?)')
    : multiRowInsert(db, 'INSERT INTO entries (idx, leaf_hash, nodes, data, record_id) VALUES ', '(?, ?, ?, ?, ?)');
  const insertSubtrees = v1 ? multiRowInsert(db, 'INSERT INTO subtrees (id, hash) VALUES ', '(?, ?)') : undefined;
  const insertCheckpoint = db.prepare('INSERT INTO checkpoints (tree_size, root_hash, note, created_ms) VALUES (?, ?, ?, ?)');
  const lastCheckpoint = db.prepare('SELECT tree_size, root_hash FROM checkpoints ORDER BY seq DESC LIMIT 1');

  const appendBatch = db.transaction((leafInputs: Uint8Array[], recordIds: (string | null)[]) => {
    syncFrontier();
    if (frontier.size + leafInputs.length > MAX_ENTRIES) throw new ChronError('ERR_CHRON_WRITE', 'log is full (2^40 entries)');
    const first = frontier.size;
    // All leaf hashes of the batch in one buffer, transferred back to the client with the reply.
    const packed = new Uint8Array(new ArrayBuffer(leafInputs.length * HASH_SIZE));
    const hashes: Uint8Array[] = [];
    const entryRows: unknown[] = [];
    const subtreeRows: unknown[] = [];
    leafInputs.forEach((input, i) => {
      // Hashed in place (0x00 || bytes); the entry's stored bytes are the rest of the view.
      const leaf = leafHashOfInput(input);
      const bytes = input.subarray(1);
      // The frontier keeps `leaf`; the reply gets a copy in `packed`, whose buffer is transferred (detached here).
      const copy = packed.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
      copy.set(leaf);
      const idx = frontier.size;
      const completed = frontier.append(leaf);
      if (v1) {
        entryRows.push(idx, leaf, bytes, recordIds[i] ?? null);
        for (const st of completed) subtreeRows.push(subtreeId(st.level, st.index), st.hash);
      } else {
        entryRows.push(idx, leaf, nodesBlob(completed), bytes, recordIds[i] ?? null);
      }
      hashes.push(copy);
    });
    insertEntries(entryRows, entryWidth);
    if (insertSubtrees !== undefined) insertSubtrees(subtreeRows, 2);
    return { first, hashes, buffer: packed.buffer as ArrayBuffer };
  });

  const checkpointNow = db.transaction((nowMs: number) => {
    syncFrontier();
    const size = frontier.size;
    const root = frontier.root();
    const prev = lastCheckpoint.get() as { tree_size: number; root_hash: Buffer } | undefined;
    if (prev !== undefined) {
      // The stored tree must still reproduce the last signed root before we sign over its extension.
      if (prev.tree_size > size || !Buffer.from(rangeRoot(reader(), 0, prev.tree_size)).equals(prev.root_hash)) {
        throw new ChronError('ERR_CHRON_INCONSISTENT', `stored tree does not extend the checkpoint of size ${prev.tree_size}`);
      }
    }
    const note = signCheckpoint({ origin: init.origin, treeSize: size, rootHash: root }, signers);
    insertCheckpoint.run(size, root, note, nowMs);
    return { note, size };
  });

  const commitAppends = (msgs: Extract<WriterRequest, { type: 'append' }>[]): void => {
    const batches = msgs.map((x) => x.batch);
    let done: ReturnType<typeof appendBatch>;
    try {
      done = appendBatch.immediate(msgs.flatMap((x) => x.leafInputs), msgs.flatMap((x) => x.recordIds));
    } catch (err) {
      resetFrontier();
      reply({ type: 'append-failed', batches, ...describe(err) });
      return;
    }
    const fault = files.check();
    if (fault === undefined || rescued(fault)) {
      port.postMessage({ type: 'appended', batches, first: done.first, leafHashes: done.hashes } satisfies WriterReply, [done.buffer]);
    } else {
      reply({ type: 'append-failed', batches, code: 'ERR_CHRON_WRITE', message: fault.message });
    }
    if (fault !== undefined) stop(fault);
  };

  const handle = (m: WriterRequest): void => {
    if (stopped) return;
    switch (m.type) {
      case 'append': {
        // Group commit: take every append already queued behind this one, stopping at another kind of message.
        const msgs = [m];
        let entries = m.leafInputs.length;
        let held: WriterRequest | undefined;
        while (entries < MAX_BATCH) {
          const next = receiveMessageOnPort(port);
          if (next === undefined) break;
          const n = next.message as WriterRequest;
          if (n.type !== 'append') { held = n; break; }
          msgs.push(n);
          entries += n.leafInputs.length;
        }
        commitAppends(msgs);
        if (held !== undefined) handle(held);
        return;
      }
      case 'checkpoint':
        try {
          const { note, size } = checkpointNow.immediate(m.nowMs);
          const fault = files.check();
          if (fault === undefined || rescued(fault)) reply({ type: 'checkpointed', req: m.req, note, size });
          else reply({ type: 'checkpoint-failed', req: m.req, code: 'ERR_CHRON_WRITE', message: fault.message });
          if (fault !== undefined) stop(fault);
        } catch (err) {
          resetFrontier();
          reply({ type: 'checkpoint-failed', req: m.req, ...describe(err) });
        }
        return;
      case 'close':
        db.close();
        reply({ type: 'closed', req: m.req });
        port.close();
        return;
    }
  };
  port.on('message', handle);
}

/**
 * After a lost WAL (deleted or replaced; the database file still the one opened), copies every frame of
 * the WAL still open into the database file (a FULL checkpoint, fsynced), so that the commits made
 * since the last checkpoint — acknowledged ones and the one that found the fault — survive. True when
 * the whole WAL was copied and the database path still names the file opened; the commit is then durable.
 */
function rescued(fault: FileFault): boolean {
  if (fault.cause !== 'wal_replaced') return false;
  try {
    const [r] = db.pragma('wal_checkpoint(FULL)') as { busy: number; log: number; checkpointed: number }[];
    return r !== undefined && r.busy === 0 && r.log === r.checkpointed && files.databaseUnmoved();
  } catch {
    return false;
  }
}

/**
 * Closes the log to appends after a file fault: tells the client why (it rejects everything still
 * pending and every later append with ERR_CHRON_WRITE), closes the database and exits. SQLite does not
 * checkpoint or delete the WAL when closing a database whose file has moved.
 */
function stop(fault: FileFault): void {
  stopped = true;
  reply({ type: 'fatal', cause: fault.cause, message: fault.message });
  try {
    db.close();
  } finally {
    port.close();
  }
}

/** Rows per multi-row INSERT statement (SQLite allows 32,766 parameters; 64 × 4 stays far below). */
const ROWS = 64;

/**
 * Returns an inserter for `prefix` + `tuple` rows: given a flat parameter list of `width` values per row,
 * it runs one statement per ROWS rows (and one for the rest), each prepared once and cached by row count.
 */
function multiRowInsert(d: Database.Database, prefix: string, tuple: string): (params: unknown[], width: number) => void {
  const byRows = new Map<number, Database.Statement>();
  const statement = (rows: number): Database.Statement => {
    let st = byRows.get(rows);
    if (st === undefined) {
      st = d.prepare(prefix + Array.from({ length: rows }, () => tuple).join(', '));
      byRows.set(rows, st);
    }
    return st;
  };
  return (params, width) => {
    const rows = params.length / width;
    for (let r = 0; r < rows; r += ROWS) {
      const n = Math.min(ROWS, rows - r);
      statement(n).run(params.slice(r * width, (r + n) * width));
    }
  };
}

/** Format 2's `nodes` value: the hashes of the subtrees one append completed, lowest level first; NULL for none. */
function nodesBlob(completed: readonly Subtree[]): Uint8Array | null {
  if (completed.length === 0) return null;
  if (completed.length === 1) return (completed[0] as Subtree).hash;
  return Buffer.concat(completed.map((st) => st.hash));
}

/**
 * Opens (or creates, in the current format) the database for writing. An existing database keeps its
 * format; one of another origin is ERR_CHRON_ORIGIN, an unknown format or a foreign database ERR_CHRON_FORMAT.
 */
function openWritable(i: WriterInit): { db: Database.Database; format: StoreFormat } {
  mkdirSync(dirname(i.path), { recursive: true });
  const d = new Database(i.path, { fileMustExist: false });
  // 16 KiB pages for a new database (an existing one keeps its own: SQLite ignores this then). Each WAL
  // frame costs two pwrite calls and each checkpointed page a pread and a pwrite, so larger pages mean
  // fewer system calls per commit: ≈ 35 → 23 for a gateway commit of ≈ 12 entries (bench/README.md).
  d.pragma(`page_size = ${PAGE_SIZE}`);
  d.pragma('journal_mode = WAL');
  // Statement journals in memory: with 16 KiB pages a multi-row INSERT's journal would otherwise spill to
  // a temporary file (create, write, unlink) at every few commits.
  d.pragma('temp_store = MEMORY');
  // Checkpoint the WAL back into the database every ≈ 4 MiB of frames, whatever the page size (SQLite counts
  // pages: its default of 1,000 would mean 16 MiB with 16 KiB pages). A checkpoint stalls the writer while it
  // copies; smaller, more frequent ones halved the commits over 5 ms in the gateway (bench/README.md).
  d.pragma(`wal_autocheckpoint = ${Math.ceil(WAL_CHECKPOINT_BYTES / (d.pragma('page_size', { simple: true }) as number))}`);
  d.pragma('synchronous = FULL');
  d.pragma('busy_timeout = 5000');
  // IMMEDIATE: two processes creating one database at once do it one after the other.
  const f = d.transaction((): StoreFormat => {
    const tables = d.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
    if (!tables.includes('meta')) {
      if (tables.length > 0) throw new ChronError('ERR_CHRON_FORMAT', `${i.path} is an SQLite database without Chron's meta table (not a Chron database)`);
      d.exec(SCHEMA_SQL);
      d.prepare('INSERT INTO meta (key, value) VALUES (?, ?), (?, ?)').run('format', STORE_FORMAT, 'origin', i.origin);
      return STORE_FORMAT;
    }
    const get = d.prepare('SELECT value FROM meta WHERE key = ?').pluck();
    const existing = storeFormat(get.get('format') as string | undefined);
    const origin = get.get('origin') as string | undefined;
    if (origin !== i.origin) throw new ChronError(origin === undefined ? 'ERR_CHRON_FORMAT' : 'ERR_CHRON_ORIGIN', origin === undefined ? 'database has no origin (not a Chron database)' : `database belongs to origin "${origin}", not "${i.origin}"`);
    return existing;
  }).immediate();
  return { db: d, format: f };
}

function storedSize(): number {
  maxIdx ??= db.prepare('SELECT max(idx) FROM entries').pluck();
  const max = maxIdx.get() as number | null;
  return max === null ? 0 : max + 1;
}

function reader(): SubtreeReader {
  if (subtreeReader !== undefined) return subtreeReader;
  const leaf = db.prepare('SELECT leaf_hash FROM entries WHERE idx = ?').pluck();
  const node = db.prepare(subtreeQuery(format)).pluck();
  subtreeReader = storedSubtrees(format, (i) => leaf.get(i), (k) => node.get(k));
  return subtreeReader;
}

function syncFrontier(): void {
  const size = storedSize();
  if (size !== frontier.size) frontier = Frontier.load(size, reader());
}

function resetFrontier(): void {
  try {
    frontier = Frontier.load(storedSize(), reader());
  } catch {
    // The next transaction's syncFrontier retries; until then appends fail closed.
  }
}

function describe(err: unknown): { code: string; message: string } {
  if (isChronError(err)) return { code: err.code, message: err.message };
  const sqlite = (err as { code?: unknown }).code;
  return { code: 'ERR_CHRON_WRITE', message: `database write failed${typeof sqlite === 'string' ? ` (${sqlite})` : ''}` };
}
