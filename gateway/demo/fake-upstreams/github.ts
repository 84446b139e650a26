import { randomUUID } from 'node:crypto';
import { answerGraphql, GqlFieldError, type GqlObject } from './github-graphql.js';
import { isRecord, parseJsonBody, Router } from './route.js';
import type { FakeApi, FakeReply, FakeRequest, RouteParams } from './types.js';

/** The fixed demo token the fake GitHub requires (as `Bearer …` or `token …`). */
export const GITHUB_DEMO_TOKEN = 'ghp_demo_not_a_real_token';

const API = 'https://api.github.com';
const DOCS = 'https://docs.github.com/rest';
const T0 = '2025-05-12T09:30:00Z';

/** The authenticated user the fake answers for (`GET /user`, GraphQL `viewer`). */
export const GITHUB_VIEWER = Object.freeze({ login: 'claiim-demo-bot', id: 190001, node_id: 'U_kgDOAALmIQ', type: 'Bot', name: 'CLAIIM demo bot' });

interface PullSeed { number: number; title: string; body: string; head: string; base: string; state: 'open' | 'closed'; merged: boolean; files: { filename: string; status: string; additions: number; deletions: number; patch: string }[] }

function seedPulls(): Map<number, PullSeed> {
  return new Map([
    [7, { number: 7, title: 'Add rate limiting to the payments webhook', body: 'Adds a token bucket in front of /webhooks/stripe.', head: 'feature/rate-limit', base: 'main', state: 'open', merged: false, files: [
      { filename: 'src/webhooks/stripe.ts', status: 'modified', additions: 12, deletions: 2, patch: '@@ -10,6 +10,16 @@\n+import { TokenBucket } from "../limits.js";' },
      { filename: 'src/limits.ts', status: 'added', additions: 40, deletions: 0, patch: '@@ -0,0 +1,40 @@\n+export class TokenBucket {' },
    ] }],
    [8, { number: 8, title: 'Bump undici to 7.x', body: 'Dependency update.', head: 'deps/undici-7', base: 'main', state: 'open', merged: false, files: [
      { filename: 'package.json', status: 'modified', additions: 1, deletions: 1, patch: '@@ -12,7 +12,7 @@\n-    "undici": "^6.21.0",\n+    "undici": "^7.30.2",' },
    ] }],
  ]);
}

/** The GitHub REST error shape: `{message, documentation_url, status}`. */
function ghError(status: number, message: string, extra: Record<string, unknown> = {}): FakeReply {
  return { status, json: { message, documentation_url: DOCS, status: String(status), ...extra } };
}

/**
 * A fake GitHub REST (v3) and GraphQL API for repository `acme/app` (owner and repo matched case-insensitively,
 * as GitHub does) with issues 1–6 and open pull requests 7 and 8; one trailing slash is ignored. Shapes follow docs.github.com/rest (pulls, issue comments,
 * reviews, merge, users) and docs.github.com/graphql. Merges and reviews change the in-memory state.
 */
export function createGithubApi(): FakeApi {
  const pulls = seedPulls();
  let nextId = 2_000_000_001;
  const user = { login: GITHUB_VIEWER.login, id: GITHUB_VIEWER.id, node_id: GITHUB_VIEWER.node_id, type: GITHUB_VIEWER.type, site_admin: false, url: `${API}/users/${GITHUB_VIEWER.login}` };
  const repoOf = (p: RouteParams): string | undefined => (`${p.owner}/${p.repo}`.toLowerCase() === 'acme/app' ? 'acme/app' : undefined);
  const pullOf = (p: RouteParams): PullSeed | undefined => (repoOf(p) === undefined ? undefined : pulls.get(Number(p.number)));
  // Issues 1–6 are plain issues, 7 and 8 the pull requests (every pull request is also an issue).
  const issueOf = (p: RouteParams): number | undefined => {
    const n = Number(p.number);
    return repoOf(p) !== undefined && Number.isInteger(n) && n >= 1 && n <= 8 ? n : undefined;
  };

  const repoJson = { id: 640001, node_id: 'R_kgDOJjxx', name: 'app', full_name: 'acme/app', private: true, owner: { login: 'acme', id: 90001, type: 'Organization' }, html_url: 'https://github.com/acme/app', url: `${API}/repos/acme/app`, default_branch: 'main', visibility: 'private' };
  const pullJson = (pr: PullSeed): Record<string, unknown> => ({
    url: `${API}/repos/acme/app/pulls/${pr.number}`, id: 1_800_000_000 + pr.number, node_id: `PR_kwDOJj${pr.number}`,
    html_url: `https://github.com/acme/app/pull/${pr.number}`, diff_url: `https://github.com/acme/app/pull/${pr.number}.diff`,
    number: pr.number, state: pr.state, locked: false, title: pr.title, body: pr.body, draft: false,
    user: { login: 'dev-alice', id: 70001, type: 'User' }, created_at: T0, updated_at: T0,
    closed_at: pr.merged ? T0 : null, merged_at: pr.merged ? T0 : null,
    head: { label: `acme:${pr.head}`, ref: pr.head, sha: sha(pr.number, 'h'), repo: repoJson },
    base: { label: `acme:${pr.base}`, ref: pr.base, sha: sha(pr.number, 'b'), repo: repoJson },
    author_association: 'MEMBER', merged: pr.merged, mergeable: !pr.merged, mergeable_state: pr.merged ? 'unknown' : 'clean',
    comments: 0, review_comments: 0, commits: 1, changed_files: pr.files.length,
    additions: pr.files.reduce((n, f) => n + f.additions, 0), deletions: pr.files.reduce((n, f) => n + f.deletions, 0),
  });
  const withPull = (fn: (pr: PullSeed, req: FakeRequest) => FakeReply) => (req: FakeRequest, p: RouteParams): FakeReply => {
    const pr = pullOf(p);
    return pr === undefined ? ghError(404, 'Not Found') : fn(pr, req);
  };
  // A JSON-object body, or GitHub's 400 (an empty body counts as `{}` where `emptyOk`).
  const withBody = (fn: (pr: PullSeed, body: Record<string, unknown>) => FakeReply, emptyOk = false) => withPull((pr, req) => {
    const body = emptyOk && req.body.length === 0 ? {} : parseJsonBody(req.body);
    return isRecord(body) ? fn(pr, body) : ghError(400, 'Problems parsing JSON');
  });

  const viewer: GqlObject = { __typename: 'Bot', login: GITHUB_VIEWER.login, id: GITHUB_VIEWER.node_id, databaseId: GITHUB_VIEWER.id, name: GITHUB_VIEWER.name, url: `https://github.com/${GITHUB_VIEWER.login}` };
  const gqlPull = (pr: PullSeed): GqlObject => ({
    __typename: 'PullRequest', id: `PR_kwDOJj${pr.number}`, number: pr.number, title: pr.title, body: pr.body,
    state: pr.merged ? 'MERGED' : pr.state.toUpperCase(), merged: pr.merged, headRefName: pr.head, baseRefName: pr.base,
    url: `https://github.com/acme/app/pull/${pr.number}`, author: { __typename: 'User', login: 'dev-alice' }, additions: pr.files.reduce((n, f) => n + f.additions, 0),
  });
  const queryRoot: GqlObject = {
    __typename: 'Query',
    viewer,
    repository: (args) => {
      if (repoOf({ owner: String(args.owner), repo: String(args.name) }) === undefined) throw new GqlFieldError('NOT_FOUND', `Could not resolve to a Repository with the name '${String(args.owner)}/${String(args.name)}'.`);
      return {
        __typename: 'Repository', id: repoJson.node_id, name: 'app', nameWithOwner: 'acme/app', isPrivate: true,
        owner: { __typename: 'Organization', login: 'acme' },
        pullRequest: (a) => {
          const pr = pulls.get(Number(a.number));
          if (pr === undefined) throw new GqlFieldError('NOT_FOUND', `Could not resolve to a PullRequest with the number of ${String(a.number)}.`);
          return gqlPull(pr);
        },
      };
    },
  };

  const router = new Router([
    { method: 'GET', template: '/user', handler: () => ({ status: 200, json: { ...user, name: GITHUB_VIEWER.name, html_url: `https://github.com/${GITHUB_VIEWER.login}` } }) },
    { method: 'GET', template: '/repos/{owner}/{repo}', handler: (_q, p) => (repoOf(p) ? { status: 200, json: repoJson } : ghError(404, 'Not Found')) },
    { method: 'GET', template: '/repos/{owner}/{repo}/pulls', handler: (req, p) => {
      if (repoOf(p) === undefined) return ghError(404, 'Not Found');
      const state = req.query.get('state') ?? 'open';
      return { status: 200, json: [...pulls.values()].filter((pr) => state === 'all' || pr.state === state).map(pullJson) };
    } },
    { method: 'GET', template: '/repos/{owner}/{repo}/pulls/{number}', handler: withPull((pr, req) => {
      const accept = String(req.headers.accept ?? '');
      if (accept.includes('diff')) return { status: 200, text: pr.files.map((f) => `diff --git a/${f.filename} b/${f.filename}\n${f.patch}\n`).join(''), contentType: 'text/plain; charset=utf-8' };
      return { status: 200, json: pullJson(pr) };
    }) },
    { method: 'GET', template: '/repos/{owner}/{repo}/pulls/{number}/files', handler: withPull((pr) => ({ status: 200, json: pr.files.map((f) => ({
      sha: sha(pr.number, f.filename), filename: f.filename, status: f.status, additions: f.additions, deletions: f.deletions, changes: f.additions + f.deletions,
      blob_url: `https://github.com/acme/app/blob/${sha(pr.number, 'h')}/${f.filename}`, raw_url: `https://github.com/acme/app/raw/${sha(pr.number, 'h')}/${f.filename}`,
      contents_url: `${API}/repos/acme/app/contents/${f.filename}?ref=${sha(pr.number, 'h')}`, patch: f.patch,
    })) })) },
    { method: 'POST', template: '/repos/{owner}/{repo}/issues/{number}/comments', handler: (req, p) => {
      const n = issueOf(p);
      if (n === undefined) return ghError(404, 'Not Found');
      const body = parseJsonBody(req.body);
      if (!isRecord(body)) return ghError(400, 'Problems parsing JSON');
      if (typeof body.body !== 'string') return ghError(422, 'Invalid request.\n\n"body" wasn\'t supplied.');
      const id = nextId++;
      return { status: 201, headers: { location: `${API}/repos/acme/app/issues/comments/${id}` }, json: {
        id, node_id: `IC_kwDO${id}`, url: `${API}/repos/acme/app/issues/comments/${id}`,
        html_url: `https://github.com/acme/app/${pulls.has(n) ? 'pull' : 'issues'}/${n}#issuecomment-${id}`,
        issue_url: `${API}/repos/acme/app/issues/${n}`, body: body.body, user, author_association: 'NONE', created_at: now(), updated_at: now(),
      } };
    } },
    { method: 'POST', template: '/repos/{owner}/{repo}/pulls/{number}/reviews', handler: withBody((pr, body) => {
      const event = body.event ?? undefined;
      const states: Record<string, string> = { APPROVE: 'APPROVED', REQUEST_CHANGES: 'CHANGES_REQUESTED', COMMENT: 'COMMENTED' };
      if (event !== undefined && (typeof event !== 'string' || states[event] === undefined)) return ghError(422, 'Unprocessable Entity', { errors: ['Invalid event'] });
      const id = nextId++;
      return { status: 200, json: {
        id, node_id: `PRR_kwDO${id}`, user, body: typeof body.body === 'string' ? body.body : '', state: event === undefined ? 'PENDING' : states[event],
        html_url: `https://github.com/acme/app/pull/${pr.number}#pullrequestreview-${id}`, pull_request_url: `${API}/repos/acme/app/pulls/${pr.number}`,
        commit_id: typeof body.commit_id === 'string' ? body.commit_id : sha(pr.number, 'h'), author_association: 'NONE',
        ...(event === undefined ? {} : { submitted_at: now() }),
      } };
    }) },
    { method: 'PUT', template: '/repos/{owner}/{repo}/pulls/{number}/merge', handler: withBody((pr, body) => {
      const method = body.merge_method ?? 'merge';
      if (method !== 'merge' && method !== 'squash' && method !== 'rebase') return ghError(422, 'Invalid request.\n\nmerge_method is not a valid value.');
      if (pr.merged || pr.state !== 'open') return ghError(405, 'Pull Request is not mergeable');
      pr.merged = true;
      pr.state = 'closed';
      return { status: 200, json: { sha: sha(pr.number, 'm'), merged: true, message: 'Pull Request successfully merged' } };
    }, true) },
    { method: 'POST', template: '/graphql', handler: (req) => answerGraphql(req.body, queryRoot) },
  ]);

  return {
    kind: 'github',
    schemes: ['bearer', 'token'],
    defaultSecret: GITHUB_DEMO_TOKEN,
    jsonContentType: 'application/json; charset=utf-8',
    commonHeaders: { 'x-github-media-type': 'github.v3; format=json', 'x-github-api-version-selected': '2022-11-28', 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999', 'x-ratelimit-resource': 'core' },
    unauthorized: (req) => (req.path === '/graphql'
      ? { status: 401, json: { message: 'This endpoint requires you to be authenticated.', documentation_url: 'https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql' } }
      : ghError(401, req.credential === 'missing' ? 'Requires authentication' : 'Bad credentials')),
    handle(req) {
      // api.github.com answers a path with one trailing slash as the path without it.
      const m = router.match(req.method, req.path.length > 1 && req.path.endsWith('/') ? req.path.slice(0, -1) : req.path);
      const reply = m.found ? m.handler(req, m.params) : ghError(404, 'Not Found');
      return { ...reply, headers: { ...reply.headers, 'x-github-request-id': randomUUID().toUpperCase().slice(0, 23) } };
    },
  };
}

/** A stable 40-hex commit-like id for a pull request and a salt. */
function sha(n: number, salt: string): string {
  let h = 0x811c9dc5;
  for (const c of `${n}:${salt}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return (h.toString(16).padStart(8, '0').repeat(5)).slice(0, 40);
}

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
