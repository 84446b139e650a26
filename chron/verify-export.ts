import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openCheckpoint, type VerifiedCheckpoint } from './checkpoint.js';
import { ChronError } from './errors.js';
import { Frontier } from './frontier.js';
import { leafHash, perfectSubtrees, toHex } from './merkle-hash.js';
import type { NoteVerifier } from './signed-note.js';

/** Inputs of verifyExport. `verifiers` are the auditor's trusted keys; `expectedOrigin` the log they expect. */
export interface VerifyExportOptions {
  verifiers: readonly NoteVerifier[];
  expectedOrigin: string;
  /** A signed checkpoint the auditor kept earlier: the export must extend it (the log only grew). */
  since?: string;
}

/**
 * What a successful verification covered. Only entries [from, verifiedTo) are verified: a signed
 * checkpoint's root was recomputed over them. Entries [verifiedTo, to) lie after every verified
 * checkpoint (a live log always has such a tail between two checkpoints): their bytes were read, but
 * nothing signed covers them, so they may have been changed, added or removed, and `to` itself
 * (from the unsigned `range` file) is only what the export claims.
 */
export interface VerifyExportResult { from: number; to: number; verifiedTo: number; checkpoints: number; newest: VerifiedCheckpoint }

/**
 * Verifies an export directory (see exportLog) offline, with only the trusted keys:
 * 1. every file in `checkpoints/` and `checkpoint` opens (C2SP signed-note with a trusted key,
 *    expected origin), and `checkpoint` is the newest of them;
 * 2. every line of `entries.jsonl` is hashed as an RFC 6962 leaf over its exact bytes;
 * 3. the root recomputed at each checkpoint's size equals that checkpoint's signed root — so all
 *    checkpoints are mutually consistent, being prefixes of the same entries;
 * 4. with `since`, the kept checkpoint's root equals the recomputed root at its size.
 * `from` and the `prefix` hashes are bound by those roots (RFC 6962 domain separation); `to` is not:
 * the result's `verifiedTo` (the largest verified checkpoint size) is where verification ends, and
 * callers must not call entries at or after it verified.
 * Throws the first failure as a ChronError (`index` set when an entry is to blame):
 * ERR_CHRON_SIGNATURE, ERR_CHRON_ORIGIN, ERR_CHRON_NOTE, ERR_CHRON_LEAF_MISMATCH,
 * ERR_CHRON_ROOT_MISMATCH, ERR_CHRON_INCONSISTENT, ERR_CHRON_EXPORT.
 */
export async function verifyExport(dir: string, opts: VerifyExportOptions): Promise<VerifyExportResult> {
  const [from, to] = await readRange(dir);
  const cps: VerifiedCheckpoint[] = [];
  for (const name of (await readdir(join(dir, 'checkpoints'))).sort()) {
    cps.push(open(await readText(join(dir, 'checkpoints', name)), `checkpoints/${name}`, opts));
  }
  const newestNote = await readText(join(dir, 'checkpoint'));
  const newest = open(newestNote, 'checkpoint', opts);
  if (cps.length === 0 || cps[cps.length - 1]?.note !== newestNote) {
    throw new ChronError('ERR_CHRON_EXPORT', 'checkpoint must be the newest file of checkpoints/');
  }
  const kept = opts.since === undefined ? undefined : open(opts.since, 'the --since checkpoint', opts);
  const targets = [...cps, ...(kept ? [kept] : [])];
  for (const c of targets) {
    if (c.treeSize < from || c.treeSize > to) throw new ChronError('ERR_CHRON_INCONSISTENT', `checkpoint of size ${c.treeSize} lies outside the exported range [${from}, ${to}]; the log may have shrunk`);
  }
  const bySize = new Map<number, VerifiedCheckpoint[]>();
  for (const c of targets) bySize.set(c.treeSize, [...(bySize.get(c.treeSize) ?? []), c]);

  const frontier = await startFrontier(dir, from);
  const stored = await exists(join(dir, 'leaves')) ? lines(join(dir, 'leaves')) : undefined;
  const check = (): void => {
    for (const c of bySize.get(frontier.size) ?? []) {
      if (!Buffer.from(frontier.root()).equals(c.rootHash)) {
        const what = c === kept ? 'the --since checkpoint' : `checkpoint of size ${c.treeSize}`;
        throw new ChronError('ERR_CHRON_ROOT_MISMATCH', `${what}: recomputed root differs; entries before ${c.treeSize} were changed, removed, reordered or added`);
      }
    }
  };
  check();
  let index = from;
  for await (const line of lines(join(dir, 'entries.jsonl'))) {
    if (index >= to) throw new ChronError('ERR_CHRON_EXPORT', `entries.jsonl has more lines than the range [${from}, ${to})`, { index });
    const leaf = leafHash(line);
    const want = stored === undefined ? undefined : (await stored.next()).value as Buffer | undefined;
    if (want !== undefined && want.toString('latin1') !== toHex(leaf)) {
      throw new ChronError('ERR_CHRON_LEAF_MISMATCH', `entry ${index}: bytes do not hash to the logged leaf hash (changed, removed or reordered)`, { index });
    }
    frontier.append(leaf);
    index += 1;
    check();
  }
  if (index < to) throw new ChronError('ERR_CHRON_EXPORT', `entries.jsonl ends at entry ${index}, the range says ${to}`, { index });
  const verifiedTo = Math.max(...targets.map((c) => c.treeSize));
  return { from, to, verifiedTo, checkpoints: cps.length, newest };
}

function open(note: string, what: string, opts: VerifyExportOptions): VerifiedCheckpoint {
  try {
    return openCheckpoint(note, opts.verifiers, opts.expectedOrigin);
  } catch (err) {
    if (err instanceof ChronError) throw new ChronError(err.code, `${what}: ${err.message}`);
    throw err;
  }
}

async function readRange(dir: string): Promise<[number, number]> {
  const m = /^(0|[1-9][0-9]*) (0|[1-9][0-9]*)\n$/.exec(await readText(join(dir, 'range')));
  const from = Number(m?.[1]);
  const to = Number(m?.[2]);
  if (m === null || !Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from > to) throw new ChronError('ERR_CHRON_EXPORT', 'range must be "<from> <to>"');
  return [from, to];
}

async function startFrontier(dir: string, from: number): Promise<Frontier> {
  if (from === 0) return Frontier.empty();
  const hashes = await readLines(join(dir, 'prefix'));
  const pieces = perfectSubtrees(0, from);
  if (hashes.length !== pieces.length || hashes.some((h) => !/^[0-9a-f]{64}$/.test(h))) throw new ChronError('ERR_CHRON_EXPORT', `prefix must hold ${pieces.length} hex hashes`);
  return Frontier.load(from, (level, index) => Buffer.from(hashes[pieces.findIndex((p) => p.level === level && p.index === index)] ?? '', 'hex'));
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false);
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new ChronError('ERR_CHRON_EXPORT', `cannot read ${file}`, { cause: err });
  }
}

async function readLines(file: string): Promise<string[]> {
  const t = await readText(file);
  return t === '' ? [] : t.replace(/\n$/, '').split('\n');
}

/** Splits a file into lines as raw bytes (no decoding, no re-encoding). Every line must end in "\n". */
async function* lines(file: string): AsyncGenerator<Buffer> {
  let rest = Buffer.alloc(0);
  const stream = createReadStream(file);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let buf = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
      let nl: number;
      while ((nl = buf.indexOf(0x0a)) >= 0) {
        yield buf.subarray(0, nl);
        buf = buf.subarray(nl + 1);
      }
      rest = Buffer.from(buf);
    }
  } catch (err) {
    throw new ChronError('ERR_CHRON_EXPORT', `cannot read ${file}`, { cause: err });
  }
  if (rest.length > 0) throw new ChronError('ERR_CHRON_EXPORT', `${file} must end with a newline`);
}
