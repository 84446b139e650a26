/**
 * `claiim rules check`: load and validate a config and every rule file it includes, as the gateway
 * would at start, and report every problem at once as `file:line:col: CODE message` (issue 5 item 6).
 * Upstream credentials are not needed (see `loadForRules`); `--require-secrets` checks them too.
 */
import { DEFAULT_CONFIG, EXIT, flag, loadForRules, parseCommand, problemLine, writeJson, type RulesIo } from './common.js';
import { CHECK_HELP } from './help.js';

/**
 * Runs `claiim rules check [--config FILE] [--require-secrets] [--json]`.
 * Exit 0 when valid, 2 when any problem is found or the flags are wrong.
 */
export function checkCommand(argv: readonly string[], io: RulesIo, env: NodeJS.ProcessEnv): number {
  const p = parseCommand('check', CHECK_HELP, argv, io, {
    config: { type: 'string' }, 'require-secrets': { type: 'boolean' }, json: { type: 'boolean' },
  }, false);
  if (typeof p === 'number') return p;
  const file = flag(p, 'config') ?? DEFAULT_CONFIG;
  const ignoreSecrets = p.values['require-secrets'] !== true;
  const load = loadForRules(file, env, ignoreSecrets);
  const problems = load.ok ? [] : load.problems;
  const ignored = load.ok ? [] : load.ignored;
  const valid = problems.length === 0;
  if (p.values.json === true) {
    writeJson(io, {
      file, valid,
      policy_digest: load.ok ? load.loaded.policySet.digest : null,
      sources: load.ok ? load.loaded.sources : [],
      problems,
      secrets_not_checked: { env: load.placeholders, problems: ignored },
    });
    return valid ? EXIT.ok : EXIT.usage;
  }
  for (const q of problems) io.stdout.write(`${problemLine(q)}\n`);
  if (ignoreSecrets && (load.placeholders.length > 0 || ignored.length > 0)) {
    const what = [
      ...(load.placeholders.length > 0 ? [`env ${load.placeholders.join(', ')} not set`] : []),
      ...(ignored.length > 0 ? [`${ignored.length} credential file(s) not readable`] : []),
    ];
    io.stdout.write(`note: upstream credentials were not checked (${what.join('; ')}); use --require-secrets to check them\n`);
  }
  if (!valid) {
    io.stdout.write(`${file}: ${problems.length} problem(s)\n`);
    return EXIT.usage;
  }
  io.stdout.write(load.ok ? `${file}: valid, ${load.loaded.sources.length} file(s), policy digest ${load.loaded.policySet.digest}\n` : `${file}: valid\n`);
  return EXIT.ok;
}
