import { statSync, type BigIntStats } from 'node:fs';

/** Why the writer's open files no longer are the files its paths name. */
export interface FileFault { cause: 'database_replaced' | 'wal_replaced'; message: string }

/**
 * Notices when the database file or its WAL (`<path>-wal`) is deleted or replaced under the writer.
 * SQLite keeps writing to the file descriptors it opened: after an unlink or a rename over the path,
 * every commit "succeeds" into a file no one will open again, and is lost when the process ends.
 * So the writer records the device and inode each path names when it opens the database, and after
 * every commit, before reporting it durable, compares them with a fresh stat of both paths (two
 * system calls per commit, none per entry). While a connection is open SQLite never deletes or
 * recreates the WAL (only the last connection's close does), so a changed identity is always a fault.
 */
export class OpenFiles {
  readonly #db: string;
  readonly #wal: string;
  readonly #dbId: BigIntStats;
  #walId: BigIntStats | undefined;

  /** Records what `dbPath` and its WAL name now. Precondition: the database is open (the file exists); its WAL may not exist yet. */
  constructor(dbPath: string) {
    this.#db = dbPath;
    this.#wal = `${dbPath}-wal`;
    const db = stat(this.#db);
    if (db === undefined) throw new Error(`${dbPath} does not exist`);
    this.#dbId = db;
    this.#walId = stat(this.#wal);
  }

  /**
   * The fault, if the database path or the WAL path no longer names the file opened (deleted, or
   * replaced by another file); undefined when both still do. Call right after a COMMIT: the WAL then
   * exists, and a WAL first seen here is recorded as the one opened.
   */
  check(): FileFault | undefined {
    if (!same(stat(this.#db), this.#dbId)) {
      return { cause: 'database_replaced', message: `the database file ${this.#db} was deleted or replaced while the writer had it open; commits went to the old file` };
    }
    const wal = stat(this.#wal);
    if (this.#walId === undefined && wal !== undefined) this.#walId = wal;
    if (!same(wal, this.#walId)) {
      return { cause: 'wal_replaced', message: `the WAL file ${this.#wal} was deleted or replaced while the writer had it open; commits went to the old file` };
    }
    return undefined;
  }

  /** True while the database path still names the file opened (checked again after rescuing a lost WAL). */
  databaseUnmoved(): boolean {
    return same(stat(this.#db), this.#dbId);
  }
}

/** The path's identity, or undefined when it names nothing or cannot be stat'ed (then it cannot be confirmed: a fault). */
function stat(path: string): BigIntStats | undefined {
  try {
    return statSync(path, { bigint: true, throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

function same(now: BigIntStats | undefined, opened: BigIntStats | undefined): boolean {
  return now !== undefined && opened !== undefined && now.dev === opened.dev && now.ino === opened.ino;
}
