/**
 * Policy tests beside policies (issue 5 item 6; the OPA habit of STYLE.md): finds the case file of the
 * config and of every rule file a policy includes (`X.yaml` → `X.test.yaml`), validates it against
 * `policyCaseSchema`, fills a case's missing agent/upstream from the policies that use the rule file,
 * and runs every case with `runPolicyCase`. Each result keeps the case's file:line:col.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { policyCaseSchema, runPolicyCase, type PolicyCase, type PolicyCaseResult, type PolicySet } from '../../rules/index.js';
import type { GatewayConfig } from '../config/types.js';
import { readYamlSource, type SourcePosition, type YamlSource } from '../config/yaml-source.js';
import type { Problem } from './common.js';

const validateCases = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile({ type: 'array', items: policyCaseSchema } as object);

/** One case ready to run: agent and upstream filled in, its position, and its OPA-style test name. */
export interface LocatedCase { readonly testName: string; readonly at: SourcePosition; readonly policyCase: PolicyCase }

/** One run case: where it is, its name and the engine's result. */
export interface CaseOutcome { readonly testName: string; readonly at: SourcePosition; readonly result: PolicyCaseResult }

/** The case file beside a rule file: `X.yaml`/`X.yml` → `X.test.yaml`. */
export function caseFileFor(ruleFile: string): string {
  return `${ruleFile.replace(/\.ya?ml$/i, '')}.test.yaml`;
}

/**
 * `test_<name>_<allowed|denied|refused|decided>`: the case name (or method and path) in snake_case,
 * suffixed with the expected outcome; a name already in that form is kept.
 */
export function testNameOf(c: PolicyCase): string {
  const suffix = c.expect.refused !== undefined ? 'refused' : c.expect.effect === 'allow' ? 'allowed' : c.expect.effect === 'deny' ? 'denied' : 'decided';
  const base = c.name ?? `${c.request.method} ${c.request.path}`;
  if (/^test_[a-z0-9_]+_(allowed|denied|refused|decided)$/.test(base)) return base;
  const slug = base.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return `test_${slug === '' ? 'case' : slug}_${suffix}`;
}

/**
 * Collects the cases of every case file beside the config and its included rule files.
 * Preconditions: `config` was loaded from `config.file` (so the raw file is valid). Problems (schema,
 * unknown agent or upstream, a case whose agent/upstream cannot be inferred) are returned, not thrown.
 */
export function collectPolicyTests(config: GatewayConfig): { cases: LocatedCase[]; files: string[]; problems: Problem[] } {
  const owners = ruleFileOwners(config);
  const cases: LocatedCase[] = [];
  const files: string[] = [];
  const problems: Problem[] = [];
  const agents = new Set(config.agents.map((a) => a.id));
  const upstreams = new Set(config.upstreams.map((u) => u.name));
  for (const [ruleFile, policyIdx] of owners) {
    const caseFile = caseFileFor(ruleFile);
    if (!existsSync(caseFile)) continue;
    files.push(caseFile);
    const read = readYamlSource(caseFile);
    if (!read.ok) { problems.push(...read.problems); continue; }
    const src = read.source;
    if (src.value === null || src.value === undefined) continue;
    if (!validateCases(src.value)) { problems.push(...schemaProblems(src, validateCases.errors ?? [])); continue; }
    const owning = policyIdx.map((i) => config.policies[i]).filter((p) => p !== undefined);
    (src.value as PolicyCase[]).forEach((c, i) => {
      const at = src.locate([i]);
      const ups = c.upstream !== undefined ? [c.upstream] : [...new Set(owning.map((p) => p.upstream))];
      if (ups.length !== 1) {
        problems.push({ ...at, code: 'ERR_RULES_TEST_AMBIGUOUS', message: `the case needs "upstream": the rule file is used for ${ups.length === 0 ? 'no upstream' : ups.join(', ')}` });
        return;
      }
      const upstream = ups[0] as string;
      const whom = c.agent !== undefined ? [c.agent] : [...new Set(owning.filter((p) => p.upstream === upstream).flatMap((p) => p.agents))];
      if (whom.length === 0) { problems.push({ ...at, code: 'ERR_RULES_TEST_AMBIGUOUS', message: `the case needs "agent": no policy using this rule file binds an agent to "${upstream}"` }); return; }
      if (!upstreams.has(upstream)) { problems.push({ ...src.locate([i, 'upstream']), code: 'ERR_RULES_TEST_REFERENCE', message: `upstream "${upstream}" is not configured` }); return; }
      for (const agent of whom) {
        if (!agents.has(agent)) { problems.push({ ...src.locate([i, 'agent']), code: 'ERR_RULES_TEST_REFERENCE', message: `agent "${agent}" is not registered` }); continue; }
        const pc: PolicyCase = { ...c, agent, upstream };
        const name = testNameOf(pc);
        cases.push({ testName: whom.length > 1 ? `${name}[${agent}]` : name, at, policyCase: pc });
      }
    });
  }
  return { cases, files, problems };
}

/** Runs collected cases against `set`, in order. Never throws. */
export function runLocatedCases(set: PolicySet, cases: readonly LocatedCase[]): CaseOutcome[] {
  return cases.map((c, i) => ({ testName: c.testName, at: c.at, result: runPolicyCase(set, c.policyCase, i) }));
}

/**
 * For a hot reload's `verify` hook: collects and runs every policy test of `config` against `policySet`
 * and returns one problem per collection problem and per failing case (code ERR_RULES_TEST_FAILED).
 */
export function policyTestProblems(config: GatewayConfig, policySet: PolicySet): Problem[] {
  const { cases, problems } = collectPolicyTests(config);
  const failed = runLocatedCases(policySet, cases).filter((o) => !o.result.passed)
    .map((o): Problem => ({ ...o.at, code: 'ERR_RULES_TEST_FAILED', message: `${o.testName}: ${o.result.failures.join('; ')}` }));
  return [...problems, ...failed];
}

/** Rule file → indices of the policies whose rules come from it (the config file for inline `rules`). */
function ruleFileOwners(config: GatewayConfig): Map<string, number[]> {
  const owners = new Map<string, number[]>();
  const add = (file: string, i: number): void => { const l = owners.get(file) ?? []; if (!l.includes(i)) l.push(i); owners.set(file, l); };
  owners.set(config.file, []);
  const read = readYamlSource(config.file);
  const raw = read.ok ? (read.source.value as { policies?: { rules?: unknown[]; include?: string[] }[] }) : {};
  const base = dirname(config.file);
  (raw.policies ?? []).forEach((p, i) => {
    if ((p.rules ?? []).length > 0) add(config.file, i);
    for (const inc of p.include ?? []) add(isAbsolute(inc) ? inc : resolve(base, inc), i);
  });
  return owners;
}

function schemaProblems(src: YamlSource, errors: readonly ErrorObject[]): Problem[] {
  return errors.filter((e) => e.keyword !== 'if' && e.keyword !== 'anyOf').map((e) => {
    const path = e.instancePath.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
    const extra = e.keyword === 'additionalProperties' ? (e.params as { additionalProperty: string }).additionalProperty : undefined;
    const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues;
    const where = path.length > 0 ? `"${path.join('.')}"` : 'the case file';
    return {
      ...src.locate(path, extra),
      code: 'ERR_RULES_TEST_SCHEMA',
      message: extra !== undefined ? `unknown key "${extra}"` : `${where} ${e.message ?? 'is invalid'}${Array.isArray(allowed) ? ` (${allowed.map(String).join(', ')})` : ''}`,
    };
  });
}
