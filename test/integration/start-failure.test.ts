import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSigningKey } from '../../chron/index.js';
import { generateDevIssuerKey } from '../../gateway/identity/index.js';
import { AUDIENCE, ISSUER } from '../helpers/harness.js';
import { tempDir } from '../helpers/tmp.js';

const BIN = fileURLToPath(new URL('../../gateway/bin.js', import.meta.url));

/** Runs the CLI; resolves with its exit code and stderr, or with code null if it is still running after `ms`. */
function run(args: string[], env: Record<string, string>, ms: number): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  return new Promise((resolve) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); resolve({ code: null, stderr }); }, ms);
    child.once('exit', (code) => { clearTimeout(timer); resolve({ code, stderr }); });
  });
}

test('claiim start – a TLS certificate that cannot be read after Chron opened: exits 1 with the error, does not hang', { timeout: 30_000 }, async (t) => {
  const tmp = tempDir(t);
  const keys = await generateDevIssuerKey(tmp.dir);
  await generateSigningKey(join(tmp.dir, 'chron.jwk'), 'claiim.test/start-failure');
  const config = tmp.write('claiim.yaml', `
listeners: { agent: { port: 0, tls: { cert_file: missing.crt, key_file: missing.key } }, admin: { port: 0 } }
chron: { db_path: chron.db, origin: claiim.test/start-failure, signing_key_file: chron.jwk, checkpoint_interval_s: 0 }
identity:
  issuers: [{ issuer: "${ISSUER}", audience: ${AUDIENCE}, algorithms: [EdDSA], key_files: ["${keys.publicJwkFile}"] }]
aiorgs: [{ id: engineering }]
upstreams:
  - { name: github, mount: /github, target: "http://127.0.0.1:9", aiorgs: [engineering], credential: { header: authorization, format: "Bearer {secret}", env: SF_TOKEN } }
agents:
  - { id: a1, aiorg: engineering, anchor: eng-lead@acme.example }
policies:
  - { agents: [a1], upstream: github, rules: [{ id: r, effect: allow, match: { methods: [GET], path: "/**" } }] }
`);
  const r = await run(['start', '--config', config], { SF_TOKEN: 'x' }, 15_000);
  assert.notEqual(r.code, null, `claiim start still running after 15 s; stderr: ${r.stderr}`);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /ERR_TLS_MATERIAL|cert/i);
});
