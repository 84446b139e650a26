import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChronError } from './errors.js';
import { perfectSubtrees, toHex } from './merkle-hash.js';
import type { StoreReader } from './store-reader.js';

/** What exportLog wrote. `covered`: the newest exported checkpoint's size; entries [covered, to) are covered by no checkpoint and will not verify. */
export interface ExportSummary { from: number; to: number; covered: number; checkpoints: number; dir: string }

/**
 * Writes an auditor's export of entries [from, to) of a Chron database into `dir`:
 *
 * - `entries.jsonl` — line i is the exact stored bytes of entry from+i (never re-serialised);
 * - `leaves` — line i is the stored leaf hash (hex) of entry from+i; unauthenticated, used by
 *   `verify` only to name the first entry whose bytes changed;
 * - `prefix` — when from > 0, the hex hashes of the perfect subtrees covering [0, from), one per
 *   line, so roots can be recomputed without the earlier entries; plus `range` = "<from> <to>\n";
 * - `checkpoint` — the newest exported signed checkpoint, byte for byte;
 * - `checkpoints/<seq>` — every stored checkpoint whose size lies in [from, to] (all of them for a
 *   full export), one file each, verbatim;
 * - `vkey` — every verifier key that signed in this database (auditors should bring their own).
 *
 * Preconditions: 0 ≤ from ≤ to ≤ stored size. Throws ERR_CHRON_RANGE or ERR_CHRON_EXPORT.
 */
export async function exportLog(store: StoreReader, dir: string, range: { from?: number; to?: number } = {}): Promise<ExportSummary> {
  const size = store.size();
  const from = range.from ?? 0;
  const to = range.to ?? size;
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || from > to || to > size) {
    throw new ChronError('ERR_CHRON_RANGE', `export range must satisfy 0 <= from <= to <= ${size}`);
  }
  const cps = store.checkpoints().filter((c) => c.treeSize >= from && c.treeSize <= to && (from === 0 || c.treeSize > 0));
  const newest = cps[cps.length - 1];
  if (newest === undefined) throw new ChronError('ERR_CHRON_NOT_FOUND', `no checkpoint has a size in [${from}, ${to}]; sign one with "claiim chron checkpoint" first`);
  try {
    await mkdir(join(dir, 'checkpoints'), { recursive: true });
    const entries = createWriteStream(join(dir, 'entries.jsonl'));
    const leaves = createWriteStream(join(dir, 'leaves'));
    for (const e of store.entries(from, to)) {
      await write(entries, Buffer.concat([e.data, NL]));
      await write(leaves, `${toHex(e.leafHash)}\n`);
    }
    await Promise.all([end(entries), end(leaves)]);
    if (from > 0) {
      const read = store.subtrees();
      const prefix = perfectSubtrees(0, from).map((p) => `${toHex(read(p.level, p.index))}\n`).join('');
      await writeFile(join(dir, 'prefix'), prefix);
    }
    await writeFile(join(dir, 'range'), `${from} ${to}\n`);
    for (const c of cps) await writeFile(join(dir, 'checkpoints', String(c.seq).padStart(10, '0')), c.note);
    await writeFile(join(dir, 'checkpoint'), newest.note);
    await writeFile(join(dir, 'vkey'), store.vkeys().map((v) => `${v}\n`).join(''));
  } catch (err) {
    throw new ChronError('ERR_CHRON_EXPORT', `cannot write export to ${dir}`, { cause: err });
  }
  return { from, to, covered: newest.treeSize, checkpoints: cps.length, dir };
}

function write(s: WriteStream, chunk: Buffer | string): Promise<void> | void {
  if (!s.write(chunk)) return new Promise((r) => s.once('drain', () => r()));
}

function end(s: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.end(() => resolve());
  });
}

const NL = Buffer.from('\n');
