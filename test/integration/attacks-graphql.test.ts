import { createHash } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { jsonReq, req, runCases, startAttackHarness, type AttackCase } from '../helpers/attack-harness.js';

/**
 * CASES.md "G — GraphQL" against the fixture policy (GitHub GraphQL: queries only; merge-like mutations
 * denied by name): aliases, fragments, operationName, batches, GET, persisted queries, node ids.
 */
const GQL = '/github/graphql';
const body = (query: string, extra: Record<string, unknown> = {}): string => JSON.stringify({ query, ...extra });
const Q = '{ viewer { login } }';
const twin = { twin: jsonReq('POST', GQL, body(Q)), twinTarget: '/graphql' } as const;
const m = (field: string, input: string): string => `mutation { ${field}(input: {${input}}) { clientMutationId } }`;

const CASES: AttackCase[] = [
  { id: 'G01', attack: jsonReq('POST', GQL, body(`mutation { c: addComment(input: {subjectId: "I_1", body: "x"}) { clientMutationId } m: mergePullRequest(input: {pullRequestId: "PR_x"}) { clientMutationId } }`)), status: 403, rule: 'gql-no-merge', ...twin },
  { id: 'G01b', attack: jsonReq('POST', GQL, body('mutation { ...F } fragment F on Mutation { enablePullRequestAutoMerge(input: {pullRequestId: "PR_1"}) { clientMutationId } }')), status: 403, rule: 'gql-no-merge', ...twin },
  { id: 'G02', attack: jsonReq('POST', GQL, body('query A { viewer { login } } mutation B { deleteRef(input: {refId: "R"}) { clientMutationId } }', { operationName: 'B' })), status: 403, rule: 'gql-no-merge', twin: jsonReq('POST', GQL, body('query A { viewer { login } } query B { viewer { id } }', { operationName: 'A' })) },
  { id: 'G02b', attack: jsonReq('POST', GQL, body('query A { viewer { login } } mutation B { deleteRef(input: {refId: "R"}) { clientMutationId } }')), status: 400, ...twin },
  { id: 'G03', attack: jsonReq('POST', GQL, JSON.stringify([{ query: Q }, { query: m('updateRef', 'refId: "R", sha: "aa", force: true') }])), status: 403, rule: 'gql-no-merge', ...twin },
  { id: 'G06', attack: req('GET', `${GQL}?query=${encodeURIComponent(m('mergePullRequest', 'pullRequestId: "PR_1"'))}`), status: 405, twin: req('GET', `${GQL}?query=${encodeURIComponent(Q)}`) },
  { id: 'G06b', attack: req('GET', `${GQL}?query=${encodeURIComponent(Q)}&query=${encodeURIComponent(m('deleteRef', 'refId: "R"'))}`), status: 400, twin: req('GET', `${GQL}?query=${encodeURIComponent(Q)}`) },
  { id: 'G07', attack: jsonReq('POST', GQL, JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } })), status: 400, reason: 'body_invalid', ...twin },
  { id: 'G07b', attack: jsonReq('POST', GQL, body(Q, { extensions: { persistedQuery: { version: 1, sha256Hash: 'b'.repeat(64) } } })), status: 400, twin: jsonReq('POST', GQL, body(Q, { extensions: { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(Q).digest('hex') } } })) },
  ...['mergePullRequest', 'enablePullRequestAutoMerge', 'enqueuePullRequest', 'updateRef', 'updateRefs', 'deleteRef', 'createCommitOnBranch'].map((f): AttackCase => ({ id: `G10.${f}`, attack: jsonReq('POST', GQL, body(m(f, 'x: "1"'))), status: 403, rule: 'gql-no-merge', ...twin })),
  // A POST's GraphQL parameters in the URL as well: servers that read the URL first (express-graphql style) would run those.
  // (The body has `query` too: the general query-shadows-body refusal comes first.)
  { id: 'G02c', attack: jsonReq('POST', `${GQL}?query=${encodeURIComponent(m('mergePullRequest', 'pullRequestId: "PR_1"'))}`, body(Q)), status: 400, reason: 'query_shadows_body', ...twin },
  { id: 'G02d', attack: jsonReq('POST', `${GQL}?operationName=B`, body('query A { viewer { login } } mutation B { deleteRef(input: {refId: "R"}) { clientMutationId } }', { operationName: 'A' })), status: 400, reason: 'query_shadows_body', ...twin },
  // Only in the URL: the GraphQL rule's own check.
  { id: 'G02e', attack: jsonReq('POST', `${GQL}?variables=${encodeURIComponent('{"id":"PR_1"}')}`, body(Q)), status: 400, reason: 'graphql_duplicate_parameter', ...twin },
  { id: 'G11', attack: jsonReq('POST', GQL, body(m('addComment', 'subjectId: "I_other_repo", body: "x"'))), status: 403, reason: 'no_matching_rule', ...twin },
];

test('attack catalogue G (GraphQL) – every hidden mutation denied or refused and recorded, every query twin forwarded', async (t: TestContext) => {
  const h = await startAttackHarness(t);
  await runCases(h, CASES, (a, b, msg) => assert.equal(a, b, msg));
});
