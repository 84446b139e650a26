/**
 * `claiim rules test`: loads the config, collects the policy tests beside its rule files and runs them
 * (issue 5 item 6). One line per case (`PASS`/`FAIL test_<name>_<allowed|denied>`), one CI line per
 * failure (`file:line:col: ERR_RULES_TEST_FAILED …`), and a summary.
 */
import { DEFAULT_CONFIG, EXIT, flag, loadForRules, parseCommand, problemLine, reportLoadFailure, writeJson, type RulesIo } from './common.js';
import { TEST_HELP } from './help.js';
import { collectPolicyTests, runLocatedCases } from './policy-tests.js';

/**
 * Runs `claiim rules test [--config FILE] [--require-secrets] [--json]`.
 * Exit 0 when every case passed, 1 when one failed, 2 for an invalid config or case file or bad flags.
 */
export function testCommand(argv: readonly string[], io: RulesIo, env: NodeJS.ProcessEnv): number {
  const p = parseCommand('test', TEST_HELP, argv, io, {
    config: { type: 'string' }, 'require-secrets': { type: 'boolean' }, json: { type: 'boolean' },
  }, false);
  if (typeof p === 'number') return p;
  const load = loadForRules(flag(p, 'config') ?? DEFAULT_CONFIG, env, p.values['require-secrets'] !== true);
  if (!load.ok) return reportLoadFailure('test', load, io);
  const { config, policySet } = load.loaded;
  const { cases, files, problems } = collectPolicyTests(config);
  const outcomes = runLocatedCases(policySet, cases);
  const failed = outcomes.filter((o) => !o.result.passed);
  const code = problems.length > 0 ? EXIT.usage : failed.length > 0 ? EXIT.failed : EXIT.ok;

  if (p.values.json === true) {
    writeJson(io, {
      policy_digest: policySet.digest, files,
      passed: outcomes.length - failed.length, failed: failed.length,
      cases: outcomes.map((o) => ({
        name: o.testName, file: o.at.file, line: o.at.line, col: o.at.col, passed: o.result.passed, failures: o.result.failures,
        ...(o.result.decision ? { decision: { effect: o.result.decision.effect, rule: o.result.decision.ruleId, reason: o.result.decision.reason } } : {}),
        ...(o.result.refused !== undefined ? { refused: o.result.refused } : {}),
      })),
      problems,
    });
    return code;
  }
  for (const q of problems) io.stdout.write(`${problemLine(q)}\n`);
  for (const o of outcomes) {
    io.stdout.write(`${o.result.passed ? 'PASS' : 'FAIL'} ${o.testName}\n`);
    for (const f of o.result.failures) io.stdout.write(`${problemLine({ ...o.at, code: 'ERR_RULES_TEST_FAILED', message: `${o.testName}: ${f}` })}\n`);
  }
  if (files.length === 0) io.stdout.write('note: no policy test files found (X.yaml → X.test.yaml beside each rule file)\n');
  io.stdout.write(`${outcomes.length - failed.length} passed, ${failed.length} failed, ${files.length} file(s)${problems.length > 0 ? `, ${problems.length} problem(s)` : ''}\n`);
  return code;
}
