import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseBody, type BodyFacts } from '../../rules/index.js';
import { req, rulesFor } from './helpers.js';

const gql = (payload: unknown) => parseBody('graphql', new TextEncoder().encode(JSON.stringify(payload)), 'application/json');

function facts(payload: unknown): BodyFacts {
  const r = gql(payload);
  if (!r.ok) assert.fail(`refused: ${r.reason}`);
  return r.body;
}

function refused(payload: unknown): string | undefined {
  const r = gql(payload);
  return r.ok ? undefined : r.reason;
}

// CASES fixture: GraphQL queries only, and a deny list of dangerous mutations (G10).
const set = rulesFor([
  { id: 'gql-queries', effect: 'allow', match: { methods: ['POST', 'GET'], path: '/graphql', graphql: { operation: 'query' } } },
  { id: 'gql-comment', effect: 'allow', match: { methods: ['POST'], path: '/graphql', graphql: { operation: 'mutation', field: 'addComment', args: { 'input.subjectId': { glob: 'I_acme_*' } } } } },
  { id: 'gql-no-merge', effect: 'deny', match: { methods: ['POST'], path: '/graphql', graphql: { field: ['mergePullRequest', 'enablePullRequestAutoMerge', 'deleteRef', 'updateRef'] } } },
  { id: 'gql-no-force', effect: 'deny', match: { methods: ['POST'], path: '/graphql', graphql: { any: { field: 'updateRefs', args: { 'input.refUpdates[*].force': true } } } } },
]);
const post = (payload: unknown) => set.evaluate(req('POST', '/graphql', { body: facts(payload) }));

test('graphql – plain query → allow; mutation → deny', () => {
  assert.equal(post({ query: '{ viewer { login } }' }).ruleId, 'gql-queries');
  assert.equal(post({ query: 'mutation { addStar(input:{starrableId:"x"}) { clientMutationId } }' }).ruleId, 'default_deny');
});

test('graphql – aliased merge beside an allowed comment (CASES G01) → deny by the merge rule', () => {
  const d = post({ query: 'mutation { c: addComment(input:{subjectId:"I_acme_1", body:"x"}) { clientMutationId } m: mergePullRequest(input:{pullRequestId:"PR_x"}) { clientMutationId } }' });
  assert.equal(d.ruleId, 'gql-no-merge');
});

test('graphql – allowed mutation with argument from a variable and from a default → allow; other repo → deny', () => {
  const q = 'mutation C($id: ID! = "I_acme_9") { addComment(input:{subjectId:$id, body:"x"}) { clientMutationId } }';
  assert.equal(post({ query: q }).ruleId, 'gql-comment');
  assert.equal(post({ query: q, variables: { id: 'I_acme_2' } }).ruleId, 'gql-comment');
  assert.equal(post({ query: q, variables: { id: 'I_evil_2' } }).ruleId, 'default_deny');
  assert.equal(post({ query: 'mutation($in: AddCommentInput!) { addComment(input:$in) { clientMutationId } }', variables: { in: { subjectId: 'I_evil_1' } } }).ruleId, 'default_deny');
});

test('graphql – merge hidden in a named fragment or inline fragment on Mutation → deny', () => {
  assert.equal(post({ query: 'mutation { ...M } fragment M on Mutation { mergePullRequest(input:{pullRequestId:"PR_x"}) { clientMutationId } }' }).ruleId, 'gql-no-merge');
  assert.equal(post({ query: 'mutation { ... on Mutation { enablePullRequestAutoMerge(input:{pullRequestId:"PR_x"}) { clientMutationId } } }' }).ruleId, 'gql-no-merge');
  assert.equal(post({ query: 'mutation { ... @skip(if: true) { deleteRef(input:{refId:"r"}) { clientMutationId } } }' }).ruleId, 'gql-no-merge');
});

test('graphql – operationName selects the executed operation (CASES G02)', () => {
  const q = 'query A { viewer { login } } mutation B { deleteRef(input:{refId:"x"}) { clientMutationId } }';
  assert.equal(post({ query: q, operationName: 'A' }).ruleId, 'gql-queries');
  assert.equal(post({ query: q, operationName: 'B' }).ruleId, 'gql-no-merge');
  assert.equal(refused({ query: q }), 'graphql_operation_ambiguous');
  assert.equal(refused({ query: q, operationName: 'C' }), 'graphql_unknown_operation');
});

test('graphql – batch with one mutation (CASES G03) → the whole batch is denied', () => {
  assert.equal(post([{ query: '{ viewer { login } }' }, { query: 'mutation { updateRef(input:{refId:"r", oid:"o", force:true}) { clientMutationId } }' }]).ruleId, 'gql-no-merge');
  assert.equal(post([{ query: '{ viewer { login } }' }, { query: 'mutation { addStar(input:{starrableId:"x"}) { clientMutationId } }' }]).ruleId, 'default_deny');
  assert.equal(post([{ query: '{ viewer { login } }' }, { query: '{ rateLimit { remaining } }' }]).ruleId, 'gql-queries');
  assert.equal(refused([]), 'graphql_invalid');
});

test('graphql – list argument with force:true in one element (any quantifier) → deny', () => {
  const q = 'mutation($u: [RefUpdate!]!) { updateRefs(input:{repositoryId:"R", refUpdates:$u}) { clientMutationId } }';
  assert.equal(post({ query: q, variables: { u: [{ name: 'a', force: false }, { name: 'b', force: true }] } }).ruleId, 'gql-no-force');
  assert.equal(post({ query: q, variables: { u: [{ name: 'a', force: false }] } }).ruleId, 'default_deny');
});

test('graphql – GET with a query → allow; GET with a mutation or a duplicate query parameter (CASES G06) → deny with reason', () => {
  const get = (query: [string, string][]) => set.evaluate(req('GET', '/graphql', { query }));
  assert.equal(get([['query', '{ viewer { login } }']]).ruleId, 'gql-queries');
  const m = get([['query', 'mutation { mergePullRequest(input:{pullRequestId:"x"}) { clientMutationId } }']]);
  assert.deepEqual([m.effect, m.reason], ['deny', 'graphql_mutation_via_get']);
  assert.equal(get([['query', '{ a }'], ['query', 'mutation { b }']]).reason, 'graphql_duplicate_parameter');
  assert.equal(get([]).reason, 'graphql_missing_query');
  const emptyBody = set.evaluate(req('GET', '/graphql', { query: [['query', '{ a }']], body: { kind: 'graphql', value: undefined } }));
  assert.equal(emptyBody.ruleId, 'gql-queries');
});

test('graphql – a POST with a body may not carry query, operationName, variables or extensions in its URL too', () => {
  const body = facts({ query: '{ viewer { login } }' });
  const withUrl = (query: [string, string][]) => set.evaluate(req('POST', '/graphql', { body, query }));
  for (const k of ['query', 'operationName', 'variables', 'extensions']) {
    const d = withUrl([[k, k === 'query' ? 'mutation { deleteRef(input:{refId:"r"}) { clientMutationId } }' : 'x']]);
    assert.deepEqual([d.effect, d.reason], ['deny', 'graphql_duplicate_parameter'], k);
  }
  assert.equal(withUrl([['per_page', '5']]).ruleId, 'gql-queries', 'other URL parameters are no GraphQL request parameter');
});

test('graphql – persisted query: hash only (CASES G07) → unknown; hash ≠ sha256(query) → mismatch; matching → resolved', () => {
  const q = '{ viewer { login } }';
  const h = createHash('sha256').update(q).digest('hex');
  assert.equal(refused({ extensions: { persistedQuery: { version: 1, sha256Hash: h } } }), 'graphql_persisted_query_unknown');
  assert.equal(refused({ query: q, extensions: { persistedQuery: { version: 1, sha256Hash: '00'.repeat(32) } } }), 'graphql_persisted_query_mismatch');
  assert.equal(post({ query: q, extensions: { persistedQuery: { version: 1, sha256Hash: h } } }).ruleId, 'gql-queries');
});

test('graphql – syntax error, unknown or cyclic fragment, schema definitions → graphql_invalid', () => {
  for (const query of ['{ viewer { ', '{ ...Nope }', '{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }', 'type Query { a: Int }', '{ a(x:1, x:2) }']) {
    assert.equal(refused({ query }), 'graphql_invalid', query);
  }
  assert.equal(refused({ query: 5 }), 'graphql_invalid');
  assert.equal(refused({ variables: {} }), 'graphql_missing_query');
});

test('graphql – huge document → refused by the token cap, not a crash', () => {
  assert.equal(refused({ query: `{ ${'a { '.repeat(20_000)}b${' }'.repeat(20_000)} }` }), 'graphql_invalid');
});

test('graphql – POST to /graphql with no body → deny graphql_missing_query', () => {
  assert.equal(set.evaluate(req('POST', '/graphql')).reason, 'graphql_missing_query');
});

test('graphql – exact big integer argument survives variables and literals', () => {
  const big = rulesFor([{ id: 'n', effect: 'allow', match: { path: '/graphql', graphql: { args: { n: { lte: '9007199254740992' } } } } }]);
  const f = (payload: unknown) => big.evaluate(req('POST', '/graphql', { body: facts(payload) })).effect;
  assert.equal(f({ query: '{ a(n: 9007199254740992) }' }), 'allow');
  assert.equal(f({ query: '{ a(n: 9007199254740993) }' }), 'deny');
});
