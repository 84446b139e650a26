/**
 * The side-by-side scenarios: one claiim.yaml (one upstream, one agent, a path allow rule, a path deny
 * rule, a JSON body rule, a GraphQL rule and a rule that `requires: approval`), a dev issuer key and a
 * token, an admin issuer with three admin tokens (one requester, two approvers), and the request each
 * row sends. Every row sends the same Authorization header, so the bytes on the wire match across targets.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSigningKey } from '../chron/index.js';
import { generateDevIssuerKey, mintDevAdminToken, mintDevToken } from '../gateway/identity/index.js';
import { startChild, type BenchChild } from './procs.js';
import { writeScript, type RequestSpec } from './wrk.js';

export const ORIGIN = 'bench.claiim.local/gateway';
const ISSUER = 'https://idp.bench.local';
const AUDIENCE = 'claiim-bench';
const ADMIN_ISSUER = 'https://idp.bench.local/admins';
const ADMIN_AUDIENCE = 'claiim-bench-admin';
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
      - { id: gql-queries, effect: allow, match: { methods: [POST], path: /graphql, graphql: { operation: query } } }
      - { id: release, effect: allow, requires: approval, match: { methods: [POST], path: "/repos/acme/app/releases" } }`;

/** Admin tokens of the bench's admin issuer: `requester` opens a session, `approvers` approve it. */
export interface AdminTokens { readonly requester: string; readonly approvers: readonly [string, string] }

/** Writes keys, claiim.yaml and the Chron database path into `parent/name/`; returns the config path and a bearer token for the agent. */
export async function writeGatewaySetup(parent: string, upstreamUrl: string, name: string): Promise<{ configFile: string; token: string; admins: AdminTokens; dir: string }> {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  const keys = await generateDevIssuerKey(dir);
  const adminKeys = await generateDevIssuerKey(join(dir, 'admin'));
  await generateSigningKey(join(dir, 'chron.jwk'), ORIGIN);
  const configFile = join(dir, 'claiim.yaml');
  writeFileSync(configFile, `
listeners: { agent: { host: 127.0.0.1, port: 0 }, admin: { host: 127.0.0.1, port: 0 } }
chron: { db_path: chron.db, origin: ${ORIGIN}, signing_key_file: chron.jwk, checkpoint_interval_s: 60 }
limits: { max_concurrent_per_agent: 256 }
identity:
  issuers: [{ issuer: "${ISSUER}", audience: ${AUDIENCE}, algorithms: [EdDSA], key_files: ["${keys.publicJwkFile}"] }]
aiorgs: [{ id: engineering }]
approvals:
  admins: { issuer: "${ADMIN_ISSUER}", audience: ${ADMIN_AUDIENCE}, algorithms: [EdDSA], key_files: ["${adminKeys.publicJwkFile}"] }
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
  const admin = (sub: string, role: 'admin' | 'operator'): Promise<string> =>
    mintDevAdminToken({ keyFile: adminKeys.privateJwkFile, sub, issuer: ADMIN_ISSUER, audience: ADMIN_AUDIENCE, role, aiorgs: ['engineering'], ttlS: 6 * 3600 });
  const admins: AdminTokens = { requester: await admin('oscar@acme.example', 'operator'), approvers: [await admin('alice@acme.example', 'admin'), await admin('bob@acme.example', 'admin')] };
  return { configFile, token, admins, dir };
}

/**
 * Opens an approval session for bench-agent over the gateway's admin API (request, then two approvals)
 * and returns its id once active. Throws ERR_BENCH_APPROVAL with the API's answer when a step fails.
 */
export async function openApprovalSession(adminUrl: string, admins: AdminTokens): Promise<string> {
  const call = async (path: string, token: string, body: Record<string, unknown>): Promise<{ session: { session_id: string; state: string } }> => {
    const res = await fetch(adminUrl + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw Object.assign(new Error(`approval step ${path} answered ${res.status}: ${text.slice(0, 200)}`), { code: 'ERR_BENCH_APPROVAL' });
    return JSON.parse(text) as { session: { session_id: string; state: string } };
  };
  const { session } = await call('/approvals', admins.requester, { agent: 'bench-agent', scope: ['release'], reason: 'benchmark: requests inside an approval session', ttl_s: 3600 });
  await call(`/approvals/${session.session_id}/approve`, admins.approvers[0], {});
  const after = await call(`/approvals/${session.session_id}/approve`, admins.approvers[1], {});
  if (after.session.state !== 'active') throw Object.assign(new Error(`approval session is ${after.session.state}, not active`), { code: 'ERR_BENCH_APPROVAL' });
  return session.session_id;
}

const READ = '/repos/acme/app/pulls/7';
const REVIEW = JSON.stringify({ event: 'COMMENT', body: 'looks good to me' });
const GRAPHQL = JSON.stringify({ query: 'query { viewer { login } repository(owner: "acme", name: "app") { pullRequest(number: 7) { title } } }' });

const RELEASE = JSON.stringify({ tag_name: 'v1.4.2', name: 'v1.4.2' });

/** Every row of the table, in print order; the approval-session row only when `sessionId` is given. */
export function scenarios(token: string, sessionId?: string): Scenario[] {
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
    ...(sessionId !== undefined ? [{ id: 'gw-approval', label: 'gateway: inside an approval session', kind: 'gateway', spec: { method: 'POST', path: '/api/repos/acme/app/releases', headers: { ...json, 'x-claiim-approval-session': sessionId }, body: RELEASE }, expectStatus: 200 } satisfies Scenario] : []),
    { id: 'gw-allow-nochron', label: 'gateway: allow by path rule, Chron disabled (attribution only)', kind: 'gateway-disabled', spec: get(`/api${READ}`), expectStatus: 200 },
  ];
}

/** One row of the table, served: the fake upstream and a gateway (durable or Chron-disabled) started in `dir`. */
export interface RowTarget {
  readonly gateway: BenchChild;
  /** The URL wrk loads and the Lua script that sends the row's request. */
  readonly url: string;
  readonly script: string;
  /** Stops the gateway, then the upstream. */
  stop(): Promise<void>;
}

/**
 * Starts the fake upstream and a gateway for scenario `row` (opening an approval session first for
 * gw-approval) and writes the row's wrk script; used by cpu-profile.js and thread-cpu.js.
 * On failure everything already started is stopped.
 */
export async function startRowTarget(dir: string, row: string, mode: 'durable' | 'disabled', execArgv: string[] = []): Promise<RowTarget> {
  const started: BenchChild[] = [];
  const stop = async (): Promise<void> => { for (const c of started.splice(0).reverse()) await c.stop(); };
  try {
    started.push(await startChild('upstream', new URL('./fake-upstream.js', import.meta.url), []));
    const setup = await writeGatewaySetup(dir, (started[0] as BenchChild).url, 'gateway');
    const gateway = await startChild('gateway', new URL('./gateway-host.js', import.meta.url), [setup.configFile, mode],
      { env: { ...process.env, [CREDENTIAL_ENV]: 'bench-upstream-credential' }, execArgv });
    started.push(gateway);
    const sessionId = row === 'gw-approval' && gateway.adminUrl !== undefined ? await openApprovalSession(gateway.adminUrl, setup.admins) : undefined;
    const s = scenarios(setup.token, sessionId).find((x) => x.id === row);
    if (!s) throw new Error(`no row ${row}`);
    const script = join(dir, 'row.lua');
    writeScript(script, s.spec);
    return { gateway, url: gateway.url + s.spec.path, script, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
