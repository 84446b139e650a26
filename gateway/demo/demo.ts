import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSigningKey } from '../../chron/index.js';
import { loadConfig } from '../config/load.js';
import { startGateway } from '../gateway.js';
import { generateDevIssuerKey, mintDevAdminToken, mintDevToken } from '../identity/index.js';
import { createLogger } from '../log.js';
import { startFakeUpstreams } from './fake-upstreams/index.js';
import { DEMO_ADMINS, demoApprovalScript, demoCalls } from './demo-calls.js';

/** The demo's issuer and audience (the template's identity section uses the same values). */
export const DEMO_ISSUER = 'https://idp.claiim.local';
export const DEMO_AUDIENCE = 'claiim-gateway';
/** The demo's admin issuer and audience for the approvals admin API (the template's approvals section). */
export const DEMO_ADMIN_ISSUER = 'https://idp.claiim.local/admins';
export const DEMO_ADMIN_AUDIENCE = 'claiim-admin';

/** The template shipped in the source tree (not compiled): found from the package root. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const TEMPLATE = join(ROOT, 'gateway/demo/claiim.demo.yaml');
const CERT_SCRIPT = join(ROOT, 'certs/make-dev-certs.sh');
const CERT_DIR = join(ROOT, 'certs/generated');

/** A running demo. */
export interface RunningDemo { readonly agentUrl: string; readonly adminUrl: string; readonly configFile: string; close(): Promise<void> }

/**
 * Runs the embedded default: fake upstreams on loopback, dev keys (made on first run), a generated config
 * loaded through the same loader as `claiim start`, the gateway, and ready-to-paste curl lines on `io.stdout`.
 * Returns an exit code instead when the generated config does not load (a bug) or a port is taken.
 */
export async function runDemo(opts: { dataDir: string; port: number; adminPort: number; tls?: boolean; io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }; quiet?: boolean }): Promise<RunningDemo | number> {
  const data = resolve(opts.dataDir);
  mkdirSync(join(data, 'keys'), { recursive: true, mode: 0o700 });
  mkdirSync(join(data, 'demo'), { recursive: true });
  const issuerKey = await generateDevIssuerKey(join(data, 'keys'));
  const adminKey = await generateDevIssuerKey(join(data, 'keys', 'admin'));
  await generateSigningKey(join(data, 'keys', 'chron-signing.jwk'), 'claiim.local/demo');
  let caFile: string | undefined;
  if (opts.tls !== false) {
    // Dev TLS material, made once by the certs/ script (git-ignored) and reused on later runs.
    try {
      execFileSync(CERT_SCRIPT, [CERT_DIR], { stdio: 'pipe' });
    } catch (err) {
      opts.io.stderr.write(`claiim demo: could not make dev certificates with ${CERT_SCRIPT} (${(err as NodeJS.ErrnoException).code ?? 'failed'}; is openssl installed?). Run with --no-tls for plain HTTP.\n`);
      return 1;
    }
    caFile = join(CERT_DIR, 'ca.crt');
  }
  const fakes = await startFakeUpstreams();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CLAIIM_DEMO_GITHUB_TOKEN: fakes.github.credentialSecret,
    CLAIIM_DEMO_DEPLOY_TOKEN: fakes.deploy.credentialSecret,
    CLAIIM_DEMO_STRIPE_KEY: fakes.stripe.credentialSecret,
    CLAIIM_DEMO_ZENDESK_TOKEN: fakes.zendesk.credentialSecret,
    CLAIIM_DEMO_TERRAFORM_TOKEN: fakes.terraform.credentialSecret,
  };
  const values: Record<string, string | number> = {
    agent_port: opts.port, admin_port: opts.adminPort, issuer_public_key: issuerKey.publicJwkFile, admin_public_key: adminKey.publicJwkFile,
    agent_tls: caFile ? `, tls: { cert_file: ${JSON.stringify(join(CERT_DIR, 'server.crt'))}, key_file: ${JSON.stringify(join(CERT_DIR, 'server.key'))} }` : '',
    packs: join(ROOT, 'rules/packs'),
    chron_db: join(data, 'chron.db'), chron_key: join(data, 'keys', 'chron-signing.jwk'),
    github: fakes.github.url, deploy: fakes.deploy.url, stripe: fakes.stripe.url, zendesk: fakes.zendesk.url, terraform: fakes.terraform.url,
  };
  const configFile = join(data, 'demo', 'claiim.yaml');
  writeFileSync(configFile, readFileSync(TEMPLATE, 'utf8').replace(/\{\{(\w+)\}\}/g, (_, k: string) => (k === 'agent_tls' ? String(values[k]) : k === 'packs' ? JSON.stringify(values[k]).slice(1, -1) : JSON.stringify(values[k] ?? ''))));
  const loaded = loadConfig(configFile, env);
  if (!loaded.ok) {
    for (const p of loaded.problems) opts.io.stderr.write(`  ${p.file}:${p.line}:${p.col}: ${p.code} ${p.message}\n`);
    await fakes.close();
    return 2;
  }
  const log = createLogger(opts.quiet ? 'silent' : 'info', 2);
  let gw;
  try {
    gw = await startGateway(loaded.config, loaded.policySet, loaded.secrets, log, { env, sources: loaded.sources });
  } catch (err) {
    await fakes.close();
    const code = (err as NodeJS.ErrnoException).code ?? 'ERROR';
    opts.io.stderr.write(`claiim demo: cannot start (${code}); is another gateway on port ${opts.port} or ${opts.adminPort}? Try --port/--admin-port.\n`);
    return 1;
  }
  const tokens: Record<string, string> = {};
  for (const agent of loaded.config.agents) {
    const skill = demoSkill(agent.id);
    tokens[agent.id] = await mintDevToken({ keyFile: issuerKey.privateJwkFile, sub: agent.id, issuer: DEMO_ISSUER, audience: DEMO_AUDIENCE, skill, ttlS: 8 * 3600 });
  }
  const out = opts.io.stdout;
  out.write(`\nCLAIIM demo is running.\n  agent listener  ${gw.agentUrl}\n  admin listener  ${gw.adminUrl}  (/healthz /readyz /chron/checkpoint /approvals)\n  config          ${configFile}\n  chron database  ${loaded.config.chron.dbPath}\n\n`);
  out.write('Paste any line below (tokens are valid for 8 hours; Ctrl-C stops the demo):\n\n');
  if (caFile) out.write(`The agent listener speaks HTTPS with a dev CA (${caFile}); clients need it, e.g. NODE_EXTRA_CA_CERTS=${caFile}.\n\n`);
  for (const call of demoCalls(gw.agentUrl, tokens, caFile)) out.write(`# ${call.agent}: ${call.expect}\n${call.curl}\n\n`);
  const adminTokens = await Promise.all(DEMO_ADMINS.map((a) => mintDevAdminToken({
    keyFile: adminKey.privateJwkFile, sub: a.sub, issuer: DEMO_ADMIN_ISSUER, audience: DEMO_ADMIN_AUDIENCE, role: a.role, aiorgs: ['engineering'], ttlS: 8 * 3600,
  })));
  out.write(`## Two-person approval (docs/approvals.md): ${DEMO_ADMINS[0].sub} asks for a session covering terraform/tf-apply-run, ${DEMO_ADMINS[1].sub} and ${DEMO_ADMINS[2].sub} approve it,\n`);
  out.write('## then the apply denied above is allowed inside the session (once: max_uses 1). Paste these lines in order, in one shell:\n');
  out.write(`${demoApprovalScript(gw.agentUrl, gw.adminUrl, tokens['privileged-infra'] ?? '', adminTokens, caFile).join('\n')}\n\n`);
  out.write(`# Then read the record: node dist/gateway/bin.js chron show --db ${loaded.config.chron.dbPath}\n\n`);
  return {
    agentUrl: gw.agentUrl, adminUrl: gw.adminUrl, configFile,
    close: async () => { await gw.close(); await fakes.close(); },
  };
}

/** The skill each demo agent's token carries (inside that agent's configured range). */
export function demoSkill(agent: string): string {
  const skills: Record<string, string> = { devops: 'deploy@2.3.1', 'code-review': 'code-review@1.4.2', support: 'ticket-triage@3.1.0', 'finance-reporting': 'finance-report@1.2.0', 'privileged-infra': 'infra-change@0.9.4' };
  return skills[agent] ?? `${agent}@1.0.0`;
}
