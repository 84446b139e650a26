import test from 'node:test';
import assert from 'node:assert/strict';
import { Octokit } from '@octokit/rest';
import { graphql } from '@octokit/graphql';
import { assertObserved, startPackGateway, statusOf } from './pack-gateway.js';

const repo = { owner: 'acme', repo: 'app' } as const;

test('code-review pack – @octokit/rest and @octokit/graphql through the gateway → reads and comments pass, merge/approve/push never reach GitHub', async (t) => {
  const g = await startPackGateway(t);
  const auth = await g.token('code-review');
  const octokit = new Octokit({ auth, baseUrl: g.baseUrl('github') });
  const gql = graphql.defaults({ baseUrl: g.baseUrl('github'), headers: { authorization: `bearer ${auth}` } });
  const fake = g.fakes.github;
  const allow = async (rule: string, method: string, path: string, fn: () => Promise<unknown>): Promise<Buffer | undefined> => {
    const obs = await g.observe(fake, fn);
    assert.equal(obs.error, undefined, `${rule}: the client call succeeds`);
    return assertObserved(assert, obs, { agent: 'code-review', upstream: 'github', effect: 'allow', rule, method, path })?.body;
  };
  const deny = async (rule: string, method: string, fn: () => Promise<unknown>): Promise<void> => {
    const obs = await g.observe(fake, fn);
    assert.equal(statusOf(obs.error), 403, `${rule}: the client sees 403`);
    assertObserved(assert, obs, { agent: 'code-review', upstream: 'github', effect: 'deny', rule, reason: 'denied_by_rule', method });
  };

  await t.test('allowed – read a pull request, its files; comment; review with event COMMENT; GraphQL query', async () => {
    await allow('gh-read-pulls', 'GET', '/repos/acme/app/pulls/7', () => octokit.rest.pulls.get({ ...repo, pull_number: 7 }));
    await allow('gh-read-pulls', 'GET', '/repos/acme/app/pulls/7/files', () => octokit.rest.pulls.listFiles({ ...repo, pull_number: 7 }));
    const comment = await allow('gh-issue-comment', 'POST', '/repos/acme/app/issues/7/comments', () => octokit.rest.issues.createComment({ ...repo, issue_number: 7, body: 'LGTM apart from the nits' }));
    assert.deepEqual(JSON.parse(comment?.toString('utf8') ?? '{}'), { body: 'LGTM apart from the nits' });
    const review = await allow('gh-review-comment-only', 'POST', '/repos/acme/app/pulls/7/reviews', () => octokit.rest.pulls.createReview({ ...repo, pull_number: 7, event: 'COMMENT', body: 'nits inline' }));
    assert.equal((JSON.parse(review?.toString('utf8') ?? '{}') as { event?: string }).event, 'COMMENT');
    await allow('gh-gql-read', 'POST', '/graphql', () => gql('query { viewer { login } }'));
  });

  await t.test('blocked – merging by every route', async () => {
    for (const merge_method of ['merge', 'squash', 'rebase'] as const) {
      await deny('gh-no-merge', 'PUT', () => octokit.rest.pulls.merge({ ...repo, pull_number: 7, merge_method }));
    }
    await deny('gh-no-merge', 'POST', () => octokit.request('POST /repos/{owner}/{repo}/pulls/{pull_number}/merge', { ...repo, pull_number: 7 }));
    await deny('gh-no-merges', 'POST', () => octokit.rest.repos.merge({ ...repo, base: 'main', head: 'feature' }));
    await deny('gh-no-merge-upstream', 'POST', () => octokit.rest.repos.mergeUpstream({ ...repo, branch: 'main' }));
    await deny('gh-no-update-branch', 'PUT', () => octokit.rest.pulls.updateBranch({ ...repo, pull_number: 7 }));
    await deny('gh-gql-no-merge', 'POST', () => gql('mutation($id: ID!) { mergePullRequest(input: {pullRequestId: $id}) { clientMutationId } }', { id: 'PR_7' }));
    await deny('gh-gql-no-merge', 'POST', () => gql('mutation { enablePullRequestAutoMerge(input: {pullRequestId: "PR_7", mergeMethod: SQUASH}) { clientMutationId } }'));
    await deny('gh-gql-no-merge', 'POST', () => gql('mutation { enqueuePullRequest(input: {pullRequestId: "PR_7"}) { clientMutationId } }'));
  });

  await t.test('blocked – ref updates and deletes (incl. POST where PATCH is documented), pushes, branch deletion', async () => {
    // Octokit sends {ref} percent-encoded (heads%2Fmain); this GitHub upstream says path_encoded_slash: decode,
    // so the ref's slash splits the segment and the pack's rule decides on the decoded path.
    await deny('gh-no-ref-writes', 'PATCH', () => octokit.rest.git.updateRef({ ...repo, ref: 'heads/main', sha: 'a'.repeat(40), force: true }));
    await deny('gh-no-ref-writes', 'DELETE', () => octokit.rest.git.deleteRef({ ...repo, ref: 'heads/feature' }));
    // The same writes with the ref spelled as path segments reach the rules, and the pack names its rule.
    await deny('gh-no-ref-writes', 'PATCH', () => octokit.request('PATCH /repos/{owner}/{repo}/git/refs/heads/main', { ...repo, sha: 'a'.repeat(40), force: true }));
    await deny('gh-no-ref-writes', 'POST', () => octokit.request('POST /repos/{owner}/{repo}/git/refs/heads/main', { ...repo, sha: 'a'.repeat(40) }));
    await deny('gh-no-ref-writes', 'DELETE', () => octokit.request('DELETE /repos/{owner}/{repo}/git/refs/heads/feature', repo));
    await deny('gh-no-ref-writes', 'POST', () => octokit.rest.git.createRef({ ...repo, ref: 'refs/heads/x', sha: 'a'.repeat(40) }));
    await deny('gh-no-contents-write', 'PUT', () => octokit.rest.repos.createOrUpdateFileContents({ ...repo, path: 'README.md', message: 'm', content: 'aGk=' }));
    await deny('gh-no-git-writes', 'POST', () => octokit.rest.git.createCommit({ ...repo, message: 'm', tree: 'b'.repeat(40) }));
    await deny('gh-gql-no-merge', 'POST', () => gql('mutation { deleteRef(input: {refId: "REF_1"}) { clientMutationId } }'));
  });

  await t.test('blocked – approving by every route', async () => {
    await deny('gh-no-approve', 'POST', () => octokit.rest.pulls.createReview({ ...repo, pull_number: 7, event: 'APPROVE' }));
    await deny('gh-no-approve-pending', 'POST', () => octokit.rest.pulls.submitReview({ ...repo, pull_number: 7, review_id: 99, event: 'APPROVE' }));
    await deny('gh-gql-no-approve', 'POST', () => gql('mutation($e: PullRequestReviewEvent) { addPullRequestReview(input: {pullRequestId: "PR_7", event: $e}) { clientMutationId } }', { e: 'APPROVE' }));
    await deny('gh-gql-no-approve', 'POST', () => gql('mutation { submitPullRequestReview(input: {pullRequestReviewId: "PRR_1", event: APPROVE}) { clientMutationId } }'));
  });
});
