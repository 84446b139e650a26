import { readFile, writeFile } from 'node:fs/promises';
import { openChronReadonly } from './chron.js';
import { type CliIo, integer, optional, required, runSubcommand } from './cli-common.js';
import { loadVerifiers, originOf } from './cli-verify.js';
import { ChronError } from './errors.js';
import { leafHash } from './merkle-hash.js';
import { parseTlogProof, verifyTlogProof } from './tlog-proof.js';

/** Usage of `claiim chron prove`. */
export const PROVE_HELP = `Usage: claiim chron prove --db FILE (--index N | --id ID) --out FILE

Writes a c2sp.org/tlog-proof@v1 file proving that one entry is in the log: the inclusion
proof against the newest stored checkpoint that covers it, that checkpoint verbatim, and the
entry's exact bytes on the "extra" line. Read-only: if no checkpoint covers the entry yet,
run "claiim chron checkpoint" (or wait for the gateway's schedule) first.

Options:
  --db FILE     Chron SQLite database
  --index N     entry index
  --id ID       the record's "id" (e.g. a decision id from a 403 body)
  --out FILE    where to write the proof (suggested extension .tlog-proof)
  -h, --help    this text
`;

/** Usage of `claiim chron verify-proof`. */
export const VERIFY_PROOF_HELP = `Usage: claiim chron verify-proof FILE --vkey FILE [--origin O] [--entry FILE | --leaf-hash HEX]

Verifies a c2sp.org/tlog-proof@v1 file offline: the checkpoint's signature with the trusted
key, then RFC 9162 inclusion of the entry at the stated index. The entry bytes come from the
proof's "extra" line, or from --entry (exact bytes) or --leaf-hash. Exit 0 only if it verifies.

Options:
  --vkey FILE       trusted verifier key(s)
  --origin O        expected origin (default: the key's name)
  --entry FILE      the entry's exact bytes
  --leaf-hash HEX   the entry's RFC 6962 leaf hash
  -h, --help        this text
`;

/** `claiim chron prove`: exit 0 when the proof file was written. */
export function proveCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return runSubcommand('prove', PROVE_HELP, argv, io, {
    db: { type: 'string' }, index: { type: 'string' }, id: { type: 'string' }, out: { type: 'string' },
  }, async (p) => {
    const out = required(p, 'out');
    const byIndex = integer(p, 'index');
    const id = optional(p, 'id');
    if ((byIndex === undefined) === (id === undefined)) throw new ChronError('ERR_CHRON_USAGE', 'exactly one of --index and --id is required');
    const log = openChronReadonly(required(p, 'db'));
    try {
      const index = byIndex ?? log.indexOfId(id as string);
      if (index === undefined) throw new ChronError('ERR_CHRON_NOT_FOUND', 'no entry has that --id');
      const proof = await log.proveInclusion(index);
      await writeFile(out, proof.tlogProof);
      io.stdout.write(`wrote proof of entry ${index} in the tree of size ${proof.treeSize} to ${out}\n`);
      return 0;
    } finally {
      await log.close();
    }
  });
}

/** `claiim chron verify-proof`: exit 0 only when the proof verifies. */
export function verifyProofCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return runSubcommand('verify-proof', VERIFY_PROOF_HELP, argv, io, {
    vkey: { type: 'string' }, origin: { type: 'string' }, entry: { type: 'string' }, 'leaf-hash': { type: 'string' },
  }, async (p) => {
    const file = p.positionals[0];
    if (file === undefined || p.positionals.length > 1) throw new ChronError('ERR_CHRON_USAGE', 'exactly one proof file is required');
    const verifiers = await loadVerifiers(required(p, 'vkey'));
    const text = await readFile(file, 'utf8').catch((err: unknown) => {
      throw new ChronError('ERR_CHRON_USAGE', `cannot read proof ${file}`, { cause: err });
    });
    const parsed = parseTlogProof(text);
    const entryFile = optional(p, 'entry');
    const leafHex = optional(p, 'leaf-hash');
    let leaf: Uint8Array;
    if (entryFile !== undefined) leaf = leafHash(await readFile(entryFile));
    else if (leafHex !== undefined) {
      if (!/^[0-9a-f]{64}$/.test(leafHex)) throw new ChronError('ERR_CHRON_USAGE', '--leaf-hash must be 64 lowercase hex digits');
      leaf = Buffer.from(leafHex, 'hex');
    } else if (parsed.extra !== undefined) leaf = leafHash(parsed.extra);
    else throw new ChronError('ERR_CHRON_USAGE', 'the proof has no entry bytes; pass --entry or --leaf-hash');
    const r = verifyTlogProof(text, leaf, verifiers, optional(p, 'origin') ?? originOf(verifiers));
    io.stdout.write(`OK: entry ${r.index} is in the log ${r.checkpoint.origin} at size ${r.checkpoint.treeSize}, signed by ${r.checkpoint.verifiedBy.join(', ')}\n`);
    if (entryFile === undefined && leafHex === undefined && parsed.extra !== undefined) io.stdout.write(`${Buffer.from(parsed.extra).toString('utf8')}\n`);
    return 0;
  });
}
