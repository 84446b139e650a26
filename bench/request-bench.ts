/**
 * Request-path micro-benchmarks (issue 9 item 2): bearer token verification cold (every token new:
 * jose EdDSA verify + claim checks) and cached (the verified-token cache), request canonicalization
 * (method + target + headers, as the agent handler does it), and RFC 8785 canonicalization of a
 * decision record (the bytes Chron stores). Prints a Markdown table, then one `BENCH_JSON {…}` line.
 * Reproduce: `npx tsc -p tsconfig.json && node dist/bench/request-bench.js`
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalBytes } from '../chron/index.js';
import { canonicalHeaders } from '../gateway/canonical/headers.js';
import { canonicalMethod } from '../gateway/canonical/method.js';
import { canonicalTarget, queryPairs } from '../gateway/canonical/target.js';
import { createAuthenticator, generateDevIssuerKey, mintDevToken } from '../gateway/identity/index.js';

const ISSUER = 'https://idp.bench.local';
const rows: string[] = [];
const json: Record<string, number> = {};
const row = (what: string, us: number, key: string): void => { rows.push(`| ${what} | ${us.toFixed(2)} µs |`); json[key] = us; };

/** Median µs per call over `rounds` rounds of `n` calls (after a warm-up of one round). */
async function perCall(n: number, f: (i: number) => unknown, rounds = 5): Promise<number> {
  const samples: number[] = [];
  for (let r = 0; r <= rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await f(i);
    if (r > 0) samples.push(Number(process.hrtime.bigint() - t0) / 1e3 / n);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)] as number;
}

const dir = mkdtempSync(join(tmpdir(), 'request-bench-'));
try {
  const keys = await generateDevIssuerKey(dir);
  const N = 600;
  // Distinct tokens (each has a fresh jti): 6 rounds × N, so every verification in the cold run is a miss.
  const tokens = await Promise.all(Array.from({ length: 6 * N }, () => mintDevToken({ keyFile: keys.privateJwkFile, sub: 'bench-agent', issuer: ISSUER, audience: 'gw', skill: 'code-review@1.4.2', ttlS: 3600 })));
  const auth = await createAuthenticator({
    issuers: [{ issuer: ISSUER, audience: ['gw'], algorithms: ['EdDSA'], keyFiles: [keys.publicJwkFile], clockToleranceS: 30 }],
    agents: [{ id: 'bench-agent', skills: [{ name: 'code-review', range: '^1.4.0' }] }],
  });
  let k = 0;
  const check = (r: { ok: boolean }): void => { if (!r.ok) throw new Error('bench token did not verify'); };
  row('token verification, cold (new token each time: EdDSA verify + claims)', await perCall(N, async () => check(await auth.authenticate([`Bearer ${tokens[k++] as string}`]))), 'tokenColdUs');
  const hot = [`Bearer ${tokens[0] as string}`];
  row('token verification, cached (same token again)', await perCall(20_000, async () => check(await auth.authenticate(hot))), 'tokenCachedUs');

  const rawHeaders = ['Host', '127.0.0.1:8443', 'User-Agent', 'octokit-rest.js/20.0.0', 'Accept', 'application/vnd.github+json', 'Authorization', hot[0] as string, 'X-GitHub-Api-Version', '2022-11-28', 'Content-Type', 'application/json', 'Content-Length', '44'];
  row('request canonicalization (method + target + query + 7 headers)', await perCall(50_000, () => {
    const m = canonicalMethod('POST');
    const t = canonicalTarget('/github/repos/acme/app/pulls/7/reviews?per_page=50&page=2', '127.0.0.1:8443');
    const h = canonicalHeaders(rawHeaders, 'authorization');
    if (!m.ok || !t.ok || !h.ok) throw new Error('bench request does not canonicalize');
    return queryPairs(t.query);
  }), 'requestCanonicalUs');
  const record = {
    type: 'chron.decision/v1', decision_id: '6f1c2f8e-4a57-4d0e-9a43-93b0f3a4a3c1', request_id: '0b7e3a9c-1f7e-4a3b-8d2c-5e6f7a8b9c0d', time: '2026-11-25T20:00:00.000Z',
    agent: 'bench-agent', aiorg: 'engineering', anchor: 'eng-lead@acme.example', skill: 'code-review@1.4.2', upstream: 'github', method: 'GET',
    path: '/repos/acme/app/pulls/7', raw_path: '/github/repos/acme/app/pulls/7', raw_path_sha256: null, query_sha256: null, effect: 'allow', rule_id: 'read-app',
    reason: 'allowed_by_rule', detail: null, status: null, policy_digest: 'a3f1c0de9b7e4f2a8c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b', body_sha256: null, shadow: [], approval: null,
  };
  row(`RFC 8785 canonicalization of a decision entry (${canonicalBytes(record).length} B)`, await perCall(50_000, () => canonicalBytes(record)), 'jcsUs');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`| measurement | median per call |\n|---|---|\n${rows.join('\n')}\nBENCH_JSON ${JSON.stringify(json)}\n`);
