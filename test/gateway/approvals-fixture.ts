// Shared fixture of the approvals tests: a real Chron on a temp dir, an admin-token issuer (Ed25519,
// tokens signed by hand with node:crypto), an injected clock and the privileged-infra agent.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Chron } from '../../chron/index.js';
import { createApprovals, type Approvals, type ApprovalsConfig } from '../../gateway/approvals/index.js';
import type { AdminPrincipal } from '../../gateway/identity/index.js';
import { openLog, scratch } from '../chron/helpers.js';
import { signJws } from './identity-fixtures.js';

/** 2026-01-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 1);
export const ADMIN_ISSUER = 'https://idp.test/admins';
export const ADMIN_AUDIENCE = 'claiim-admin';

export const AGENTS = [
  { id: 'infra-bot', aiorg: 'engineering', anchor: 'eng-lead@acme.example' },
  { id: 'code-bot', aiorg: 'engineering', anchor: 'eng-lead@acme.example' },
  { id: 'ledger-bot', aiorg: 'finance', anchor: 'cfo@acme.example' },
] as const;

const byUpstream = (o: Record<string, string[]>): ReadonlyMap<string, ReadonlySet<string>> => new Map(Object.entries(o).map(([u, ids]) => [u, new Set(ids)]));

/** Rules marked `requires: approval`, per agent and upstream. `break-glass` exists on two upstreams of infra-bot. */
export const APPROVAL_RULES: Record<string, ReadonlyMap<string, ReadonlySet<string>>> = {
  'infra-bot': byUpstream({ terraform: ['tf-apply', 'tf-destroy', 'break-glass'], aws: ['break-glass'] }),
  'code-bot': byUpstream({ terraform: ['tf-apply'] }),
  'ledger-bot': byUpstream({ billing: ['refund-large'] }),
};

/** Principals as the admin-token verifier would return them. */
export const WHO = {
  alice: { subject: 'alice@acme.example', role: 'admin', aiorgs: ['engineering'] },
  bob: { subject: 'bob@acme.example', role: 'admin', aiorgs: ['engineering'] },
  carol: { subject: 'carol@acme.example', role: 'admin', aiorgs: ['engineering', 'finance'] },
  frank: { subject: 'frank@acme.example', role: 'admin', aiorgs: ['finance'] },
  oscar: { subject: 'oscar@acme.example', role: 'operator', aiorgs: ['engineering'] },
} as const satisfies Record<string, AdminPrincipal>;

export interface Fixture {
  readonly chron: Chron;
  readonly approvals: Approvals;
  readonly config: ApprovalsConfig;
  readonly dir: string;
  /** The injected clock (ms). */
  readonly clock: { now(): number; advance(ms: number): void };
  /** A signed admin JWT for `who` (or arbitrary claims). */
  token(claims: Record<string, unknown>, header?: Record<string, unknown>): string;
  tokenFor(who: AdminPrincipal, over?: Record<string, unknown>): string;
  /** Every `chron.approval/v1` entry, parsed, in log order. */
  approvalEntries(): Record<string, unknown>[];
  /** Re-creates the module over the same Chron (a restart). */
  restart(): Promise<Approvals>;
}

/** Builds the fixture; everything is closed in t.after. */
export async function approvalsFixture(t: TestContext, over: Partial<ApprovalsConfig> = {}): Promise<Fixture> {
  const s = await scratch(t);
  const chron = await openLog(t, s);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const keyFile = join(s.dir, 'admin-issuer.jwk');
  writeFileSync(keyFile, JSON.stringify({ ...publicKey.export({ format: 'jwk' }), kid: 'adm-1' }));
  const config: ApprovalsConfig = {
    maxTtlS: 4 * 3600, defaultTtlS: 3600,
    admins: { issuer: ADMIN_ISSUER, audience: [ADMIN_AUDIENCE], algorithms: ['EdDSA'], keyFiles: [keyFile], roleClaim: 'claiim_role', aiorgsClaim: 'claiim_aiorgs' },
    ...over,
  };
  let ms = T0;
  const clock = { now: () => ms, advance: (d: number) => { ms += d; } };
  const make = async (): Promise<Approvals> => {
    const a = await createApprovals({ config, chron, agents: AGENTS, rulesRequiringApproval: (id) => APPROVAL_RULES[id] ?? new Map(), now: clock.now });
    t.after(() => a.close());
    return a;
  };
  const token = (claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'EdDSA', typ: 'JWT', kid: 'adm-1' }): string => signJws(header, claims, privateKey as KeyObject);
  return {
    chron, approvals: await make(), config, dir: s.dir, clock, token,
    tokenFor: (who, o = {}) => token({ iss: ADMIN_ISSUER, aud: ADMIN_AUDIENCE, sub: who.subject, iat: Math.floor(ms / 1000), exp: Math.floor(ms / 1000) + 600, claiim_role: who.role, claiim_aiorgs: who.aiorgs, ...o }),
    approvalEntries: () => {
      const out: Record<string, unknown>[] = [];
      for (let i = 0; i < chron.treeSize(); i++) {
        const r = JSON.parse(chron.entry(i)?.data.toString('utf8') ?? '{}') as Record<string, unknown>;
        if (r.type === 'chron.approval/v1') out.push(r);
      }
      return out;
    },
    restart: make,
  };
}
