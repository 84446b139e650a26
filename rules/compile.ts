/**
 * compilePolicySet: validated rule specs → an indexed, frozen PolicySet. Every problem is reported
 * together, each with its policy index, rule index and the path inside the rule, so the config
 * loader can map it to file:line:column. Index: agent → upstream → method → path trie.
 */
import { compileConditions, type CompiledConditions } from './conditions.js';
import { policyDigest } from './digest.js';
import { isTemplateProblem, parseTemplate, type PathTemplate } from './path-template.js';
import { PathTrie } from './path-trie.js';
import { CompiledPolicySet, type Bucket, type CompiledRule } from './policy-set.js';
import { HTTP_METHODS, type CompileProblem, type HttpMethod, type PolicySet, type PolicySpec, type RuleProblemCode, type RuleSpec, type UpstreamRulesOptions } from './types.js';

const RULE_KEYS = new Set(['id', 'effect', 'description', 'match', 'mode', 'requires']);
const MATCH_KEYS = new Set(['methods', 'path', 'query', 'headers', 'json', 'form', 'graphql', 'skill']);
const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** The result of compiling: a policy set, or every problem found. */
export type CompileResult = { ok: true; policySet: PolicySet } | { ok: false; problems: CompileProblem[] };

type Sink = (code: RuleProblemCode, path: readonly (string | number)[], message: string) => void;

function compileMethods(v: unknown, report: Sink): HttpMethod[] | undefined {
  if (v === undefined || v === '*') return [...HTTP_METHODS];
  if (!Array.isArray(v) || v.length === 0) { report('ERR_RULE_METHOD_INVALID', ['match', 'methods'], '"methods" must be "*" or a non-empty list of methods'); return undefined; }
  let ok = true;
  v.forEach((m, i) => {
    if (!HTTP_METHODS.includes(m as HttpMethod)) { ok = false; report('ERR_RULE_METHOD_INVALID', ['match', 'methods', i], `method must be one of ${HTTP_METHODS.join(', ')} (upper case)`); }
  });
  return ok ? [...new Set(v as HttpMethod[])] : undefined;
}

function compileRule(spec: RuleSpec, order: number, report: Sink): CompiledRule | undefined {
  let bad = false;
  const sink: Sink = (c, p, m) => { bad = true; report(c, p, m); };
  if (typeof spec !== 'object' || spec === null) { report('ERR_RULE_INVALID', [], 'a rule must be an object'); return undefined; }
  for (const k of Object.keys(spec)) if (!RULE_KEYS.has(k)) sink('ERR_RULE_UNKNOWN_KEY', [k], `unknown rule key "${k}" (expected ${[...RULE_KEYS].join(', ')})`);
  if (typeof spec.id !== 'string' || !RULE_ID.test(spec.id) || spec.id === 'default_deny') sink('ERR_RULE_INVALID', ['id'], '"id" must match ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$ and not be "default_deny"');
  if (spec.effect !== 'allow' && spec.effect !== 'deny') sink('ERR_RULE_INVALID', ['effect'], '"effect" must be "allow" or "deny"');
  if (spec.mode !== undefined && spec.mode !== 'enforce' && spec.mode !== 'shadow') sink('ERR_RULE_INVALID', ['mode'], '"mode" must be "enforce" or "shadow"');
  if (spec.requires !== undefined && spec.requires !== 'approval') sink('ERR_RULE_INVALID', ['requires'], '"requires" must be "approval"');
  if (spec.requires === 'approval' && spec.effect === 'deny') sink('ERR_RULE_APPROVAL_ON_DENY', ['requires'], '"requires: approval" is only meaningful on an allow rule');
  if (spec.description !== undefined && typeof spec.description !== 'string') sink('ERR_RULE_INVALID', ['description'], '"description" must be a string');
  const match = spec.match as unknown;
  if (typeof match !== 'object' || match === null || Array.isArray(match)) { sink('ERR_RULE_INVALID', ['match'], '"match" must be an object'); return undefined; }
  for (const k of Object.keys(match)) if (!MATCH_KEYS.has(k)) sink('ERR_RULE_UNKNOWN_KEY', ['match', k], `unknown match key "${k}" (expected ${[...MATCH_KEYS].join(', ')})`);
  const methods = compileMethods(spec.match.methods, sink);
  const t = parseTemplate(spec.match.path);
  let template: PathTemplate | undefined;
  if (isTemplateProblem(t)) sink('ERR_RULE_PATH_INVALID', ['match', 'path'], t.message); else template = t;
  const conds: CompiledConditions | undefined = compileConditions(spec.match, ['match'], sink);
  if (bad || !methods || !template || !conds) return undefined;
  return Object.freeze({
    id: spec.id, effect: spec.effect, shadow: spec.mode === 'shadow', approval: spec.requires === 'approval',
    order, methods, template, conditions: conds.conditions, bodyKind: conds.bodyKind, graphql: conds.graphql,
  });
}

function bucket(caseInsensitive: boolean): Bucket {
  return { tries: new Map(HTTP_METHODS.map((m) => [m, new PathTrie<CompiledRule>(caseInsensitive)])), bodyKinds: new Set(), ids: new Set() };
}

/**
 * Compile policies against the upstreams' matching options. Preconditions: none (input is checked
 * here, including unknown keys). Postcondition on success: the set is frozen and `digest` is the
 * sha256 of the JCS form of the normalised input, so equal inputs give equal digests.
 */
export function compilePolicySet(policies: readonly PolicySpec[], upstreams: readonly UpstreamRulesOptions[]): CompileResult {
  const problems: CompileProblem[] = [];
  const opts = new Map(upstreams.map((u) => [u.name, u]));
  const index = new Map<string, Map<string, Bucket>>();
  let order = 0;
  policies.forEach((policy, pi) => {
    const up = opts.get(policy.upstream);
    if (!up) problems.push({ code: 'ERR_RULE_UPSTREAM_UNKNOWN', policy: pi, path: ['upstream'], message: `upstream "${String(policy.upstream)}" is not configured` });
    if (!Array.isArray(policy.agents) || policy.agents.length === 0 || policy.agents.some((a) => typeof a !== 'string')) {
      problems.push({ code: 'ERR_RULE_INVALID', policy: pi, path: ['agents'], message: '"agents" must be a non-empty list of agent ids' });
    }
    if (!Array.isArray(policy.rules)) { problems.push({ code: 'ERR_RULE_INVALID', policy: pi, path: ['rules'], message: '"rules" must be a list' }); return; }
    policy.rules.forEach((spec, ri) => {
      const report: Sink = (code, path, message) => problems.push({ code, policy: pi, rule: ri, path, message });
      const rule = compileRule(spec, order++, report);
      if (!rule || !up || !Array.isArray(policy.agents)) return;
      for (const agent of new Set(policy.agents)) {
        let byUp = index.get(agent);
        if (!byUp) { byUp = new Map(); index.set(agent, byUp); }
        let b = byUp.get(up.name);
        if (!b) { b = bucket(up.pathCase === 'insensitive'); byUp.set(up.name, b); }
        if (b.ids.has(rule.id)) { report('ERR_RULE_DUPLICATE_ID', ['id'], `rule id "${rule.id}" is used twice for agent "${agent}" on upstream "${up.name}"`); continue; }
        b.ids.add(rule.id);
        if (rule.bodyKind) {
          const form = rule.bodyKind === 'form';
          if ([...b.bodyKinds].some((k) => (k === 'form') !== form)) {
            report('ERR_RULE_BODY_KIND_CONFLICT', ['match', form ? 'form' : rule.bodyKind], `agent "${agent}" on upstream "${up.name}" has rules reading both form and JSON bodies`);
            continue;
          }
          b.bodyKinds.add(rule.bodyKind);
        }
        for (const m of rule.methods) b.tries.get(m)?.insert(rule.template, rule);
      }
    });
  });
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, policySet: new CompiledPolicySet(index, policyDigest(policies, upstreams)) };
}
