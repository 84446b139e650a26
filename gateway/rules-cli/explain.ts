/**
 * `claiim rules explain`: the decision for one request, the rule that decided, and every rule whose
 * path template matched the request, with why it did or did not match (issue 5 item 6). The request
 * goes through the gateway's own canonicalization (explain-request.ts), then `PolicySet.explain`.
 */
import { readFileSync } from 'node:fs';
import type { Explanation, RuleExplanation } from '../../rules/index.js';
import { DEFAULT_CONFIG, EXIT, flag, flags, loadForRules, parseCommand, reportLoadFailure, RulesUsageError, writeJson, type Parsed, type RulesIo } from './common.js';
import { explainRequest, type ExplainInput } from './explain-request.js';
import { EXPLAIN_HELP } from './help.js';

/**
 * Runs `claiim rules explain [--config FILE] --agent ID [--header K:V]… [--body FILE] [--skill N@V]
 * [--approved RULE]… [--json] METHOD URL`. Exit 0 when the request was explained (allowed, denied or
 * refused before policy), 2 for an invalid config, an unreadable body file or bad usage.
 */
export function explainCommand(argv: readonly string[], io: RulesIo, env: NodeJS.ProcessEnv): number {
  const p = parseCommand('explain', EXPLAIN_HELP, argv, io, {
    config: { type: 'string' }, agent: { type: 'string' }, header: { type: 'string', multiple: true }, body: { type: 'string' },
    skill: { type: 'string' }, approved: { type: 'string', multiple: true }, 'require-secrets': { type: 'boolean' }, json: { type: 'boolean' },
  }, true);
  if (typeof p === 'number') return p;
  let input: ExplainInput;
  try {
    input = inputOf(p);
  } catch (err) {
    if (!(err instanceof RulesUsageError)) throw err;
    io.stderr.write(`claiim rules explain: ${err.message}\n\n${EXPLAIN_HELP}`);
    return EXIT.usage;
  }
  const load = loadForRules(flag(p, 'config') ?? DEFAULT_CONFIG, env, p.values['require-secrets'] !== true);
  if (!load.ok) return reportLoadFailure('explain', load, io);
  const { config, policySet } = load.loaded;
  const req = explainRequest(config, policySet, input);
  const json = p.values.json === true;

  if (!req.ok) {
    const decision = { effect: 'deny', ruleId: req.ruleId, reason: req.reason };
    if (json) writeJson(io, { request: { agent: input.agent, method: input.method, url: input.url, upstream: req.upstream?.name ?? null, path: req.path ?? null }, stage: req.stage, decision, rules: [], policy_digest: policySet.digest });
    else {
      io.stdout.write(`request  ${input.method} ${input.url} agent ${input.agent}${req.upstream ? ` → upstream ${req.upstream.name} ${req.path ?? ''}` : ''}\n`);
      io.stdout.write(`decision deny  rule ${req.ruleId}  reason ${req.reason}  (refused at ${req.stage}, before any rule)\n`);
    }
    return EXIT.ok;
  }
  const ex = policySet.explain(req.facts);
  if (json) {
    writeJson(io, {
      request: { agent: req.facts.agent, method: req.facts.method, url: input.url, upstream: req.upstream.name, path: req.facts.path, query: req.facts.query, body: req.facts.body?.kind ?? null, content_type_assumed: req.contentTypeAssumed ?? null },
      decision: ex.decision, rules: ex.rules, graphql_refused: ex.graphqlRefused ?? null, policy_digest: policySet.digest,
    });
    return EXIT.ok;
  }
  writeText(io, input, req.upstream.name, req.facts.path, ex, req.contentTypeAssumed);
  return EXIT.ok;
}

function inputOf(p: Parsed): ExplainInput {
  const agent = flag(p, 'agent');
  if (agent === undefined || agent === '') throw new RulesUsageError('--agent ID is required');
  if (p.positionals.length !== 2) throw new RulesUsageError('expected METHOD and URL');
  const [method, url] = p.positionals as [string, string];
  const headers = flags(p, 'header').map((h): [string, string] => {
    const i = h.indexOf(':');
    if (i <= 0) throw new RulesUsageError(`--header must be NAME:VALUE (got a value without a name or a colon)`);
    return [h.slice(0, i).trim(), h.slice(i + 1).trim()];
  });
  const skillText = flag(p, 'skill');
  let skill: { name: string; version: string } | undefined;
  if (skillText !== undefined) {
    const at = skillText.lastIndexOf('@');
    if (at <= 0 || at === skillText.length - 1) throw new RulesUsageError('--skill must be NAME@VERSION');
    skill = { name: skillText.slice(0, at), version: skillText.slice(at + 1) };
  }
  const bodyFile = flag(p, 'body');
  let body: Uint8Array | undefined;
  if (bodyFile !== undefined) {
    try { body = readFileSync(bodyFile); } catch (err) { throw new RulesUsageError(`cannot read --body file "${bodyFile}" (${(err as NodeJS.ErrnoException).code ?? 'EIO'})`); }
  }
  return { agent, method, url, headers, approved: flags(p, 'approved'), ...(skill ? { skill } : {}), ...(body ? { body } : {}) };
}

function writeText(io: RulesIo, input: ExplainInput, upstream: string, path: string, ex: Explanation, assumed: string | undefined): void {
  const d = ex.decision;
  io.stdout.write(`request  ${input.method} ${path} → upstream ${upstream}, agent ${input.agent}\n`);
  if (assumed !== undefined) io.stdout.write(`note     no content-type given; assumed ${assumed}\n`);
  if (ex.graphqlRefused !== undefined) io.stdout.write(`graphql  not resolvable: ${ex.graphqlRefused}\n`);
  const params = Object.entries(d.params).map(([k, v]) => `${k}=${v}`).join(' ');
  io.stdout.write(`decision ${d.effect}  rule ${d.ruleId}  reason ${d.reason}${params ? `  (${params})` : ''}\n`);
  for (const s of d.shadow) io.stdout.write(`shadow   ${s.ruleId} would ${s.effect}\n`);
  if (ex.rules.length === 0) { io.stdout.write('rules    no rule of this agent and upstream has a matching path template\n'); return; }
  io.stdout.write('rules whose path template matched, in declaration order:\n');
  for (const r of ex.rules) io.stdout.write(`  ${r.matched ? 'match' : 'no   '} ${r.ruleId} (${r.effect}${r.mode === 'shadow' ? ', shadow' : ''}) ${r.template}${whyNot(r)}\n`);
}

function whyNot(r: RuleExplanation): string {
  const why: string[] = [];
  if (!r.methodMatched) why.push('method not listed');
  if (r.failed.length > 0) why.push(`failed: ${r.failed.join(', ')}`);
  if (r.approved === false) why.push('requires an approval session covering it');
  return why.length > 0 ? ` — ${why.join('; ')}` : '';
}
