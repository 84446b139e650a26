/**
 * `claiim rules …` (issue 5 item 6): check, test, explain and replay policies, with output fit for CI
 * (`file:line:col: CODE message`, `--json`) and the exit codes 0 ok, 1 failing tests or changed
 * decisions, 2 bad usage or invalid config. The gateway's CLI dispatches `claiim rules` here.
 */
import { checkCommand } from './check.js';
import { EXIT, type RulesIo } from './common.js';
import { explainCommand } from './explain.js';
import { RULES_HELP } from './help.js';
import { replayCommand } from './replay.js';
import { testCommand } from './test-command.js';

export type { RulesIo, Problem, RulesCliCode } from './common.js';
export { RULES_HELP, RULES_MAIN_HELP_LINE } from './help.js';
export { caseFileFor, collectPolicyTests, policyTestProblems, runLocatedCases, testNameOf } from './policy-tests.js';
export { replayCandidate, replayEntry } from './replay-entry.js';

/**
 * Runs `claiim rules <check|test|explain|replay> …` with `argv` the arguments after `rules`; returns the
 * exit code. `env` (default process.env) is where credential variables are looked up.
 */
export async function rulesCommand(argv: readonly string[], io: RulesIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'check': return checkCommand(rest, io, env);
    case 'test': return testCommand(rest, io, env);
    case 'explain': return explainCommand(rest, io, env);
    case 'replay': return replayCommand(rest, io, env);
    case '--help': case '-h': case 'help': io.stdout.write(RULES_HELP); return EXIT.ok;
    case undefined: io.stderr.write(RULES_HELP); return EXIT.usage;
    default:
      io.stderr.write(`claiim rules: unknown command "${command}"\n\n${RULES_HELP}`);
      return EXIT.usage;
  }
}
