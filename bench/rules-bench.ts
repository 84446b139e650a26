/**
 * Policy engine benchmark (issue 5 item 7): compile time and per-request evaluate cost for 10, 1,000 and
 * 10,000 rules, and strict body parse throughput. Prints a markdown table.
 * Reproduce: `npx tsc -p tsconfig.json && node dist/bench/rules-bench.js`
 */
import { compilePolicySet, parseBody, type HttpMethod, type PolicySet, type RequestFacts, type RuleSpec } from '../rules/index.js';

const METHODS: HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** GitHub-like rules over many orgs: templates, wildcards, a deny share, some JSON conditions. */
function makeRules(n: number): RuleSpec[] {
  return Array.from({ length: n }, (_, i): RuleSpec => {
    const org = `org${i % 1000}`;
    const repo = `repo${Math.floor(i / 1000)}`;
    switch (i % 5) {
      case 0: return { id: `r${i}`, effect: 'allow', match: { methods: ['GET'], path: `/repos/${org}/${repo}/**` } };
      case 1: return { id: `r${i}`, effect: 'allow', match: { methods: ['POST'], path: `/repos/${org}/${repo}/issues/*/comments` } };
      case 2: return { id: `r${i}`, effect: 'allow', match: { methods: ['POST'], path: `/repos/${org}/${repo}/pulls/{n}/reviews`, json: { event: 'COMMENT' } } };
      case 3: return { id: `r${i}`, effect: 'deny', match: { methods: '*', path: `/repos/${org}/${repo}/pulls/{n}/merge` } };
      default: return { id: `r${i}`, effect: 'allow', match: { methods: [METHODS[i % METHODS.length] as HttpMethod], path: `/orgs/${org}/teams/{team}/${repo}` } };
    }
  });
}

function compile(n: number): { set: PolicySet; ms: number } {
  const rules = makeRules(n);
  const t0 = performance.now();
  const r = compilePolicySet([{ agents: ['bench'], upstream: 'gh', rules }], [{ name: 'gh', pathCase: 'insensitive' }]);
  const ms = performance.now() - t0;
  if (!r.ok) throw new Error(`bench rules do not compile: ${r.problems[0]?.code ?? ''}`);
  return { set: r.policySet, ms };
}

/** Median µs per call over `rounds` rounds of `iterations` calls. */
function perCall(f: () => void, iterations = 20_000, rounds = 7): number {
  for (let i = 0; i < Math.min(2_000, iterations); i++) f();
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) f();
    samples.push(Number(process.hrtime.bigint() - t0) / 1_000 / iterations);
  }
  return samples.sort((a, b) => a - b)[Math.floor(rounds / 2)] as number;
}

const facts = (method: HttpMethod, path: string, extra: Partial<RequestFacts> = {}): RequestFacts =>
  ({ agent: 'bench', upstream: 'gh', method, path, query: [], headers: {}, ...extra });

const rows: string[] = [];
const row = (what: string, value: string): void => { rows.push(`| ${what} | ${value} |`); };

const review = parseBody('json', new TextEncoder().encode('{"event":"COMMENT","body":"looks good"}'), 'application/json');
if (!review.ok) throw new Error('bench body does not parse');
const evalUs: Record<string, Record<string, number>> = {};
for (const n of [10, 1_000, 10_000]) {
  const { set, ms } = compile(n);
  row(`compile ${n.toLocaleString('en')} rules`, `${ms.toFixed(1)} ms`);
  const hit = facts('GET', '/repos/org5/repo0/pulls/7');
  const deny = facts('PUT', '/repos/ORG3/repo0/pulls/7/merge');
  const body = facts('POST', '/repos/org2/repo0/pulls/7/reviews', { body: review.body });
  const miss = facts('GET', '/users/octocat');
  const cases: [string, string, RequestFacts][] = [['allow', 'allow by `/**` template', hit], ['deny', 'deny wins (case-folded path)', deny], ['json', 'JSON body condition', body], ['miss', 'no match', miss]];
  evalUs[n] = {};
  for (const [key, what, f] of cases) {
    const us = perCall(() => set.evaluate(f));
    (evalUs[n] as Record<string, number>)[key] = us;
    row(`evaluate, ${n.toLocaleString('en')} rules, ${what}`, `${us.toFixed(2)} µs`);
  }
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const json1m = enc(JSON.stringify({ items: Array.from({ length: 16_000 }, (_, i) => ({ id: i, title: `issue ${i}`, labels: ['bug', 'ui'], open: i % 2 === 0 })) }));
const jsonSmall = enc(JSON.stringify({ ticket: { comment: { body: 'x'.repeat(800), public: false }, priority: 'normal' } }));
const form = enc(Array.from({ length: 40 }, (_, i) => `metadata[k${i}]=v${i}`).concat(['amount=1000', 'currency=usd']).join('&'));
const gql = enc(JSON.stringify({ query: 'query Q($o: String!, $r: String!) { repository(owner: $o, name: $r) { pullRequests(first: 20) { nodes { number title author { login } } } } }', variables: { o: 'acme', r: 'app' } }));
row(`parseBody json, ${(jsonSmall.length / 1024).toFixed(1)} KiB`, `${perCall(() => parseBody('json', jsonSmall, 'application/json'), 5_000).toFixed(1)} µs`);
row(`parseBody json, ${(json1m.length / 1048576).toFixed(2)} MiB`, `${(perCall(() => parseBody('json', json1m, 'application/json'), 3, 5) / 1000).toFixed(1)} ms`);
row(`parseBody form, 42 pairs`, `${perCall(() => parseBody('form', form, 'application/x-www-form-urlencoded'), 5_000).toFixed(1)} µs`);
row('parseBody graphql, one query with variables', `${perCall(() => parseBody('graphql', gql, 'application/json'), 5_000).toFixed(1)} µs`);

process.stdout.write(`Node ${process.version}, ${process.platform}/${process.arch}\n\n| measurement | result |\n|---|---|\n${rows.join('\n')}\nBENCH_JSON ${JSON.stringify({ evalUs })}\n`);
