#!/usr/bin/env node
import { main } from './cli.js';

// The `claiim` executable: exit codes as documented in `claiim --help`. Errors print their code, never a secret.
main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    const e = err as NodeJS.ErrnoException;
    process.stderr.write(`claiim: ${e instanceof Error ? `${e.code ?? e.name}: ${e.message}` : 'failed'}\n`);
    process.exitCode = 1;
  },
);
