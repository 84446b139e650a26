/**
 * docs/rules.md and the engine must agree: every ```yaml example block is compiled and each of
 * its cases is run the way the gateway runs a request (bodyNeed → parseBody → evaluate).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import {
  BODY_REJECT_REASONS, DECISION_REASONS, RULE_PROBLEM_CODES, compilePolicySet, runPolicyCase,
  type PolicyCaseExpect, type PolicyCaseRequest, type RuleSpec, type UpstreamRulesOptions,
} from '../../rules/index.js';

const text = readFileSync(new URL('../../../docs/rules.md', import.meta.url), 'utf8');

interface Example { upstream: UpstreamRulesOptions; rules: RuleSpec[]; cases: { request: PolicyCaseRequest; expect: PolicyCaseExpect }[] }

function examples(): { line: number; ex: Example }[] {
  const out: { line: number; ex: Example }[] = [];
  const re = /^```yaml example\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push({ line: text.slice(0, m.index).split('\n').length, ex: parse(m[1] as string) as Example });
  }
  return out;
}

const all = examples();

test('docs/rules.md – has runnable examples', () => {
  assert.ok(all.length >= 5, `found ${all.length} examples`);
});

for (const { line, ex } of all) {
  test(`docs/rules.md example at line ${line} – every case → the documented decision`, () => {
    const compiled = compilePolicySet([{ agents: ['agent'], upstream: ex.upstream.name, rules: ex.rules }], [ex.upstream]);
    if (!compiled.ok) assert.fail(`example does not compile: ${JSON.stringify(compiled.problems)}`);
    const failures = ex.cases
      .map((c, i) => runPolicyCase(compiled.policySet, { agent: 'agent', upstream: ex.upstream.name, ...c }, i))
      .flatMap((r) => r.failures.map((f) => `${r.name}: ${f}`));
    assert.deepEqual(failures, []);
  });
}

test('docs/rules.md – every problem code, decision reason and body refusal reason is documented', () => {
  for (const code of [...RULE_PROBLEM_CODES, ...DECISION_REASONS, ...BODY_REJECT_REASONS]) {
    assert.ok(text.includes(`\`${code}\``), `${code} is not documented in docs/rules.md`);
  }
});
