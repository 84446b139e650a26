/**
 * Policy test cases (issue 5 item 6, `claiim rules test`; docs/rules.md examples): a request and the
 * decision it must get. A case is run exactly as the gateway runs a request after canonicalisation:
 * bodyNeed → parseBody → evaluate. Pure; the caller loads the YAML and reports.
 */
import { parseBody } from './parse-body.js';
import type { Decision, Effect, HttpMethod, PolicySet, RequestFacts } from './types.js';

/** The request of a case. At most one of `json`, `raw_json`, `form`, `graphql` gives the body. */
export interface PolicyCaseRequest {
  method: HttpMethod;
  path: string;
  query?: readonly (readonly [string, string])[];
  headers?: Readonly<Record<string, readonly string[]>>;
  /** A JSON value, sent as `JSON.stringify(json)`. */
  json?: unknown;
  /** Exact JSON text (duplicate keys, big numbers). */
  raw_json?: string;
  /** Exact form-encoded text. */
  form?: string;
  /** A GraphQL request object or batch, sent as JSON. */
  graphql?: unknown;
  skill?: { name: string; version: string };
  /** Ids of the case's upstream's rules an approval session covers. */
  approved?: readonly string[];
}

/** What must happen: a decision (any subset of its fields), or a body refusal reason. */
export interface PolicyCaseExpect { effect?: Effect; rule?: string; reason?: string; shadow?: readonly { ruleId: string; effect: Effect }[]; refused?: string }

/** One case. `agent` and `upstream` say whose policy is exercised. */
export interface PolicyCase { name?: string; agent: string; upstream: string; request: PolicyCaseRequest; expect: PolicyCaseExpect }

/** The outcome of one case: `failures` is empty when it passed; each entry says field, expected, actual. */
export interface PolicyCaseResult { readonly name: string; readonly passed: boolean; readonly failures: readonly string[]; readonly decision?: Decision; readonly refused?: string }

/** JSON Schema of a case file entry (a list of these), for the config loader's Ajv. */
export const policyCaseSchema = {
  type: 'object', additionalProperties: false, required: ['request', 'expect'],
  properties: {
    name: { type: 'string' }, agent: { type: 'string' }, upstream: { type: 'string' },
    request: {
      type: 'object', additionalProperties: false, required: ['method', 'path'],
      properties: {
        method: { enum: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] }, path: { type: 'string', pattern: '^/' },
        query: { type: 'array', items: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'string' } } },
        headers: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
        json: {}, raw_json: { type: 'string' }, form: { type: 'string' }, graphql: {},
        skill: { type: 'object', additionalProperties: false, required: ['name', 'version'], properties: { name: { type: 'string' }, version: { type: 'string' } } },
        approved: { type: 'array', items: { type: 'string' } },
      },
    },
    expect: {
      type: 'object', additionalProperties: false, minProperties: 1,
      properties: {
        effect: { enum: ['allow', 'deny'] }, rule: { type: 'string' }, reason: { type: 'string' }, refused: { type: 'string' },
        shadow: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['ruleId', 'effect'], properties: { ruleId: { type: 'string' }, effect: { enum: ['allow', 'deny'] } } } },
      },
    },
  },
} as const;

function requestBody(r: PolicyCaseRequest): { bytes: Uint8Array; type: string } {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  if (r.form !== undefined) return { bytes: enc(r.form), type: 'application/x-www-form-urlencoded' };
  const value = r.json !== undefined ? r.json : r.graphql;
  const text = r.raw_json ?? (value !== undefined ? JSON.stringify(value) : '');
  return { bytes: enc(text), type: 'application/json' };
}

const show = (x: unknown): string => JSON.stringify(x) ?? 'undefined';

/** Run one case against a compiled policy set. Never throws. */
export function runPolicyCase(set: PolicySet, c: PolicyCase, index = 0): PolicyCaseResult {
  const r = c.request;
  const name = c.name ?? `case ${index + 1}: ${r.method} ${r.path}`;
  const failures: string[] = [];
  const facts: RequestFacts = {
    agent: c.agent, upstream: c.upstream, method: r.method, path: r.path, query: r.query ?? [], headers: r.headers ?? {},
    ...(r.skill ? { skill: r.skill } : {}), ...(r.approved ? { approvedRuleIds: new Map([[c.upstream, new Set(r.approved)]]) } : {}),
  };
  const need = set.bodyNeed(c.agent, c.upstream, r.method, r.path);
  if (need !== undefined) {
    const b = requestBody(r);
    const parsed = parseBody(need, b.bytes, b.type);
    if (!parsed.ok) {
      if (parsed.reason !== c.expect.refused) failures.push(`refused: expected ${show(c.expect.refused)}, got ${show(parsed.reason)}`);
      return { name, passed: failures.length === 0, failures, refused: parsed.reason };
    }
    facts.body = parsed.body;
  }
  const d = set.evaluate(facts);
  const e = c.expect;
  if (e.refused !== undefined) failures.push(`refused: expected ${show(e.refused)}, the body was accepted`);
  if (e.effect !== undefined && d.effect !== e.effect) failures.push(`effect: expected ${e.effect}, got ${d.effect}`);
  if (e.rule !== undefined && d.ruleId !== e.rule) failures.push(`rule: expected ${e.rule}, got ${d.ruleId}`);
  if (e.reason !== undefined && d.reason !== e.reason) failures.push(`reason: expected ${e.reason}, got ${d.reason}`);
  const shadowKey = (xs: readonly { ruleId: string; effect: Effect }[]): string => xs.map((x) => `${x.ruleId}:${x.effect}`).join(',');
  if (e.shadow !== undefined && shadowKey(d.shadow) !== shadowKey(e.shadow)) failures.push(`shadow: expected [${shadowKey(e.shadow)}], got [${shadowKey(d.shadow)}]`);
  return { name, passed: failures.length === 0, failures, decision: d };
}

/** Run every case; results in input order. */
export function runPolicyCases(set: PolicySet, cases: readonly PolicyCase[]): PolicyCaseResult[] {
  return cases.map((c, i) => runPolicyCase(set, c, i));
}
