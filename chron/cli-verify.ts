import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CliIo, optional, runSubcommand } from './cli-common.js';
import { ChronError } from './errors.js';
import { parseVerifierKeys } from './keys.js';
import type { NoteVerifier } from './signed-note.js';
import { verifyExport } from './verify-export.js';

/** Usage of `claiim chron verify`. */
export const VERIFY_HELP = `Usage: claiim chron verify DIR [--vkey FILE] [--origin ORIGIN] [--since CHECKPOINT_FILE] [--allow-uncovered]

Verifies an export offline: every checkpoint signature (C2SP signed-note, Ed25519), every
leaf hash recomputed from the exact entry bytes, the root at every checkpoint, and that all
checkpoints describe one append-only log. Only entries before the newest signed checkpoint's
size are verified: entries after it (a live log has them until the next checkpoint) are
covered by no signature and are reported as NOT VERIFIED.

Exit codes:
  0  every exported entry verified (with --allow-uncovered: every entry up to the newest
     checkpoint verified; the entries after it are listed as NOT VERIFIED)
  1  verification failed: prints the first bad entry index or signature
  2  usage
  3  every entry up to the newest checkpoint verified, but the export holds entries after it,
     which nothing signed covers (sign a checkpoint and export again, or export with --to)

Options:
  --vkey FILE        trusted verifier key(s), one "<name>+<id>+<key>" per line. Without it the
                     export's own DIR/vkey is used, which proves nothing against its publisher.
  --origin O         expected checkpoint origin (default: the trusted key's name)
  --since FILE       a signed checkpoint you kept earlier: the log must have only grown since
  --allow-uncovered  exit 0 rather than 3 when entries after the newest checkpoint are present
  -h, --help         this text
`;

/** Exit code of `claiim chron verify` when the covered entries verified but the export holds entries after the newest checkpoint. */
export const EXIT_UNCOVERED = 3;

/**
 * `claiim chron verify`: exit 0 only when every exported entry is covered by a verified checkpoint (or
 * `--allow-uncovered` accepts an uncovered tail), 1 on a verification failure, 2 on usage, 3
 * (EXIT_UNCOVERED) when entries after the newest checkpoint are present. Never prints entries
 * outside a verified checkpoint as verified.
 */
export function verifyCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return runSubcommand('verify', VERIFY_HELP, argv, io, {
    vkey: { type: 'string' }, origin: { type: 'string' }, since: { type: 'string' }, 'allow-uncovered': { type: 'boolean' },
  }, async (p) => {
    const dir = p.positionals[0];
    if (dir === undefined || p.positionals.length > 1) throw new ChronError('ERR_CHRON_USAGE', 'exactly one export directory is required');
    const vkeyFile = optional(p, 'vkey');
    if (vkeyFile === undefined) io.stderr.write('warning: no --vkey given; trusting DIR/vkey from the export itself\n');
    const verifiers = await loadVerifiers(vkeyFile ?? join(dir, 'vkey'));
    const origin = optional(p, 'origin') ?? originOf(verifiers);
    const sinceFile = optional(p, 'since');
    const since = sinceFile === undefined ? undefined : await readFile(sinceFile, 'utf8').catch((err: unknown) => {
      throw new ChronError('ERR_CHRON_USAGE', `cannot read --since ${sinceFile}`, { cause: err });
    });
    const r = await verifyExport(dir, { verifiers, expectedOrigin: origin, ...(since === undefined ? {} : { since }) });
    io.stdout.write(`OK: entries [${r.from}, ${r.verifiedTo}) verified against ${r.checkpoints} checkpoint(s); newest: size ${r.newest.treeSize}, signed by ${r.newest.verifiedBy.join(', ')}\n`);
    if (r.verifiedTo === r.to) return 0;
    io.stdout.write(`NOT VERIFIED: entries [${r.verifiedTo}, ${r.to}) lie after the newest signed checkpoint (size ${r.verifiedTo}); no signature covers them, so they may have been changed, added or removed\n`);
    if (p.values['allow-uncovered'] === true) return 0;
    io.stderr.write(`claiim chron verify: ${r.to - r.verifiedTo} exported entr${r.to - r.verifiedTo === 1 ? 'y is' : 'ies are'} not covered by a signed checkpoint; sign a checkpoint and export again, export with --to ${r.verifiedTo}, or pass --allow-uncovered\n`);
    return EXIT_UNCOVERED;
  });
}

/** Reads a vkey file. Throws ERR_CHRON_KEY / ERR_CHRON_USAGE. */
export async function loadVerifiers(file: string): Promise<NoteVerifier[]> {
  const text = await readFile(file, 'utf8').catch((err: unknown) => {
    throw new ChronError('ERR_CHRON_USAGE', `cannot read verifier key file ${file}`, { cause: err });
  });
  return parseVerifierKeys(text);
}

/** The origin implied by the trusted keys (Chron signs with key name = origin). Throws ERR_CHRON_USAGE when they disagree. */
export function originOf(verifiers: readonly NoteVerifier[]): string {
  const names = [...new Set(verifiers.map((v) => v.name))];
  if (names.length !== 1) throw new ChronError('ERR_CHRON_USAGE', 'the verifier keys have different names; pass --origin');
  return names[0] as string;
}
