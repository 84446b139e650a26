/**
 * The conditions of a rule beyond method and path: query, headers, JSON body, form body, GraphQL
 * and skill (docs/rules.md "Conditions"). Compiled once into one closure per condition; a rule's
 * conditions are ANDed. Pure: reads only the request facts handed in.
 */
import semver from 'semver';
import { isFieldPathProblem, parseFieldPath, resolveSlots, type FieldStep } from './field-path.js';
import { compileTest, runTest, type CompiledTest, type Report, type Slot } from './value-test.js';
import type { BodyKind, Effect, GraphqlFacts, GraphqlOperationType, GraphqlRootField, MatchSpec, RequestFacts, RuleProblemCode } from './types.js';

/** What a condition reads, computed at most once per request by the evaluator. */
export interface EvalContext {
  readonly facts: RequestFacts;
  querySlots(name: string): Slot[];
  headerSlots(name: string): Slot[];
  /** The executed GraphQL operations; only called for rules with a `graphql` condition, after they resolved. */
  graphql(): GraphqlFacts;
}

function textSlots(values: readonly string[]): Slot[] {
  return values.length === 0 ? [undefined] : values.map((v) => ({ t: 'str', v }));
}

/** The evaluation context of one request; `graphql` must be given when a rule reads GraphQL. */
export function makeContext(facts: RequestFacts, graphql: GraphqlFacts | undefined): EvalContext {
  return {
    facts,
    querySlots: (name) => textSlots(facts.query.filter(([k]) => k === name).map(([, v]) => v)),
    headerSlots: (name) => {
      // A comma-separated field value is a list (RFC 9110 §5.3): each element is a value of its own.
      const raw = Object.hasOwn(facts.headers, name) ? facts.headers[name] ?? [] : [];
      const parts = raw.flatMap((v) => v.split(',').map((s) => s.trim())).filter((s) => s !== '');
      return textSlots(parts.length === 0 && raw.length > 0 ? [''] : parts);
    },
    graphql: () => graphql ?? { operations: [] },
  };
}

/** A compiled condition; `label` names it for explanations (`json.ticket.comment.public`, `graphql`). */
export interface Condition { readonly label: string; readonly holds: (ctx: EvalContext, effect: Effect) => boolean }

type Check = Condition['holds'];

/** The compiled conditions of one rule and the body parse they need. */
export interface CompiledConditions { readonly conditions: readonly Condition[]; readonly bodyKind: BodyKind | undefined; readonly graphql: boolean }

type ProblemSink = (code: RuleProblemCode, path: readonly (string | number)[], message: string) => void;

const OPERATION_TYPES: readonly GraphqlOperationType[] = ['query', 'mutation', 'subscription'];
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

function fieldMap(spec: unknown, where: string, path: (string | number)[], report: ProblemSink,
  key: (name: string, p: (string | number)[]) => FieldStep[] | undefined): [string, FieldStep[], CompiledTest][] | undefined {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec) || Object.keys(spec).length === 0) {
    report('ERR_RULE_INVALID', path, `"${where}" must be a non-empty map of name to test`); return undefined;
  }
  const out: [string, FieldStep[], CompiledTest][] = [];
  let bad = false;
  for (const [name, test] of Object.entries(spec)) {
    const p = [...path, name];
    const steps = key(name, p);
    const t = compileTest(test, p, report as Report);
    if (!steps || !t) { bad = true; continue; }
    out.push([name, steps, t]);
  }
  return bad ? undefined : out;
}

function bodyPath(report: ProblemSink) {
  return (name: string, p: (string | number)[]): FieldStep[] | undefined => {
    const steps = parseFieldPath(name);
    if (isFieldPathProblem(steps)) { report('ERR_RULE_FIELD_PATH_INVALID', p, steps.message); return undefined; }
    return steps;
  };
}

function listOf<T extends string>(v: unknown, allowed: readonly T[] | undefined, p: (string | number)[], what: string, report: ProblemSink): Set<T> | undefined {
  const arr = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(arr) || arr.length === 0 || arr.some((x) => typeof x !== 'string' || (allowed !== undefined && !allowed.includes(x as T)))) {
    report('ERR_RULE_INVALID', p, `"${what}" must be ${allowed ? `one of ${allowed.join(', ')}` : 'a string'} or a non-empty list of them`);
    return undefined;
  }
  return new Set(arr as T[]);
}

function compileGraphql(spec: unknown, path: (string | number)[], report: ProblemSink): Check | undefined {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) { report('ERR_RULE_INVALID', path, '"graphql" must be an object'); return undefined; }
  let quant: 'any' | 'all' | undefined;
  let body = spec as Record<string, unknown>;
  let base = path;
  const keys = Object.keys(body);
  if (keys.length === 1 && (keys[0] === 'any' || keys[0] === 'all')) {
    quant = keys[0];
    base = [...path, quant];
    const inner = body[quant];
    if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) { report('ERR_RULE_INVALID', base, `"${quant}" must be an object`); return undefined; }
    body = inner as Record<string, unknown>;
  }
  let bad = false;
  const sink: ProblemSink = (c, p, m) => { bad = true; report(c, p, m); };
  let ops: Set<GraphqlOperationType> | undefined;
  let names: Set<string> | undefined;
  let args: [string, FieldStep[], CompiledTest][] | undefined;
  if (Object.keys(body).length === 0) sink('ERR_RULE_INVALID', base, 'a GraphQL condition needs "operation", "field" or "args"');
  for (const [k, v] of Object.entries(body)) {
    const p = [...base, k];
    if (k === 'operation') ops = listOf(v, OPERATION_TYPES, p, k, sink);
    else if (k === 'field') names = listOf(v, undefined, p, k, sink);
    else if (k === 'args') args = fieldMap(v, 'args', p, sink, bodyPath(sink));
    else sink('ERR_RULE_UNKNOWN_KEY', p, `unknown key "${k}" in a GraphQL condition (expected operation, field, args, or a single any/all)`);
  }
  if (bad) return undefined;
  return (ctx, effect) => {
    const test = (type: GraphqlOperationType, f: GraphqlRootField): boolean => {
      if (ops && !ops.has(type)) return false;
      if (names && !names.has(f.name)) return false;
      if (!args) return true;
      const root = { t: 'obj', v: f.args } as const;
      return args.every(([, steps, t]) => runTest(t, resolveSlots(root, steps), effect, false));
    };
    const all = (quant ?? (effect === 'allow' ? 'all' : 'any')) === 'all';
    const fields = ctx.graphql().operations.flatMap((op) => op.fields.map((f) => [op.type, f] as const));
    return all ? fields.every(([ty, f]) => test(ty, f)) : fields.some(([ty, f]) => test(ty, f));
  };
}

function compileSkill(spec: unknown, path: (string | number)[], report: ProblemSink): Check | undefined {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) { report('ERR_RULE_INVALID', path, '"skill" must be an object'); return undefined; }
  let bad = false;
  let names: Set<string> | undefined;
  let range: string | undefined;
  for (const [k, v] of Object.entries(spec)) {
    const p = [...path, k];
    if (k === 'name') { names = listOf(v, undefined, p, k, report); bad ||= !names; }
    else if (k === 'version') {
      if (typeof v !== 'string' || semver.validRange(v) === null) { report('ERR_RULE_SEMVER_INVALID', p, '"version" must be a semver range such as ">=1.4.0 <2"'); bad = true; }
      else range = v;
    } else { report('ERR_RULE_UNKNOWN_KEY', p, `unknown key "${k}" in "skill" (expected name, version)`); bad = true; }
  }
  if (bad) return undefined;
  return (ctx) => {
    const s = ctx.facts.skill;
    if (!s) return false;
    if (names && !names.has(s.name)) return false;
    return range === undefined || (semver.valid(s.version) !== null && semver.satisfies(s.version, range));
  };
}

/**
 * Compile the non-path parts of `match`. Reports every problem; returns undefined if any.
 * `path` is the position of `match` relative to the rule (`['match']`).
 */
export function compileConditions(match: MatchSpec, path: (string | number)[], report: ProblemSink): CompiledConditions | undefined {
  const conditions: Condition[] = [];
  let bad = false;
  const sink: ProblemSink = (c, p, m) => { bad = true; report(c, p, m); };
  const m = match as unknown as Record<string, unknown>;
  if (m.query !== undefined) {
    for (const [name, , t] of fieldMap(m.query, 'query', [...path, 'query'], sink, (n) => [{ k: 'key', name: n }]) ?? []) {
      conditions.push({ label: `query.${name}`, holds: (ctx, effect) => runTest(t, ctx.querySlots(name), effect, true) });
    }
  }
  if (m.headers !== undefined) {
    const fields = fieldMap(m.headers, 'headers', [...path, 'headers'], sink, (name, p) => {
      if (!HEADER_NAME.test(name)) { sink('ERR_RULE_INVALID', p, `header name "${name}" must be a lower-case field name`); return undefined; }
      return [{ k: 'key', name }];
    });
    for (const [name, , t] of fields ?? []) {
      conditions.push({ label: `headers.${name}`, holds: (ctx, effect) => runTest(t, ctx.headerSlots(name), effect, true) });
    }
  }
  for (const kind of ['json', 'form'] as const) {
    if (m[kind] === undefined) continue;
    const text = kind === 'form';
    for (const [name, steps, t] of fieldMap(m[kind], kind, [...path, kind], sink, bodyPath(sink)) ?? []) {
      conditions.push({
        label: `${kind}.${name}`,
        holds: (ctx, effect) => {
          const body = ctx.facts.body;
          const root = body && (body.kind === 'form') === text ? body.value : undefined;
          return runTest(t, resolveSlots(root, steps), effect, text);
        },
      });
    }
  }
  if (m.json !== undefined && m.form !== undefined) sink('ERR_RULE_BODY_KIND_CONFLICT', [...path, 'form'], 'a rule cannot read both a JSON and a form body');
  if (m.graphql !== undefined) {
    const c = compileGraphql(m.graphql, [...path, 'graphql'], sink);
    if (c) conditions.push({ label: 'graphql', holds: c });
  }
  if (m.skill !== undefined) {
    const c = compileSkill(m.skill, [...path, 'skill'], sink);
    if (c) conditions.push({ label: 'skill', holds: c });
  }
  if (bad) return undefined;
  const bodyKind: BodyKind | undefined = m.graphql !== undefined ? 'graphql' : m.json !== undefined ? 'json' : m.form !== undefined ? 'form' : undefined;
  return { conditions, bodyKind, graphql: m.graphql !== undefined };
}
