/**
 * The end-to-end fixture of the pack tests: every recording fake upstream, a gateway loaded through the
 * real config loader with the five shipped packs bound by `include:` (as docs/config.md says an ops
 * engineer does), and dev tokens for the five agents. Copies the approach of test/helpers/harness.ts.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { TestContext } from 'node:test';
import { signJws } from '../gateway/identity-fixtures.js';
import { generateSigningKey } from '../../chron/index.js';
import { loadConfig } from '../../gateway/config/load.js';
import { startFakeUpstreams, type FakeKind, type FakeUpstream, type FakeUpstreams } from '../../gateway/demo/fake-upstreams/index.js';
import { startGateway, type RunningGateway } from '../../gateway/gateway.js';
import { generateDevIssuerKey, mintDevToken } from '../../gateway/identity/index.js';
import { createLogger } from '../../gateway/log.js';
import { tempDir } from '../helpers/tmp.js';
import { PACKS_DIR } from './packs.js';

const ISSUER = 'https://idp.packs.test';
const AUDIENCE = 'claiim-gateway';
const ADMIN_ISSUER = 'https://idp.packs.test/admins';

/** Each pack agent with its aiorg, anchor and the skill version its token carries. */
export const PACK_AGENTS = Object.freeze({
  'code-review': { aiorg: 'engineering', anchor: 'eng-lead@acme.example', skill: 'code-review@1.4.2', range: '^1.4.0' },
  devops: { aiorg: 'engineering', anchor: 'platform-lead@acme.example', skill: 'deploy@2.1.0', range: '^2.0.0' },
  support: { aiorg: 'support', anchor: 'support-lead@acme.example', skill: 'ticket-triage@3.2.0', range: '>=3.1.0 <4.0.0' },
  'finance-reporting': { aiorg: 'finance', anchor: 'cfo@acme.example', skill: 'finance-report@1.0.3', range: '^1.0.0' },
  'privileged-infra': { aiorg: 'engineering', anchor: 'cto@acme.example', skill: 'infra-change@0.9.1', range: '^0.9.0' },
} as const);

/** A pack agent id. */
export type PackAgent = keyof typeof PACK_AGENTS;

/** A `chron.decision/v1` entry, the fields the pack tests read. */
export interface DecisionRecord {
  type: string; agent: string | null; aiorg: string | null; anchor: string | null; skill: string | null; upstream: string | null;
  method: string; path: string | null; effect: 'allow' | 'deny'; rule_id: string; reason: string; status: number | null;
  body_sha256: string | null; approval: { session_id: string; approvers: string[] } | null;
}

/** The running fixture. */
export interface PackGateway {
  readonly gw: RunningGateway;
  readonly fakes: FakeUpstreams;
  /** `http://127.0.0.1:PORT/<mount>`: the base URL an agent is given for an upstream. */
  baseUrl(upstream: FakeKind): string;
  /** A signed admin JWT (role admin, aiorg engineering) for the approvals API on `gw.adminUrl`. */
  adminToken(sub: string): string;
  /** A fresh dev token for the agent, with its skill claim. */
  token(agent: PackAgent): Promise<string>;
  /** Every `chron.decision/v1` entry so far, in log order. */
  decisions(): DecisionRecord[];
  /** Runs `fn` and returns the requests the fake received and the decision entries appended meanwhile. */
  observe<T>(fake: FakeUpstream, fn: () => Promise<T>): Promise<{ result: T | undefined; error: unknown; received: FakeUpstream['received']; decisions: DecisionRecord[] }>;
}

/** Starts the fakes and the gateway; all of it is closed in t.after. */
export async function startPackGateway(t: TestContext): Promise<PackGateway> {
  const tmp = tempDir(t);
  const keys = await generateDevIssuerKey(tmp.dir);
  await generateSigningKey(`${tmp.dir}/chron.jwk`, 'claiim.test/packs');
  const fakes = await startFakeUpstreams();
  t.after(() => fakes.close());
  const admin = generateKeyPairSync('ed25519');
  const adminKeyFile = tmp.write('admin-issuer.jwk', JSON.stringify({ ...admin.publicKey.export({ format: 'jwk' }), kid: 'adm-1' }));
  const upstream = (name: FakeKind, aiorg: string, scheme: string, extra = ''): string =>
    `  - { name: ${name}, mount: /${name}, target: "${fakes[name].url}", aiorgs: [${aiorg}]${extra}, credential: { header: authorization, format: "${scheme} {secret}", env: PACKS_${name.toUpperCase()} } }`;
  const agents = Object.entries(PACK_AGENTS).map(([id, a]) => `  - { id: ${id}, aiorg: ${a.aiorg}, anchor: ${a.anchor}, skills: [{ name: ${a.skill.split('@')[0]}, range: "${a.range}" }] }`);
  const policy = (agent: string, up: string, pack: string): string => `  - { agents: [${agent}], upstream: ${up}, include: ["${PACKS_DIR}${pack}/rules.yaml"] }`;
  const file = tmp.write('claiim.yaml', [
    'listeners: { agent: { port: 0 }, admin: { port: 0 } }',
    'chron: { db_path: chron.db, origin: claiim.test/packs, signing_key_file: chron.jwk, checkpoint_interval_s: 0 }',
    'identity:',
    `  issuers: [{ issuer: "${ISSUER}", audience: ${AUDIENCE}, algorithms: [EdDSA], key_files: ["${keys.publicJwkFile}"] }]`,
    `approvals: { max_ttl_s: 3600, admins: { issuer: "${ADMIN_ISSUER}", audience: claiim-admin, algorithms: [EdDSA], key_files: ["${adminKeyFile}"] } }`,
    'aiorgs: [{ id: engineering }, { id: support }, { id: finance }]',
    'upstreams:',
    upstream('github', 'engineering', 'Bearer', ', path_case: insensitive, path_encoded_slash: decode'),
    upstream('deploy', 'engineering', 'Bearer'),
    upstream('zendesk', 'support', 'Basic'),
    upstream('stripe', 'finance', 'Bearer', ', listen_port: 0'),
    upstream('terraform', 'engineering', 'Bearer'),
    'agents:', ...agents,
    'policies:',
    policy('code-review', 'github', 'code-review'),
    policy('devops', 'deploy', 'devops'),
    policy('support', 'zendesk', 'support'),
    policy('finance-reporting', 'stripe', 'finance-reporting'),
    policy('privileged-infra', 'terraform', 'privileged-infra'),
    '',
  ].join('\n'));
  const env = Object.fromEntries((['github', 'deploy', 'zendesk', 'stripe', 'terraform'] as const).map((k) => [`PACKS_${k.toUpperCase()}`, fakes[k].credentialSecret]));
  const loaded = loadConfig(file, env);
  if (!loaded.ok) throw new Error(`pack gateway config invalid: ${JSON.stringify(loaded.problems)}`);
  const gw = await startGateway(loaded.config, loaded.policySet, loaded.secrets, createLogger('silent'), { env });
  t.after(() => gw.close());
  const decisions = (): DecisionRecord[] => {
    const out: DecisionRecord[] = [];
    for (let i = 0; i < gw.chron.treeSize(); i++) {
      const r = JSON.parse(gw.chron.entry(i)?.data.toString('utf8') ?? '{}') as DecisionRecord;
      if (r.type === 'chron.decision/v1') out.push(r);
    }
    return out;
  };
  return {
    gw, fakes, decisions,
    baseUrl: (name) => `${gw.agentUrl}/${name}`,
    adminToken: (sub) => signJws({ alg: 'EdDSA', typ: 'JWT', kid: 'adm-1' }, { iss: ADMIN_ISSUER, aud: 'claiim-admin', sub, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600, claiim_role: 'admin', claiim_aiorgs: ['engineering'] }, admin.privateKey as KeyObject),
    token: (agent) => mintDevToken({ keyFile: keys.privateJwkFile, sub: agent, issuer: ISSUER, audience: AUDIENCE, ttlS: 600, skill: PACK_AGENTS[agent].skill }),
    observe: async (fake, fn) => {
      const r0 = fake.received.length;
      const d0 = decisions().length;
      let result: Awaited<ReturnType<typeof fn>> | undefined;
      let error: unknown;
      try { result = await fn(); } catch (e) { error = e; }
      return { result, error, received: fake.received.slice(r0), decisions: decisions().slice(d0) };
    },
  };
}

/** What one observed call must show: its decision entry, and what reached the fake (nothing for a deny). */
export interface Expected { agent: PackAgent; effect: 'allow' | 'deny'; rule: string; reason?: string; method: string; path?: string; upstream: FakeKind }

/**
 * Asserts one observed call: exactly one decision entry naming the agent, its aiorg and anchor, the skill
 * version its token carried, the upstream, method, rule id, effect (and reason if given); for an allow,
 * exactly one request reached the fake with that method (and path, if given); for a deny, none did.
 * Returns what the fake received, for body checks.
 */
export function assertObserved(assert: typeof import('node:assert/strict'), obs: { received: FakeUpstream['received']; decisions: DecisionRecord[] }, e: Expected): FakeUpstream['received'][number] | undefined {
  const a = PACK_AGENTS[e.agent];
  const label = `${e.method} ${e.path ?? ''} (${e.rule})`;
  assert.equal(obs.decisions.length, 1, `${label}: one decision entry`);
  const d = obs.decisions[0];
  assert.deepEqual(
    { agent: d?.agent, aiorg: d?.aiorg, anchor: d?.anchor, skill: d?.skill, upstream: d?.upstream, method: d?.method, effect: d?.effect, rule_id: d?.rule_id, ...(e.reason ? { reason: d?.reason } : {}), ...(e.path ? { path: d?.path } : {}) },
    { agent: e.agent, aiorg: a.aiorg, anchor: a.anchor, skill: a.skill, upstream: e.upstream, method: e.method, effect: e.effect, rule_id: e.rule, ...(e.reason ? { reason: e.reason } : {}), ...(e.path ? { path: e.path } : {}) },
    label,
  );
  if (e.effect === 'deny') { assert.equal(obs.received.length, 0, `${label}: nothing reached the upstream`); return undefined; }
  assert.equal(obs.received.length, 1, `${label}: one request reached the upstream`);
  const got = obs.received[0];
  assert.equal(got?.method, e.method, label);
  if (e.path) assert.equal(got?.target.split('?')[0], e.path, label);
  return got;
}

/**
 * The HTTP status carried by a client library's error (Octokit, stripe-node, node-zendesk, k8s), or by a
 * stripe-node result's `lastResponse`: stripe-node only throws when the body has Stripe's `error` member,
 * so it hands the gateway's 403 body back as if it were a resource.
 */
export function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { status?: unknown; statusCode?: unknown; code?: unknown; response?: { status?: unknown; statusCode?: unknown }; lastResponse?: { statusCode?: unknown } };
  for (const v of [e.status, e.statusCode, e.code, e.response?.status, e.response?.statusCode, e.lastResponse?.statusCode]) if (typeof v === 'number') return v;
  // node-zendesk 6 keeps the status only in its message ("Zendesk Error (403): Forbidden").
  const m = err instanceof Error ? /Zendesk Error \((\d{3})\)/.exec(err.message) : null;
  return m?.[1] === undefined ? undefined : Number(m[1]);
}
