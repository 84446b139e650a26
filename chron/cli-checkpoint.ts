import { openChron } from './chron.js';
import { type CliIo, required, runSubcommand } from './cli-common.js';
import { StoreReader } from './store-reader.js';

/** Usage of `claiim chron checkpoint`. */
export const CHECKPOINT_HELP = `Usage: claiim chron checkpoint --db FILE --key FILE [--cosign-key FILE ...]

Signs a checkpoint of the current tree now, stores it, and prints the signed note. Safe while
the gateway runs (SQLite serialises the writers; the tree is re-read before signing).

Options:
  --db FILE           Chron SQLite database
  --key FILE          Ed25519 private JWK of the log (its "kid" is the key name)
  --cosign-key FILE   an additional key that co-signs (key rotation overlap); repeatable
  -h, --help          this text
`;

/** `claiim chron checkpoint`: exit 0 and the signed note on stdout. */
export function checkpointCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return runSubcommand('checkpoint', CHECKPOINT_HELP, argv, io, {
    db: { type: 'string' }, key: { type: 'string' }, 'cosign-key': { type: 'string', multiple: true },
  }, async (p) => {
    const path = required(p, 'db');
    const probe = new StoreReader(path);
    let origin: string;
    try {
      origin = probe.origin();
    } finally {
      probe.close();
    }
    const cosign = p.values['cosign-key'];
    const log = await openChron({
      path, origin, signingKeyFile: required(p, 'key'), checkpointIntervalMs: 0,
      ...(Array.isArray(cosign) ? { additionalSigningKeyFiles: cosign } : {}),
    });
    let note: string;
    try {
      note = await log.checkpoint();
    } finally {
      await log.close();
    }
    io.stdout.write(note);
    return 0;
  });
}
