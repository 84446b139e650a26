import { checkpointCommand, CHECKPOINT_HELP } from './cli-checkpoint.js';
import type { CliIo } from './cli-common.js';
import { exportCommand, EXPORT_HELP } from './cli-export.js';
import { proveCommand, PROVE_HELP, verifyProofCommand, VERIFY_PROOF_HELP } from './cli-prove.js';
import { showCommand, SHOW_HELP } from './cli-show.js';
import { verifyCommand, VERIFY_HELP } from './cli-verify.js';

export type { CliIo } from './cli-common.js';

/** Usage of `claiim chron`. */
export const CHRON_HELP = `Usage: claiim chron <command> [options]

The Chron audit log: export it, verify it offline, prove single entries.

Commands:
  export        write entries, checkpoints and verifier keys for an auditor
  verify        verify an export offline (exit 0 only if everything verifies)
  prove         write a c2sp.org/tlog-proof@v1 file for one entry
  verify-proof  verify such a proof offline
  checkpoint    sign a checkpoint of the current tree now
  show          list entries, filtered, as a table or JSON

Run "claiim chron <command> --help" for a command's options.
`;

const COMMANDS: Record<string, { run: (argv: readonly string[], io: CliIo) => Promise<number>; help: string }> = {
  export: { run: exportCommand, help: EXPORT_HELP },
  verify: { run: verifyCommand, help: VERIFY_HELP },
  prove: { run: proveCommand, help: PROVE_HELP },
  'verify-proof': { run: verifyProofCommand, help: VERIFY_PROOF_HELP },
  checkpoint: { run: checkpointCommand, help: CHECKPOINT_HELP },
  show: { run: showCommand, help: SHOW_HELP },
};

/**
 * Entry point of `claiim chron …` (argv excludes "chron"). Returns the exit code: 0 success /
 * everything verified, 1 a Chron failure (message names the first bad index or signature),
 * 2 usage error, 3 (`verify` only) entries after the newest checkpoint, which nothing signed covers.
 * Writes only to `io`.
 */
export async function chronCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    (sub === undefined ? io.stderr : io.stdout).write(CHRON_HELP);
    return sub === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[sub];
  if (cmd === undefined) {
    io.stderr.write(`claiim chron: unknown command "${sub}"\n\n${CHRON_HELP}`);
    return 2;
  }
  return cmd.run(rest, io);
}
