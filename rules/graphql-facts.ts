/**
 * What a GraphQL request would execute, resolved without a schema (parse with `graphql`):
 * the selected operation (`operationName`, or the only one), batched arrays, root fields after
 * aliases and fragments (named spreads and inline `... on Mutation`), and arguments with variables
 * and their defaults substituted. Anything that cannot be resolved exactly is refused with a reason
 * (docs/rules.md "GraphQL"). `@skip`/`@include` are ignored: every field counts, which is the
 * cautious reading for allow rules (all fields) and deny rules (any field) alike.
 */
import { createHash } from 'node:crypto';
import { Kind, parse, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode, type ValueNode } from 'graphql';
import { parseJson } from './json-parse.js';
import type { BodyValue, GraphqlFacts, GraphqlOperation, GraphqlRootField, RequestFacts } from './types.js';

/** Why a GraphQL request was refused. */
export type GraphqlReject =
  | 'graphql_missing_query' | 'graphql_mutation_via_get' | 'graphql_duplicate_parameter' | 'graphql_invalid'
  | 'graphql_operation_ambiguous' | 'graphql_unknown_operation' | 'graphql_persisted_query_unknown' | 'graphql_persisted_query_mismatch';

/** Cap on lexer tokens per document: bounds parse time and recursion depth. */
export const MAX_GRAPHQL_TOKENS = 10_000;

type Result<T> = T | { reason: GraphqlReject };
class Reject { constructor(readonly reason: GraphqlReject) {} }
const refuse = (reason: GraphqlReject): never => { throw new Reject(reason); };

function get(v: BodyValue, key: string): BodyValue | undefined {
  return v.t === 'obj' ? v.v.get(key) : undefined;
}

function document(query: string): DocumentNode {
  try { return parse(query, { noLocation: true, maxTokens: MAX_GRAPHQL_TOKENS }); } catch { return refuse('graphql_invalid'); }
}

function resolveOperation(query: string, operationName: string | undefined, variables: ReadonlyMap<string, BodyValue>): GraphqlOperation {
  const doc = document(query);
  const fragments = new Map<string, FragmentDefinitionNode>();
  const ops = [];
  for (const d of doc.definitions) {
    if (d.kind === Kind.OPERATION_DEFINITION) ops.push(d);
    else if (d.kind === Kind.FRAGMENT_DEFINITION) {
      if (fragments.has(d.name.value)) refuse('graphql_invalid');
      fragments.set(d.name.value, d);
    } else refuse('graphql_invalid');
  }
  const op = operationName === undefined
    ? (ops.length === 1 ? ops[0] : refuse(ops.length === 0 ? 'graphql_missing_query' : 'graphql_operation_ambiguous'))
    : ops.find((o) => o.name?.value === operationName) ?? refuse('graphql_unknown_operation');
  if (!op) return refuse('graphql_missing_query');
  const vars = new Map<string, BodyValue>();
  for (const def of op.variableDefinitions ?? []) {
    const name = def.variable.name.value;
    const given = variables.get(name);
    const v = given ?? (def.defaultValue ? fromAst(def.defaultValue, new Map()) : undefined);
    if (v !== undefined) vars.set(name, v);
  }
  const fields: GraphqlRootField[] = [];
  const collect = (set: SelectionSetNode, visiting: Set<string>): void => {
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const args = new Map<string, BodyValue>();
        for (const a of sel.arguments ?? []) {
          if (args.has(a.name.value)) refuse('graphql_invalid');
          const v = fromAst(a.value, vars);
          if (v !== undefined) args.set(a.name.value, v);
        }
        fields.push(sel.alias ? { name: sel.name.value, alias: sel.alias.value, args } : { name: sel.name.value, args });
      } else if (sel.kind === Kind.INLINE_FRAGMENT) collect(sel.selectionSet, visiting);
      else {
        const name = sel.name.value;
        const frag = fragments.get(name) ?? refuse('graphql_invalid');
        if (visiting.has(name)) refuse('graphql_invalid'); // cycle
        collect(frag.selectionSet, new Set([...visiting, name]));
      }
    }
  };
  collect(op.selectionSet, new Set());
  return op.name ? { type: op.operation, name: op.name.value, fields } : { type: op.operation, fields };
}

/** A GraphQL literal with variables substituted; undefined when it is an unset variable. */
function fromAst(node: ValueNode, vars: ReadonlyMap<string, BodyValue>): BodyValue | undefined {
  switch (node.kind) {
    case Kind.VARIABLE: return vars.get(node.name.value);
    case Kind.INT: case Kind.FLOAT: return { t: 'num', v: node.value };
    case Kind.STRING: case Kind.ENUM: return { t: 'str', v: node.value };
    case Kind.BOOLEAN: return { t: 'bool', v: node.value };
    case Kind.NULL: return { t: 'null' };
    case Kind.LIST: return { t: 'arr', v: node.values.map((x) => fromAst(x, vars) ?? { t: 'null' }) };
    case Kind.OBJECT: {
      const m = new Map<string, BodyValue>();
      for (const f of node.fields) {
        if (m.has(f.name.value)) refuse('graphql_invalid');
        const v = fromAst(f.value, vars);
        if (v !== undefined) m.set(f.name.value, v);
      }
      return { t: 'obj', v: m };
    }
  }
}

function oneRequest(req: BodyValue): GraphqlOperation {
  if (req.t !== 'obj') return refuse('graphql_invalid');
  const query = get(req, 'query');
  const name = get(req, 'operationName');
  const variables = get(req, 'variables');
  const persisted = (() => { const e = get(req, 'extensions'); return e && get(e, 'persistedQuery'); })();
  if (query === undefined || query.t === 'null') return refuse(persisted ? 'graphql_persisted_query_unknown' : 'graphql_missing_query');
  if (query.t !== 'str') return refuse('graphql_invalid');
  if (persisted) {
    const hash = get(persisted, 'sha256Hash');
    const actual = createHash('sha256').update(query.v, 'utf8').digest('hex');
    if (!hash || hash.t !== 'str' || hash.v.toLowerCase() !== actual) refuse('graphql_persisted_query_mismatch');
  }
  if (name !== undefined && name.t !== 'null' && name.t !== 'str') refuse('graphql_invalid');
  if (variables !== undefined && variables.t !== 'null' && variables.t !== 'obj') refuse('graphql_invalid');
  return resolveOperation(query.v, name?.t === 'str' ? name.v : undefined, variables?.t === 'obj' ? variables.v : new Map());
}

function run<T>(f: () => T): Result<T> {
  try { return f(); } catch (e) { if (e instanceof Reject) return { reason: e.reason }; throw e; }
}

/**
 * Resolve a GraphQL-over-HTTP JSON body (one request object, or a non-empty batch array).
 * Precondition: `value` came from the strict JSON parser. Never throws.
 */
export function graphqlFromJson(value: BodyValue): Result<GraphqlFacts> {
  return run(() => {
    if (value.t === 'arr') {
      if (value.v.length === 0) refuse('graphql_invalid');
      return { operations: value.v.map(oneRequest) };
    }
    return { operations: [oneRequest(value)] };
  });
}

/** The GraphQL-over-HTTP request parameters. */
const GRAPHQL_PARAMS: ReadonlySet<string> = new Set(['query', 'operationName', 'variables', 'extensions']);

/**
 * Resolve a GraphQL request sent in the query string (GET). Every parameter at most once;
 * `variables` and `extensions` are strict JSON. Only queries may be sent this way.
 */
export function graphqlFromQuery(pairs: readonly (readonly [string, string])[]): Result<GraphqlFacts> {
  const seen = new Map<string, string>();
  for (const [k, v] of pairs) {
    if (!GRAPHQL_PARAMS.has(k)) continue;
    if (seen.has(k)) return { reason: 'graphql_duplicate_parameter' };
    seen.set(k, v);
  }
  const req = new Map<string, BodyValue>();
  for (const [k, v] of seen) {
    if (k === 'query' || k === 'operationName') { req.set(k, { t: 'str', v }); continue; }
    const j = parseJson(v);
    if (!j.ok) return { reason: 'graphql_invalid' };
    req.set(k, j.value);
  }
  const facts = graphqlFromJson({ t: 'obj', v: req });
  if ('reason' in facts) return facts;
  if (facts.operations.some((o) => o.type !== 'query')) return { reason: 'graphql_mutation_via_get' };
  return facts;
}

/**
 * The GraphQL facts of a request: from the parsed body when there is one, else (GET/HEAD only)
 * from the query string. A non-GET request without a body has no query to run.
 */
export function resolveGraphqlFacts(facts: RequestFacts): Result<GraphqlFacts> {
  const body = facts.body;
  const read = facts.method === 'GET' || facts.method === 'HEAD';
  const fromBody = body?.graphql ?? (body?.value !== undefined ? graphqlFromJson(body.value) : undefined);
  if (fromBody === undefined) return read ? graphqlFromQuery(facts.query) : { reason: 'graphql_missing_query' };
  // A request parameter in the URL as well as a body: servers that read the URL first would run another operation.
  if (facts.query.some(([k]) => GRAPHQL_PARAMS.has(k))) return { reason: 'graphql_duplicate_parameter' };
  if (read && !('reason' in fromBody) && fromBody.operations.some((o) => o.type !== 'query')) return { reason: 'graphql_mutation_via_get' };
  return fromBody;
}
