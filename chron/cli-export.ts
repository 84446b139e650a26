import { type CliIo, integer, required, runSubcommand } from './cli-common.js';
import { exportLog } from './export.js';
import { StoreReader } from './store-reader.js';

/** Usage of `claiim chron export`. */
export const EXPORT_HELP = `Usage: claiim chron export --db FILE --out DIR [--from N] [--to M]

Writes an auditor's export of a Chron database (read-only; the gateway may keep running):
  DIR/entries.jsonl   line i = the exact stored bytes of entry i (never re-serialised)
  DIR/leaves          stored leaf hashes, hex, one per entry (diagnostics only)
  DIR/checkpoint      the newest signed checkpoint in the range, byte for byte
  DIR/checkpoints/    every stored checkpoint in the range, one file each
  DIR/vkey            the verifier keys that signed in this database
  DIR/range, DIR/prefix  the exported range and, when --from > 0, the subtree hashes before it

Options:
  --db FILE     Chron SQLite database
  --out DIR     output directory (created)
  --from N      first entry index (default 0)
  --to M        end of the range, exclusive (default: every entry)
  -h, --help    this text
`;

/** `claiim chron export`: exit 0 when the export was written, 1 on a Chron error, 2 on usage. */
export function exportCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return runSubcommand('export', EXPORT_HELP, argv, io, {
    db: { type: 'string' }, out: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' },
  }, async (p) => {
    const db = required(p, 'db');
    const out = required(p, 'out');
    const range = { from: integer(p, 'from'), to: integer(p, 'to') };
    const store = new StoreReader(db);
    try {
      store.origin();
      const s = await exportLog(store, out, { ...(range.from === undefined ? {} : { from: range.from }), ...(range.to === undefined ? {} : { to: range.to }) });
      io.stdout.write(`exported entries [${s.from}, ${s.to}) and ${s.checkpoints} checkpoint(s) to ${s.dir}\n`);
      return 0;
    } finally {
      store.close();
    }
  });
}
