import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { openChron, type Chron } from '../../chron/index.js';
import { generateSigningKey } from '../../chron/index.js';
import { loadConfig } from '../../gateway/config/load.js';
import { startFakeUpstream, type FakeUpstream } from '../../gateway/demo/fake-upstreams/index.js';
import { startGateway, type RunningGateway } from '../../gateway/gateway.js';
import { generateDevIssuerKey, mintDevToken } from '../../gateway/identity/index.js';
import { createLogger, type Logger } from '../../gateway/log.js';
import { tempDir } from './tmp.js';

export const ISSUER = 'https://idp.test';
const CERT_SCRIPT = fileURLToPath(new URL('../../../certs/make-dev-certs.sh', import.meta.url));
export const AUDIENCE = 'gw';

/** The fixture policy of shared/security/CASES.md, trimmed to what the gateway core needs. */
export const GITHUB_RULES = `
      - { id: gh-read, effect: allow, match: { methods: [GET], path: "/repos/acme/app/**" } }
      - { id: gh-comment, effect: allow, match: { methods: [POST], path: "/repos/acme/app/issues/*/comments" } }
      - { id: gh-no-merge, effect: deny, match: { methods: "*", path: "/repos/{owner}/{repo}/pulls/{number}/merge" } }
`;

export interface Harness {
  readonly gw: RunningGateway;
  readonly upstream: FakeUpstream;
  readonly chron: Chron;
  readonly dir: string;
  token(sub: string, opts?: { skill?: string; ttlS?: number }): Promise<string>;
  /** The request entries (`chron.decision/v1`, `chron.outcome/v1`) so far, parsed, in log order. */
  entries(): Record<string, unknown>[];
  /** Every Chron entry so far (policy loads and approval steps too), parsed. */
  allEntries(): Record<string, unknown>[];
  /** The raw bytes of every Chron entry, joined (for "never contains" checks). */
  rawEntries(): string;
}

/**
 * Starts a recording fake GitHub, writes a config with agents a1 (engineering, skill code-review ^1.4.0)
 * and f1 (finance), loads it through the real loader and starts the gateway on port 0. Everything is
 * stopped in t.after. `readonlyChron` opens the Chron database read-only (appends fail). `extraUpstreams`
 * and `extraPolicies` are YAML list items appended to `upstreams:` and `policies:` (`{{upstream_url}}` in
 * `extraUpstreams` becomes the fake GitHub's URL). `log` receives the gateway's log lines.
 */
export async function startHarness(t: TestContext, opts: { upstream?: Parameters<typeof startFakeUpstream>[1]; rules?: string; readonlyChron?: boolean; upstreamTarget?: string; timeoutMs?: number; tls?: boolean; requireClientCert?: boolean; limits?: string; now?: () => number; websocket?: boolean; hosts?: string[]; decodeSlash?: boolean; extraUpstreams?: string; extraPolicies?: string; log?: Logger } = {}): Promise<Harness> {
  const tmp = tempDir(t);
  const keys = await generateDevIssuerKey(tmp.dir);
  const signingKey = `${tmp.dir}/chron.jwk`;
  await generateSigningKey(signingKey, 'claiim.test/it');
  if (opts.tls) execFileSync(CERT_SCRIPT, ['--client', 'a1', '--client', 'f1', `${tmp.dir}/certs`], { stdio: 'pipe' });
  const tlsYaml = opts.tls ? `, tls: { cert_file: certs/server.crt, key_file: certs/server.key, client_ca_file: certs/ca.crt }` : '';
  // A policy that includes pack.yaml gets a passing one to start from (tests then rewrite it).
  if (opts.rules?.includes('pack.yaml')) tmp.write('pack.yaml', '- { id: gh-read, effect: allow, match: { methods: [GET], path: "/repos/acme/app/**" } }\n');
  const upstream = await startFakeUpstream('github', opts.upstream);
  t.after(() => upstream.close());
  const secret = upstream.credentialSecret;
  const file = tmp.write('claiim.yaml', `
listeners: { agent: { port: 0${tlsYaml} }, admin: { port: 0 } }
${opts.limits ?? ''}
chron: { db_path: chron.db, origin: claiim.test/it, signing_key_file: chron.jwk, checkpoint_interval_s: 0 }
identity:
  issuers: [{ issuer: "${ISSUER}", audience: ${AUDIENCE}, algorithms: [EdDSA], key_files: ["${keys.publicJwkFile}"] }]
aiorgs: [{ id: engineering }, { id: finance }]
upstreams:
  - name: github
    mount: /github
    target: ${opts.upstreamTarget ?? upstream.url}
    aiorgs: [engineering]
    timeout_ms: ${opts.timeoutMs ?? 5000}
    websocket: ${opts.websocket ? 'true' : 'false'}
    path_encoded_slash: ${opts.decodeSlash ? 'decode' : 'reject'}
    hosts: [${(opts.hosts ?? ['github.gw.test']).join(', ')}]
    credential: { header: authorization, format: "Bearer {secret}", env: IT_GITHUB_TOKEN }
${(opts.extraUpstreams ?? '').replaceAll('{{upstream_url}}', upstream.url)}
agents:
  - { id: a1, aiorg: engineering, anchor: eng-lead@acme.example, skills: [{ name: code-review, range: "^1.4.0" }], require_client_cert: ${opts.requireClientCert ? 'true' : 'false'} }
  - { id: f1, aiorg: finance, anchor: cfo@acme.example }
policies:
  - agents: [a1]
    upstream: github
    rules:${opts.rules ?? GITHUB_RULES}
${opts.extraPolicies ?? ''}`);
  const env = { IT_GITHUB_TOKEN: secret };
  const loaded = loadConfig(file, env);
  if (!loaded.ok) throw new Error(`harness config invalid: ${JSON.stringify(loaded.problems)}`);
  let chron: Chron | undefined;
  if (opts.readonlyChron) {
    const writer = await openChron({ path: loaded.config.chron.dbPath, origin: loaded.config.chron.origin, signingKeyFile: signingKey, checkpointIntervalMs: 0 });
    await writer.close();
    chron = await openChron({ path: loaded.config.chron.dbPath, origin: loaded.config.chron.origin, signingKeyFile: signingKey, checkpointIntervalMs: 0, readonly: true });
  }
  const gw = await startGateway(loaded.config, loaded.policySet, loaded.secrets, opts.log ?? createLogger('silent'), { env, sources: loaded.sources, ...(opts.now ? { now: opts.now } : {}), ...(chron ? { chron } : {}) });
  t.after(() => gw.close());
  const read = (): Buffer[] => {
    const out: Buffer[] = [];
    for (let i = 0; i < gw.chron.treeSize(); i++) { const e = gw.chron.entry(i); if (e) out.push(e.data); }
    return out;
  };
  return {
    gw, upstream, chron: gw.chron, dir: tmp.dir,
    token: (sub, o = {}) => mintDevToken({ keyFile: keys.privateJwkFile, sub, issuer: ISSUER, audience: AUDIENCE, ttlS: o.ttlS ?? 600, ...(o.skill !== undefined ? { skill: o.skill } : { skill: 'code-review@1.4.2' }) }),
    entries: () => read().map((b) => JSON.parse(b.toString('utf8')) as Record<string, unknown>).filter((e) => e.type === 'chron.decision/v1' || e.type === 'chron.outcome/v1'),
    allEntries: () => read().map((b) => JSON.parse(b.toString('utf8')) as Record<string, unknown>),
    rawEntries: () => read().map((b) => b.toString('utf8')).join('\n'),
  };
}

/** A raw HTTP/1.1 exchange over a socket: the bytes are sent exactly as given (no client normalisation). */
export function rawRequest(baseUrl: string, text: string, timeoutMs = 5000): Promise<{ status: number; headers: Record<string, string>; body: string; raw: string }> {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(u.port), u.hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => { sock.destroy(); finish(); }, timeoutMs);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = raw.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) { const i = l.indexOf(':'); if (i > 0) headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim(); }
      const status = Number(statusLine.split(' ')[1] ?? 0);
      if (!raw) { reject(new Error('connection closed without a response')); return; }
      resolve({ status, headers, body: rest.join('\r\n\r\n'), raw });
    };
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      // One response is enough: stop once a Content-Length body is complete.
      const raw = Buffer.concat(chunks).toString('utf8');
      const end = raw.indexOf('\r\n\r\n');
      const m = /\r\ncontent-length: *(\d+)/i.exec(raw.slice(0, end));
      if (end !== -1 && m && Buffer.byteLength(raw.slice(end + 4)) >= Number(m[1])) { sock.destroy(); finish(); }
    });
    sock.on('end', finish);
    sock.on('error', () => finish());
    sock.write(text);
  });
}
