/**
 * The side-by-side scenarios: one claiim.yaml (one upstream, one agent, a path allow rule, a path deny
 * rule, a JSON body rule and a GraphQL rule), a dev issuer key and a token, and the request each row
 * sends. Every row sends the same Authorization header, so the bytes on the wire match across targets.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSigningKey } from '../chron/index.js';
import { generateDevIssuerKey, mintDevToken } from '../gateway/identity/index.js';
import type { RequestSpec } from './wrk.js';

export const ORIGIN = 'bench.claiim.local/gateway';
const ISSUER = 'https://idp.bench.local';
const AUDIENCE = 'claiim-bench';
/** Env var that carries the (fake) upstream credential into the gateway child. */
export const CREDENTIAL_ENV = 'CLAIIM_BENCH_UPSTREAM_TOKEN';

/** Which server a row loads, and through which mount. */
export type TargetKind = 'direct' | 'nginx' | 'bare' | 'gateway' | 'gateway-disabled';

/** One configuration of the table. `spec.path` is relative to the target's URL. */
export interface Scenario {
  readonly id: string;
  readonly label: string;
  readonly kind: TargetKind;
  readonly spec: RequestSpec;
  readonly expectStatus: number;
}

const RULES = `
      - { id: read-app, effect: allow, match: { methods: [GET], path: "/repos/acme/app/**" } }
      - { id: no-merge, effect: deny, match: { methods: "*", path: "/repos/{owner}/{repo}/pulls/{number}/merge" } }
      - { id: review-comment, effect: allow, match: { methods: [POST], path: "/repos/acme/app/pulls/{number}/reviews", json: { event: COMMENT } } }
      - { id: gql-queries, effect: allow, match: { methods: [POST], path: /graphql, graphql: { operation: query } } }`;

/** Writes keys, claiim.yaml and the Chron database path into `parent/name/`; returns the config path and a bearer token for the agent. */
export async function writeGatewaySetup(parent: string, upstreamUrl: string, name: string): Promise<{ configFile: string; token: string; dir: string }> {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  const keys = await generateDevIssuerKey(dir);
  await generateSigningKey(join(dir, 'chron.jwk'), ORIGIN);
  const configFile = join(dir, 'claiim.yaml');
  writeFileSync(configFile, `
listeners: { agent: { host: 127.0.0.1, port: 0 }, admin: { host: 127.0.0.1, port: 0 } }
chron: { db_path: chron.db, origin: ${ORIGIN}, signing_key_file: chron.jwk, checkpoint_interval_s: 60 }
limits: { max_concurrent_per_agent: 256 }
identity:
  issuers: [{ issuer: "${ISSUER}", audience: ${AUDIENCE}, algorithms: [EdDSA], key_files: ["${keys.publicJwkFile}"] }]
aiorgs: [{ id: engineering }]
upstreams:
  - name: github
    mount: /api
    target: ${upstreamUrl}
    aiorgs: [engineering]
    path_case: insensitive
    credential: { header: authorization, format: "Bearer {secret}", env: ${CREDENTIAL_ENV} }
agents:
  - { id: bench-agent, aiorg: engineering, anchor: eng-lead@acme.example, skills: [{ name: code-review, range: "^1.4.0" }] }
policies:
  - agents: [bench-agent]
    upstream: github
    rules:${RULES}
`);
  const token = await mintDevToken({ keyFile: keys.privateJwkFile, sub: 'bench-agent', issuer: ISSUER, audience: AUDIENCE, skill: 'code-review@1.4.2', ttlS: 6 * 3600 });
  return { configFile, token, dir };
}

const READ = '/repos/acme/app/pulls/7';
const REVIEW = JSON.stringify({ event: 'COMMENT', body: 'looks good to me' });
const GRAPHQL = JSON.stringify({ query: 'query { viewer { login } repository(owner: "acme", name: "app") { pullRequest(number: 7) { title } } }' });

/** Every row of the table, in print order. The approval-session row is added by the runner when available. */
export function scenarios(token: string): Scenario[] {
  const auth = { authorization: `Bearer ${token}` };
  const json = { ...auth, 'content-type': 'application/json' };
  const get = (path: string): RequestSpec => ({ method: 'GET', path, headers: auth });
  return [
    { id: 'direct', label: 'direct to upstream (no proxy)', kind: 'direct', spec: get(READ), expectStatus: 200 },
    { id: 'nginx', label: 'nginx reverse proxy', kind: 'nginx', spec: get(READ), expectStatus: 200 },
    { id: 'bare', label: 'bare Node + undici proxy', kind: 'bare', spec: get(READ), expectStatus: 200 },
    { id: 'gw-allow', label: 'gateway: allow by path rule', kind: 'gateway', spec: get(`/api${READ}`), expectStatus: 200 },
    { id: 'gw-deny', label: 'gateway: deny by path rule (403, recorded)', kind: 'gateway', spec: { method: 'PUT', path: `/api${READ}/merge`, headers: auth }, expectStatus: 403 },
    { id: 'gw-json', label: 'gateway: allow by JSON body rule', kind: 'gateway', spec: { method: 'POST', path: `/api${READ}/reviews`, headers: json, body: REVIEW }, expectStatus: 200 },
    { id: 'gw-graphql', label: 'gateway: allow by GraphQL rule', kind: 'gateway', spec: { method: 'POST', path: '/api/graphql', headers: json, body: GRAPHQL }, expectStatus: 200 },
    { id: 'gw-allow-nochron', label: 'gateway: allow by path rule, Chron disabled (attribution only)', kind: 'gateway-disabled', spec: get(`/api${READ}`), expectStatus: 200 },
  ];
}
