import { createWriteStream } from 'node:fs';
import { type CliIo, integer, optional, required, runSubcommand } from './cli-common.js';
import { ChronError } from './errors.js';
import { exportLog } from './export.js';
import { decisionToOcsf, formatOcsfLine, isDecisionRecord, outcomeOf, type OcsfOutcome } from './ocsf.js';
import { StoreReader } from './store-reader.js';

/** Usage of `claiim chron export`. */
export const EXPORT_HELP = `Usage: claiim chron export --db FILE --out DIR [--from N] [--to M]
       claiim chron export --db FILE --format ocsf --out FILE|- [--from N] [--to M]

Writes an auditor's export of a Chron database (read-only; the gateway may keep running):
  DIR/entries.jsonl   line i = the exact stored bytes of entry i (never re-serialised)
  DIR/leaves          stored leaf hashes, hex, one per entry (diagnostics only)
  DIR/checkpoint      the newest signed checkpoint in the range, byte for byte; entries after
                      its size are covered by no signature and do not verify (a warning says so)
  DIR/checkpoints/    every stored checkpoint in the range, one file each
  DIR/vkey            the verifier keys that signed in this database
  DIR/range, DIR/prefix  the exported range and, when --from > 0, the subtree hashes before it

With --format ocsf, writes every decision entry as one OCSF 1.3.0 API Activity event (class 6003)
per line (JSONL) to FILE, or to stdout with "-", for SIEM ingestion. Each event carries the Chron
origin, index and leaf hash (unmapped.chron) so it can be traced back to its inclusion proof
(docs/ocsf.md).

Options:
  --db FILE       Chron SQLite database
  --out DIR|FILE  output directory (created), or with --format ocsf the JSONL file ("-" = stdout)
  --format F      "chron" (default: the verifiable export) or "ocsf"
  --from N        first entry index (default 0)
  --to M          end of the range, exclusive (default: every entry)
  -h, --help      this text
`;

/** `claiim chron export`: exit 0 when the export was written, 1 on a Chron error, 2 on usage. */
export function exportCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return runSubcommand('export', EXPORT_HELP, argv, io, {
    db: { type: 'string' }, out: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string' },
  }, async (p) => {
    const db = required(p, 'db');
    const out = required(p, 'out');
    const format = optional(p, 'format') ?? 'chron';
    if (format !== 'chron' && format !== 'ocsf') throw new ChronError('ERR_CHRON_USAGE', '--format must be "chron" or "ocsf"');
    const range = { from: integer(p, 'from'), to: integer(p, 'to') };
    const store = new StoreReader(db);
    try {
      store.origin();
      if (format === 'ocsf') {
        const n = await exportOcsf(store, out, range, io);
        if (out !== '-') io.stdout.write(`wrote ${n} OCSF event(s) to ${out}\n`);
        return 0;
      }
      const s = await exportLog(store, out, { ...(range.from === undefined ? {} : { from: range.from }), ...(range.to === undefined ? {} : { to: range.to }) });
      io.stdout.write(`exported entries [${s.from}, ${s.to}) and ${s.checkpoints} checkpoint(s) to ${s.dir}\n`);
      if (s.covered < s.to) io.stderr.write(`warning: entries [${s.covered}, ${s.to}) come after the newest checkpoint (size ${s.covered}) and will not verify; sign a checkpoint first ("claiim chron checkpoint") or export with --to ${s.covered}\n`);
      return 0;
    } finally {
      store.close();
    }
  });
}

/**
 * Writes the decision entries of [from, to) as OCSF JSONL to `out` ("-" = io.stdout). Outcome entries
 * in the same range are joined to their ALLOW (upstream status). Entries that are not JSON or not
 * decisions are skipped. Returns the number of events. Throws ERR_CHRON_RANGE / ERR_CHRON_EXPORT.
 */
async function exportOcsf(store: StoreReader, out: string, range: { from: number | undefined; to: number | undefined }, io: CliIo): Promise<number> {
  const size = store.size();
  const from = range.from ?? 0;
  const to = range.to ?? size;
  if (from > to || to > size) throw new ChronError('ERR_CHRON_RANGE', `export range must satisfy 0 <= from <= to <= ${size}`);
  const origin = store.origin();
  const outcomes = new Map<string, OcsfOutcome>();
  for (const e of store.entries(from, to)) {
    const o = outcomeOf(parse(e.data));
    if (o !== undefined) outcomes.set(o.decisionId, o.outcome);
  }
  const sink = out === '-' ? undefined : createWriteStream(out);
  const failed = sink === undefined ? undefined : new Promise<never>((_, reject) => sink.once('error', (err) => reject(new ChronError('ERR_CHRON_EXPORT', `cannot write ${out}`, { cause: err }))));
  failed?.catch(() => undefined);
  let n = 0;
  for (const e of store.entries(from, to)) {
    const record = parse(e.data);
    if (!isDecisionRecord(record)) continue;
    const id = typeof record.decision_id === 'string' ? record.decision_id : undefined;
    const line = formatOcsfLine(decisionToOcsf(record, { origin, index: e.index, leafHash: e.leafHash }, id === undefined ? undefined : outcomes.get(id)));
    n += 1;
    if (sink === undefined) io.stdout.write(line);
    else if (!sink.write(line)) await Promise.race([new Promise<void>((r) => sink.once('drain', () => r())), failed]);
  }
  if (sink !== undefined) await Promise.race([new Promise<void>((r) => sink.end(() => r())), failed]);
  return n;
}

function parse(data: Buffer): unknown {
  try {
    return JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
}
