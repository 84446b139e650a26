import { Worker } from 'node:worker_threads';
import { ChronError, type ChronErrorCode } from './errors.js';
import { toHex } from './merkle-hash.js';
import { MAX_BATCH, type WriterInit, type WriterReply, type WriterRequest } from './store-schema.js';

/** Where an appended entry landed: its gapless index and lowercase-hex RFC 6962 leaf hash. */
export interface AppendResult { index: number; leafHash: string }

/**
 * Why a writable log was closed to appends before close() was called: the writer thread crashed
 * (`writer_crashed`) or exited (`writer_exited`), or the database file (`database_replaced`) or its
 * WAL (`wal_replaced`) was deleted or replaced under it (open-files.ts). `message` names the cause and
 * the file path only. Only a restart (reopening the log) clears it.
 */
export interface ChronFault { readonly cause: 'writer_crashed' | 'writer_exited' | 'database_replaced' | 'wal_replaced'; readonly message: string }

/** Counters for tests and benchmarks: group commit shows as transactions < appends. */
export interface WriterStats { appends: number; transactions: number }

/** One queued entry. `joinNext`: must commit in the same transaction as the entry queued after it (appendAll). */
interface Pending { data: Uint8Array; recordId: string | null; resolve: (r: AppendResult) => void; reject: (e: ChronError) => void; joinNext: boolean }

/**
 * The main-thread side of the Chron writer: queues appends and sends them to the writer worker once per
 * event-loop turn (setImmediate), so the appends of one turn travel as one message. The worker groups
 * every message waiting on its port into one transaction (group commit happens there, without waiting
 * for this thread between two commits). Every append promise settles only after its own transaction
 * committed (resolve) or failed (reject ERR_CHRON_WRITE).
 * If the worker dies, or reports that the database file or its WAL was deleted or replaced under it
 * (`fatal`, then it exits), every pending and future append rejects: the log fails closed until the
 * process reopens it. A failed transaction (e.g. disk full) rejects only its own entries; later
 * appends retry against the stored state.
 */
export class WriterClient {
  readonly #worker: Worker;
  /** Queued, not yet sent to the worker. */
  #queue: Pending[] = [];
  /** Sent, waiting for the worker's reply, by message (batch) id. */
  #inFlight = new Map<number, Pending[]>();
  #sendScheduled: NodeJS.Immediate | undefined;
  #requests = new Map<number, { resolve: (r: WriterReply) => void; reject: (e: ChronError) => void }>();
  #next = 1;
  #size: number;
  #dead: ChronError | undefined;
  #fault: ChronFault | undefined;
  #stats: WriterStats = { appends: 0, transactions: 0 };
  #drainWaiters: (() => void)[] = [];
  #closing = false;
  #deferTimer: NodeJS.Timeout | undefined;

  private constructor(worker: Worker, size: number) {
    this.#worker = worker;
    this.#size = size;
    worker.on('message', (m: WriterReply) => this.#onReply(m));
    worker.on('error', () => this.#die({ cause: 'writer_crashed', message: 'the writer thread crashed' }));
    worker.on('exit', () => this.#die({ cause: 'writer_exited', message: 'the writer thread exited' }));
  }

  /** Starts the worker and resolves once it has opened (or created) the database. Rejects with the worker's ChronError code. */
  static start(init: WriterInit): Promise<WriterClient> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(new URL('./writer-worker.js', import.meta.url), { workerData: init });
      const onExit = (): void => reject(new ChronError('ERR_CHRON_WRITE', 'writer worker exited while opening the database'));
      worker.once('exit', onExit);
      worker.once('error', (err) => reject(new ChronError('ERR_CHRON_WRITE', 'writer worker failed to start', { cause: err })));
      worker.once('message', (m: WriterReply) => {
        worker.off('exit', onExit);
        if (m.type === 'ready') resolve(new WriterClient(worker, m.size));
        else if (m.type === 'open-failed') {
          void worker.terminate();
          reject(new ChronError(m.code as ChronErrorCode, m.message));
        }
      });
    });
  }

  /** Committed tree size as last reported by the writer. */
  get size(): number {
    return this.#size;
  }

  /** Called after every committed transaction with its number of entries (metrics). Must not throw. */
  onCommit: ((entries: number) => void) | undefined;

  /** Called once, when the log is closed to appends by a fault (never by close()). Must not throw. */
  onFault: ((fault: ChronFault) => void) | undefined;

  /** Why the log was closed to appends by a fault; undefined while it accepts appends and after close(). */
  get fault(): ChronFault | undefined {
    return this.#fault;
  }

  /** Copy of the append/transaction counters. */
  stats(): WriterStats {
    return { ...this.#stats };
  }

  /**
   * Queues entry bytes; resolves after the transaction holding them committed (fsynced). With
   * `deferMs`, the entry waits up to that long for a non-deferred append to travel with, so it shares
   * that transaction (and its fsync) instead of paying its own; the promise still resolves only once it
   * is durable.
   */
  append(data: Uint8Array, recordId: string | null, deferMs = 0): Promise<AppendResult> {
    if (this.#dead !== undefined) return Promise.reject(this.#dead);
    return new Promise((resolve, reject) => {
      this.#queue.push({ data, recordId, resolve, reject, joinNext: false });
      this.#kick(deferMs);
    });
  }

  /**
   * Queues several entries that commit in one transaction, in this order, with consecutive indices: all
   * durable, or none (each promise then rejects ERR_CHRON_WRITE). At most MAX_BATCH entries (ERR_CHRON_USAGE).
   */
  appendAll(items: readonly { data: Uint8Array; recordId: string | null }[], deferMs = 0): Promise<AppendResult[]> {
    if (this.#dead !== undefined) return Promise.reject(this.#dead);
    if (items.length > MAX_BATCH) return Promise.reject(new ChronError('ERR_CHRON_USAGE', `at most ${MAX_BATCH} entries commit together`));
    if (items.length === 0) return Promise.resolve([]);
    const done = items.map((it, i) => new Promise<AppendResult>((resolve, reject) => {
      this.#queue.push({ data: it.data, recordId: it.recordId, resolve, reject, joinNext: i < items.length - 1 });
    }));
    this.#kick(deferMs);
    return Promise.all(done);
  }

  /** Sends the queue at the end of this event-loop turn; deferred entries alone wait up to `deferMs` for company. */
  #kick(deferMs: number): void {
    if (deferMs > 0) {
      if (this.#sendScheduled === undefined) this.#deferTimer ??= setTimeout(() => { this.#deferTimer = undefined; this.#send(); }, deferMs);
      return;
    }
    this.#sendScheduled ??= setImmediate(() => { this.#sendScheduled = undefined; this.#send(); });
  }

  /** Signs and stores a checkpoint after every append queued so far; resolves with the signed note. */
  async checkpoint(nowMs: number): Promise<{ note: string; size: number }> {
    this.#send();
    const r = await this.#request({ type: 'checkpoint', req: 0, nowMs });
    if (r.type === 'checkpointed') return { note: r.note, size: r.size };
    throw new ChronError('ERR_CHRON_WRITE', 'unexpected writer reply');
  }

  /** Resolves once every append queued so far has committed or failed. */
  async drain(): Promise<void> {
    this.#send();
    if (this.#queue.length > 0 || this.#inFlight.size > 0) {
      await new Promise<void>((r) => this.#drainWaiters.push(r));
    }
  }

  /** Waits for queued appends to commit, then closes the database and stops the worker. */
  async close(): Promise<void> {
    await this.drain();
    if (this.#dead !== undefined) return;
    const exited = new Promise<void>((r) => this.#worker.once('exit', () => r()));
    this.#closing = true;
    this.#worker.postMessage({ type: 'close', req: 0 } satisfies WriterRequest);
    await exited;
  }

  /** Sends every queued entry now, in messages of at most MAX_BATCH entries that never split an appendAll group. */
  #send(): void {
    if (this.#deferTimer !== undefined) { clearTimeout(this.#deferTimer); this.#deferTimer = undefined; }
    if (this.#sendScheduled !== undefined) { clearImmediate(this.#sendScheduled); this.#sendScheduled = undefined; }
    if (this.#dead !== undefined) return;
    while (this.#queue.length > 0) {
      let n = Math.min(MAX_BATCH, this.#queue.length);
      while (n < this.#queue.length && (this.#queue[n - 1] as Pending).joinNext) n++;
      const batch = this.#queue.splice(0, n);
      const id = this.#next++;
      this.#inFlight.set(id, batch);
      const { views, buffer } = packBatch(batch);
      const msg: WriterRequest = { type: 'append', batch: id, leafInputs: views, recordIds: batch.map((p) => p.recordId) };
      // Transferred, not cloned: one move of the whole batch instead of a structured clone per entry.
      this.#worker.postMessage(msg, [buffer]);
    }
  }

  #settleDrain(): void {
    if (this.#queue.length === 0 && this.#inFlight.size === 0) for (const w of this.#drainWaiters.splice(0)) w();
  }

  #request(msg: WriterRequest & { req: number }): Promise<WriterReply> {
    if (this.#dead !== undefined) return Promise.reject(this.#dead);
    const req = this.#next++;
    return new Promise((resolve, reject) => {
      this.#requests.set(req, { resolve, reject });
      this.#worker.postMessage({ ...msg, req });
    });
  }

  #onReply(m: WriterReply): void {
    switch (m.type) {
      case 'appended': {
        let index = m.first;
        let k = 0;
        for (const id of m.batches) {
          const batch = this.#inFlight.get(id) ?? [];
          this.#inFlight.delete(id);
          for (const p of batch) p.resolve({ index: index++, leafHash: toHex(m.leafHashes[k++] as Uint8Array) });
        }
        this.#size = index;
        this.#stats.appends += k;
        this.#stats.transactions += 1;
        this.onCommit?.(k);
        this.#settleDrain();
        return;
      }
      case 'append-failed': {
        const err = new ChronError('ERR_CHRON_WRITE', `entries could not be made durable: ${m.message}`);
        for (const id of m.batches) {
          const batch = this.#inFlight.get(id) ?? [];
          this.#inFlight.delete(id);
          for (const p of batch) p.reject(err);
        }
        this.#stats.transactions += 1;
        this.#settleDrain();
        return;
      }
      case 'checkpointed':
      case 'closed':
        this.#settle(m.req, (r) => r.resolve(m));
        return;
      case 'checkpoint-failed':
        this.#settle(m.req, (r) => r.reject(new ChronError(m.code as ChronErrorCode, m.message)));
        return;
      case 'fatal':
        this.#die({ cause: m.cause, message: m.message });
        return;
      default:
        return;
    }
  }

  #settle(req: number, f: (r: { resolve: (r: WriterReply) => void; reject: (e: ChronError) => void }) => void): void {
    const r = this.#requests.get(req);
    if (r === undefined) return;
    this.#requests.delete(req);
    f(r);
  }

  #die(fault: ChronFault): void {
    if (this.#dead !== undefined) return;
    this.#dead = new ChronError('ERR_CHRON_WRITE', this.#closing ? 'the log is closed' : `${fault.message}; the log is closed to appends`);
    if (!this.#closing) this.#fault = fault;
    const err = this.#dead;
    for (const batch of this.#inFlight.values()) for (const p of batch) p.reject(err);
    for (const p of this.#queue) p.reject(err);
    for (const r of this.#requests.values()) r.reject(err);
    this.#inFlight.clear();
    this.#queue = [];
    this.#requests.clear();
    for (const w of this.#drainWaiters.splice(0)) w();
    if (this.#fault !== undefined) this.onFault?.(this.#fault);
  }
}

/**
 * Copies the entries of a batch into one fresh ArrayBuffer (never Buffer's shared pool, which must not
 * be transferred), each as its RFC 6962 leaf input 0x00 || bytes, and returns a view of each leaf input.
 * The writer hashes the views in place. The caller's bytes are left untouched.
 */
function packBatch(batch: readonly Pending[]): { views: Uint8Array[]; buffer: ArrayBuffer } {
  let total = 0;
  for (const p of batch) total += 1 + p.data.byteLength;
  const buffer = new ArrayBuffer(total); // zero-filled: every leaf prefix byte is already 0x00
  const all = new Uint8Array(buffer);
  const views: Uint8Array[] = [];
  let at = 0;
  for (const p of batch) {
    all.set(p.data, at + 1);
    views.push(all.subarray(at, at + 1 + p.data.byteLength));
    at += 1 + p.data.byteLength;
  }
  return { views, buffer };
}
