import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  inclusionProof, isChronError, leafHash, loadVerifiers, nodeHash, originOf, perfectSubtrees, toHex, verifyExport, type SubtreeReader,
} from '../../chron/index.js';

/** What verification established about an export, or the first thing that failed. */
export type Verification =
  | { readonly ok: true; readonly origin: string; readonly treeSize: number; readonly rootHash: string; readonly keyIds: readonly string[]; readonly checkpoints: number; readonly from: number; readonly to: number; readonly checkpointNote: string }
  | { readonly ok: false; readonly code: string; readonly message: string; readonly index?: number };

/** One line of `entries.jsonl`, with its place in the log and, when it is covered by the verified checkpoint, its inclusion proof. */
export interface ReportEntry {
  readonly index: number;
  /** The entry bytes decoded as UTF-8 (`lossless` false when they are not valid UTF-8). */
  readonly raw: string;
  readonly lossless: boolean;
  /** Hex RFC 6962 leaf hash recomputed from the exact bytes. */
  readonly leafHash: string;
  /** The parsed JSON object, or null when the line is not a JSON object. */
  readonly record: Record<string, unknown> | null;
  /** True only when verification succeeded and index < the verified checkpoint's tree size. */
  readonly covered: boolean;
  /** Base64 inclusion proof against the verified checkpoint (leaf's sibling first); present iff covered. */
  readonly proof?: readonly string[];
}

/** An export read for the report: the verification outcome and every entry. */
export interface LoadedExport { readonly verification: Verification; readonly entries: readonly ReportEntry[]; readonly from: number }

/**
 * Verifies the export in `dir` with the auditor's trusted keys (`vkeyFile`, one vkey per line; the
 * origin is the keys' name) using Chron's offline verifier, then reads every entry. Entries are
 * returned even when verification failed, so the report can show what the export claims, marked
 * unverified; proofs are computed only after verification succeeded, and only for entries inside the
 * newest verified checkpoint (RFC 9162 §2.1.3.1 PATH from the export's own leaves and prefix).
 * Throws ChronError ERR_CHRON_USAGE / ERR_CHRON_KEY when the key file is unusable (no report can be
 * trusted without a key); every other problem becomes `verification.ok === false`.
 */
export async function loadExport(dir: string, vkeyFile: string): Promise<LoadedExport> {
  const verifiers = await loadVerifiers(vkeyFile);
  const origin = originOf(verifiers);
  let verification: Verification;
  try {
    const r = await verifyExport(dir, { verifiers, expectedOrigin: origin });
    verification = { ok: true, origin, treeSize: r.newest.treeSize, rootHash: Buffer.from(r.newest.rootHash).toString('base64'), keyIds: r.newest.verifiedBy, checkpoints: r.checkpoints, from: r.from, to: r.to, checkpointNote: r.newest.note };
  } catch (err) {
    if (!isChronError(err)) throw err;
    verification = { ok: false, code: err.code, message: err.message, ...(err.index === undefined ? {} : { index: err.index }) };
  }
  const from = await readFrom(dir);
  const lines = await readLines(join(dir, 'entries.jsonl'));
  const leaves = lines.map((l) => leafHash(l));
  const coveredUpTo = verification.ok ? verification.treeSize : -1;
  const proofs = verification.ok ? proofReader(from, await readPrefix(dir), leaves) : undefined;
  const entries = lines.map((bytes, i): ReportEntry => {
    const index = from + i;
    const raw = bytes.toString('utf8');
    const covered = index < coveredUpTo;
    const proof = covered && proofs ? inclusionProof(proofs, index, coveredUpTo).map((h) => Buffer.from(h).toString('base64')) : undefined;
    return { index, raw, lossless: Buffer.from(raw, 'utf8').equals(bytes), leafHash: toHex(leaves[i] as Buffer), record: parseObject(raw), covered, ...(proof ? { proof } : {}) };
  });
  return { verification, entries, from };
}

/**
 * A SubtreeReader over an export: leaves from `entries.jsonl`, perfect subtrees before `from` from
 * `prefix`, everything else hashed on demand (RFC 6962 §2.1) and memoised, so proofs for all
 * entries cost O(n) hashes in total. Throws when asked for a subtree the export cannot reproduce.
 */
function proofReader(from: number, prefix: readonly Buffer[], leaves: readonly Buffer[]): SubtreeReader {
  const memo = new Map<string, Uint8Array>();
  perfectSubtrees(0, from).forEach((p, i) => { if (prefix[i]) memo.set(`${p.level}/${p.index}`, prefix[i] as Buffer); });
  const read: SubtreeReader = (level, index) => {
    const key = `${level}/${index}`;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    const start = index * 2 ** level;
    let h: Uint8Array;
    if (level === 0 && start >= from && leaves[start - from] !== undefined) h = leaves[start - from] as Buffer;
    else if (level > 0 && start + 2 ** level > from) h = nodeHash(read(level - 1, 2 * index), read(level - 1, 2 * index + 1));
    else throw new Error(`subtree ${key} is not reproducible from this export`);
    memo.set(key, h);
    return h;
  };
  return read;
}

async function readFrom(dir: string): Promise<number> {
  const text = await readFile(join(dir, 'range'), 'utf8').catch(() => '0 0\n');
  const from = Number(/^(0|[1-9][0-9]*) /.exec(text)?.[1] ?? '0');
  return Number.isSafeInteger(from) ? from : 0;
}

async function readPrefix(dir: string): Promise<Buffer[]> {
  const text = await readFile(join(dir, 'prefix'), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => /^[0-9a-f]{64}$/.test(l)).map((l) => Buffer.from(l, 'hex'));
}

/** The "\n"-terminated lines of a file as exact bytes; a missing file reads as no lines, an unterminated tail as one more line. */
async function readLines(file: string): Promise<Buffer[]> {
  const buf = await readFile(file).catch(() => Buffer.alloc(0));
  const out: Buffer[] = [];
  let start = 0;
  for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, start)) {
    out.push(buf.subarray(start, nl));
    start = nl + 1;
  }
  if (start < buf.length) out.push(buf.subarray(start));
  return out;
}

function parseObject(raw: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(raw);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : null;
  } catch {
    return null;
  }
}
