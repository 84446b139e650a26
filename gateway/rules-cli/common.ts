/**
 * What every `claiim rules …` command shares: the io streams, flag parsing with `--help`, the CI line
 * format of a problem (`file:line:col: CODE message`), and loading a config for policy work without the
 * real upstream credentials (`loadForRules`).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig, type LoadResult } from '../config/load.js';
import { readYamlSource, type SourcePosition } from '../config/yaml-source.js';

/** Where a command writes; process.stdout/stderr in production, buffers in tests. */
export interface RulesIo { readonly stdout: { write(s: string): unknown }; readonly stderr: { write(s: string): unknown } }

/** Stable codes of the problems and failures the rules commands report themselves (loader codes pass through). */
export type RulesCliCode =
  | 'ERR_RULES_USAGE'
  | 'ERR_RULES_TEST_SCHEMA'
  | 'ERR_RULES_TEST_REFERENCE'
  | 'ERR_RULES_TEST_AMBIGUOUS'
  | 'ERR_RULES_TEST_FAILED'
  | 'ERR_RULES_REQUEST'
  | 'ERR_RULES_CHRON';

/** One problem with its position. `code` is a loader code (`ERR_CONFIG_…`, `ERR_RULE_…`) or a RulesCliCode. */
export interface Problem extends SourcePosition { readonly code: string; readonly message: string }

/** A usage mistake: the command prints it with the help and exits 2. */
export class RulesUsageError extends Error {
  readonly code = 'ERR_RULES_USAGE' as const;
}

/** Exit codes shared by every rules command. */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2 } as const);

/** The config file used when `--config` is not given. */
export const DEFAULT_CONFIG = 'claiim.yaml';

/** The value every unset credential variable gets while a rules command loads the config. Never sent anywhere. */
export const SECRET_PLACEHOLDER = 'claiim-rules-placeholder';

/** Parsed flags and positionals of one command. */
export interface Parsed { readonly values: Record<string, string | boolean | string[] | undefined>; readonly positionals: string[] }

/**
 * Parses `argv` strictly. Returns the exit code instead when `--help` was asked for (0, help on stdout)
 * or the flags are wrong (2, message and help on stderr).
 */
export function parseCommand(name: string, help: string, argv: readonly string[], io: RulesIo, options: NonNullable<ParseArgsConfig['options']>, positionals: boolean): Parsed | number {
  try {
    const r = parseArgs({ args: [...argv], options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: positionals, strict: true });
    if (r.values.help === true) { io.stdout.write(help); return EXIT.ok; }
    return { values: r.values as Parsed['values'], positionals: r.positionals };
  } catch (err) {
    io.stderr.write(`claiim rules ${name}: ${(err as Error).message}\n\n${help}`);
    return EXIT.usage;
  }
}

/** A string flag's value, or undefined. */
export function flag(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** Every value of a repeatable string flag. */
export function flags(p: Parsed, name: string): string[] {
  const v = p.values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

/** The CI line of a problem: `file:line:col: CODE message`. */
export function problemLine(p: Problem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.code} ${p.message}`;
}

/** Writes `value` as one JSON document and a newline. */
export function writeJson(io: RulesIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** The outcome of `loadForRules`. `placeholders` names the env variables that got SECRET_PLACEHOLDER. */
export type RulesLoad =
  | { readonly ok: true; readonly loaded: Extract<LoadResult, { ok: true }>; readonly placeholders: readonly string[] }
  | { readonly ok: false; readonly problems: readonly Problem[]; readonly ignored: readonly Problem[]; readonly placeholders: readonly string[] };

/**
 * Loads `file` with `loadConfig`, exactly as `claiim start` does, except for the upstream credentials,
 * which policy work never needs: with `ignoreSecrets`, every credential env variable the config names
 * that is unset or empty in `env` is filled with SECRET_PLACEHOLDER (and named in `placeholders`), and
 * `ERR_CONFIG_SECRET_SOURCE` problems of well-formed credentials (exactly one of `env`/`file`; so an
 * unreadable credential file) are moved to `ignored`. Without a policy set (ok: false) even when only
 * ignored problems remain: a credential file that cannot be read stops loading. Never throws.
 */
export function loadForRules(file: string, env: NodeJS.ProcessEnv, ignoreSecrets: boolean): RulesLoad {
  const raw = readYamlSource(file);
  const upstreams = raw.ok ? credentialsOf(raw.source.value) : [];
  const filled: NodeJS.ProcessEnv = { ...env };
  const placeholders: string[] = [];
  if (ignoreSecrets) {
    for (const u of upstreams) {
      if (u.env !== undefined && u.file === undefined && !filled[u.env]) { filled[u.env] = SECRET_PLACEHOLDER; placeholders.push(u.env); }
    }
  }
  const loaded = loadConfig(file, filled);
  if (loaded.ok) return { ok: true, loaded, placeholders };
  if (!ignoreSecrets || !raw.ok) return { ok: false, problems: loaded.problems, ignored: [], placeholders };
  const wellFormed = new Set(upstreams.flatMap((u, i) => {
    if ((u.env === undefined) === (u.file === undefined)) return [];
    const at = raw.source.locate(['upstreams', i, 'credential']);
    return [`${at.file}:${at.line}:${at.col}`];
  }));
  const isIgnored = (p: Problem): boolean => p.code === 'ERR_CONFIG_SECRET_SOURCE' && wellFormed.has(`${p.file}:${p.line}:${p.col}`);
  return { ok: false, problems: loaded.problems.filter((p) => !isIgnored(p)), ignored: loaded.problems.filter(isIgnored), placeholders };
}

function credentialsOf(value: unknown): { env?: string; file?: string }[] {
  const ups = (value as { upstreams?: unknown } | null)?.upstreams;
  if (!Array.isArray(ups)) return [];
  return ups.map((u: unknown) => {
    const c = (u as { credential?: unknown } | null)?.credential as { env?: unknown; file?: unknown } | null | undefined;
    return {
      ...(typeof c?.env === 'string' ? { env: c.env } : {}),
      ...(typeof c?.file === 'string' ? { file: c.file } : {}),
    };
  });
}

/** Prints the problems of a failed load (one CI line each) and a hint about ignored credentials; returns 2. */
export function reportLoadFailure(name: string, load: Extract<RulesLoad, { ok: false }>, io: RulesIo): number {
  for (const p of load.problems) io.stderr.write(`${problemLine(p)}\n`);
  for (const p of load.ignored) io.stderr.write(`${problemLine(p)} (a credential is needed to build the policy set here)\n`);
  io.stderr.write(`claiim rules ${name}: the configuration is invalid (${load.problems.length + load.ignored.length} problem(s))\n`);
  return EXIT.usage;
}
