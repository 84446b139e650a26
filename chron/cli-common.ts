import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ChronError, isChronError } from './errors.js';

/** Where a CLI command writes; process.stdout/stderr in production, buffers in tests. */
export interface CliIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

/** Parsed flags and positionals of one subcommand. */
export interface Parsed { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] }

/**
 * Runs one `claiim chron <name>` subcommand: `--help` prints `help` (exit 0); unknown or missing
 * flags exit 2 with the usage; a ChronError exits 1 printing its code and message (the first bad
 * index or signature); success returns what `body` returns.
 */
export async function runSubcommand(
  name: string,
  help: string,
  argv: readonly string[],
  io: CliIo,
  options: NonNullable<ParseArgsConfig['options']>,
  body: (p: Parsed) => Promise<number>,
): Promise<number> {
  let parsed: Parsed;
  try {
    const r = parseArgs({ args: [...argv], options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    parsed = { values: r.values as Parsed['values'], positionals: r.positionals };
  } catch (err) {
    io.stderr.write(`claiim chron ${name}: ${(err as Error).message}\n\n${help}`);
    return 2;
  }
  if (parsed.values.help === true) {
    io.stdout.write(help);
    return 0;
  }
  try {
    return await body(parsed);
  } catch (err) {
    if (isChronError(err)) {
      io.stderr.write(`claiim chron ${name}: ${err.code}: ${err.message}\n`);
      return err.code === 'ERR_CHRON_USAGE' ? 2 : 1;
    }
    throw err;
  }
}

/** The string value of a required flag; throws ERR_CHRON_USAGE naming the flag. */
export function required(p: Parsed, flag: string): string {
  const v = p.values[flag];
  if (typeof v !== 'string' || v === '') throw new ChronError('ERR_CHRON_USAGE', `--${flag} is required`);
  return v;
}

/** The string value of an optional flag. */
export function optional(p: Parsed, flag: string): string | undefined {
  const v = p.values[flag];
  return typeof v === 'string' ? v : undefined;
}

/** An optional non-negative integer flag; throws ERR_CHRON_USAGE naming the flag. */
export function integer(p: Parsed, flag: string): number | undefined {
  const v = optional(p, flag);
  if (v === undefined) return undefined;
  if (!/^(0|[1-9][0-9]*)$/.test(v) || !Number.isSafeInteger(Number(v))) throw new ChronError('ERR_CHRON_USAGE', `--${flag} must be a non-negative integer`);
  return Number(v);
}
