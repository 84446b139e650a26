import {
  GraphQLError, Kind, parse, valueFromASTUntyped,
  type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode,
} from 'graphql';
import { isRecord, parseJsonBody } from './route.js';
import type { FakeReply } from './types.js';

/** A value the fake GraphQL schema can return. */
export type GqlValue = string | number | boolean | null | GqlObject | readonly GqlValue[];
/** A resolver for a field with arguments; throw `GqlFieldError` to null the field and report an error. */
export type GqlResolver = (args: Record<string, unknown>) => GqlValue;
/** An object of the fake schema: its type name and its fields (values or resolvers). */
export interface GqlObject { readonly __typename: string; readonly [field: string]: GqlValue | GqlResolver }

/** Thrown by a resolver: the field becomes null and `{type, path, message}` joins `errors` (GitHub's style). */
export class GqlFieldError extends Error {
  readonly code = 'ERR_FAKE_GRAPHQL_FIELD';
  readonly type: string;
  constructor(type: string, message: string) { super(message); this.name = 'GqlFieldError'; this.type = type; }
}

interface Ctx { vars: Record<string, unknown>; fragments: Map<string, FragmentDefinitionNode>; errors: Record<string, unknown>[]; invalid: Record<string, unknown>[] }

/**
 * Answers a GitHub GraphQL request (`POST /graphql`, body `{query, variables?, operationName?}`), parsed with
 * `graphql`'s parser. Queries are resolved against `queryRoot` (fields, aliases, inline fragments and named
 * fragments; an unknown field is a validation error and, as on GitHub, the answer then has `errors` and no
 * `data`). Mutations are echoed generically: every top-level field answers `{clientMutationId}` with other
 * requested payload fields null, and `extensions.fakeEcho` lists each field with its resolved arguments.
 * Errors are 200 with `errors`, like GitHub; a body that is not JSON is 400 "Problems parsing JSON".
 */
export function answerGraphql(body: Buffer, queryRoot: GqlObject): FakeReply {
  const req = parseJsonBody(body);
  if (!isRecord(req)) return { status: 400, json: { message: 'Problems parsing JSON', documentation_url: 'https://docs.github.com/graphql' } };
  if (typeof req.query !== 'string') return gqlErrors([{ message: 'A query attribute must be specified and must be a string.' }]);
  let doc: DocumentNode;
  try { doc = parse(req.query); } catch (e) {
    return gqlErrors([{ message: e instanceof GraphQLError ? e.message : 'Parse error', locations: e instanceof GraphQLError ? e.locations : undefined }]);
  }
  const ops = doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const op = typeof req.operationName === 'string' ? ops.find((o) => o.name?.value === req.operationName) : ops.length === 1 ? ops[0] : undefined;
  if (op === undefined) return gqlErrors([{ message: ops.length > 1 ? 'An operation name is required' : 'No operation named given' }]);
  const ctx: Ctx = {
    vars: isRecord(req.variables) ? req.variables : {},
    fragments: new Map(doc.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f])),
    errors: [], invalid: [],
  };
  if (op.operation === 'subscription') return gqlErrors([{ message: 'Subscriptions are not supported' }]);
  if (op.operation === 'mutation') return echoMutation(op.selectionSet, ctx);
  const data = select(queryRoot, op.selectionSet, ctx, []);
  if (ctx.invalid.length > 0) return gqlErrors(ctx.invalid);
  return { status: 200, json: ctx.errors.length > 0 ? { data, errors: ctx.errors } : { data } };
}

function gqlErrors(errors: Record<string, unknown>[]): FakeReply {
  return { status: 200, json: { errors } };
}

function select(obj: GqlObject, set: SelectionSetNode, ctx: Ctx, path: (string | number)[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const sel of set.selections) {
    if (sel.kind === Kind.INLINE_FRAGMENT) { Object.assign(out, select(obj, sel.selectionSet, ctx, path)); continue; }
    if (sel.kind === Kind.FRAGMENT_SPREAD) {
      const frag = ctx.fragments.get(sel.name.value);
      if (frag === undefined) ctx.invalid.push({ message: `Fragment ${sel.name.value} was used, but not defined` });
      else Object.assign(out, select(obj, frag.selectionSet, ctx, path));
      continue;
    }
    const name = sel.name.value;
    const key = sel.alias?.value ?? name;
    const field = obj[name];
    if (field === undefined) {
      ctx.invalid.push({ message: `Field '${name}' doesn't exist on type '${obj.__typename}'`, path: [...path, key], extensions: { code: 'undefinedField', typeName: obj.__typename, fieldName: name } });
      continue;
    }
    let value: GqlValue;
    try {
      value = typeof field === 'function' ? field(argsOf(sel.arguments ?? [], ctx)) : field;
    } catch (e) {
      if (!(e instanceof GqlFieldError)) throw e;
      ctx.errors.push({ type: e.type, path: [...path, key], message: e.message });
      value = null;
    }
    out[key] = project(value, sel.selectionSet, ctx, [...path, key]);
  }
  return out;
}

function project(value: GqlValue, set: SelectionSetNode | undefined, ctx: Ctx, path: (string | number)[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return (value as readonly GqlValue[]).map((v, i) => project(v, set, ctx, [...path, i]));
  if (set === undefined) { ctx.invalid.push({ message: `Field must have selections (field '${String(path.at(-1))}' returns ${(value as GqlObject).__typename} but has no selections)` }); return null; }
  return select(value as GqlObject, set, ctx, path);
}

function argsOf(args: readonly { name: { value: string }; value: Parameters<typeof valueFromASTUntyped>[0] }[], ctx: Ctx): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of args) out[a.name.value] = valueFromASTUntyped(a.value, ctx.vars);
  return out;
}

function echoMutation(set: SelectionSetNode, ctx: Ctx): FakeReply {
  const data: Record<string, unknown> = {};
  const fakeEcho: Record<string, unknown>[] = [];
  for (const sel of set.selections) {
    if (sel.kind !== Kind.FIELD) continue;
    const args = argsOf(sel.arguments ?? [], ctx);
    const key = sel.alias?.value ?? sel.name.value;
    fakeEcho.push({ field: sel.name.value, alias: key, arguments: args });
    const input = isRecord(args.input) ? args.input : {};
    const payload: Record<string, unknown> = {};
    for (const f of sel.selectionSet?.selections ?? []) {
      if (f.kind !== Kind.FIELD) continue;
      const fk = f.alias?.value ?? f.name.value;
      payload[fk] = f.name.value === 'clientMutationId' ? (input.clientMutationId ?? null) : f.name.value === '__typename' ? `${capitalise(sel.name.value)}Payload` : null;
    }
    data[key] = payload;
  }
  return { status: 200, json: { data, extensions: { fakeEcho } } };
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
