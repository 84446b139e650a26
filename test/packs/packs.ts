/**
 * Loads the shipped policy packs (rules/packs/<name>/rules.yaml and their rules.test.yaml cases) the
 * way an ops engineer binds them: one policy per pack, for the pack's agent and upstream.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { compilePolicySet, type PolicyCase, type PolicySet, type RuleSpec } from '../../rules/index.js';

/** Where the packs live in the checkout (tests run from dist/test/packs). */
export const PACKS_DIR = fileURLToPath(new URL('../../../rules/packs/', import.meta.url));

/** A pack, the agent and upstream it is written for, and the upstream's path case. */
export interface PackInfo { readonly name: string; readonly agent: string; readonly upstream: string; readonly pathCase: 'sensitive' | 'insensitive' }

/** The five packs of issue 7, with the agent and upstream names the demo config uses. */
export const PACKS: readonly PackInfo[] = Object.freeze([
  { name: 'code-review', agent: 'code-review', upstream: 'github', pathCase: 'insensitive' },
  { name: 'devops', agent: 'devops', upstream: 'deploy', pathCase: 'sensitive' },
  { name: 'support', agent: 'support', upstream: 'zendesk', pathCase: 'sensitive' },
  { name: 'finance-reporting', agent: 'finance-reporting', upstream: 'stripe', pathCase: 'sensitive' },
  { name: 'privileged-infra', agent: 'privileged-infra', upstream: 'terraform', pathCase: 'sensitive' },
]);

/** The pack's rule list; accepts a bare list or `{rules: [...]}` as docs/config.md allows. */
export function packRules(name: string): RuleSpec[] {
  const doc: unknown = parse(readFileSync(`${PACKS_DIR}${name}/rules.yaml`, 'utf8'));
  const rules = Array.isArray(doc) ? doc : (doc as { rules?: unknown }).rules;
  if (!Array.isArray(rules)) throw new Error(`pack ${name}: rules.yaml holds no rule list`);
  return rules as RuleSpec[];
}

/** The pack's policy test cases. */
export function packCases(name: string): PolicyCase[] {
  const doc: unknown = parse(readFileSync(`${PACKS_DIR}${name}/rules.test.yaml`, 'utf8'));
  if (!Array.isArray(doc)) throw new Error(`pack ${name}: rules.test.yaml must be a list of cases`);
  return doc as PolicyCase[];
}

/** Compiles one pack alone for its agent and upstream; throws with every problem if it does not compile. */
export function compilePack(p: PackInfo): PolicySet {
  const r = compilePolicySet([{ agents: [p.agent], upstream: p.upstream, rules: packRules(p.name) }], [{ name: p.upstream, pathCase: p.pathCase }]);
  if (!r.ok) throw new Error(`pack ${p.name} does not compile: ${JSON.stringify(r.problems)}`);
  return r.policySet;
}
