import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chronCommand, generateSigningKey, openChron, openChronReadonly } from '../../chron/index.js';
import { startFakeUpstream } from '../../gateway/demo/fake-upstreams/index.js';
import { generateDevIssuerKey, mintDevToken } from '../../gateway/identity/index.js';
import { captureIo } from '../chron/helpers.js';
import { AUDIENCE, GITHUB_RULES, ISSUER } from '../helpers/harness.js';
import { tempDir } from '../helpers/tmp.js';

const BIN = fileURLToPath(new URL('../../gateway/bin.js', import.meta.url));
const ORIGIN = 'claiim.test/crash';

/** Starts `claiim start --config FILE` as a child process; resolves with its listener URLs once it logged "started". */
function startGatewayProcess(config: string, env: Record<string, string>): Promise<{ child: ChildProcess; agentUrl: string; started: { chron_store_format: string; chron_tree_size: number } }> {
  const child = spawn(process.execPath, [BIN, 'start', '--config', config], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    child.stderr?.on('data', (c: Buffer) => { err += c.toString(); });
    child.stdout?.on('data', (c: Buffer) => {
      buf += c.toString();
      for (const line of buf.split('\n')) {
        if (!line.includes('"started"')) continue;
        const m = JSON.parse(line) as { agent_listener: string; chron_store_format: string; chron_tree_size: number };
        resolve({ child, agentUrl: m.agent_listener, started: m });
      }
    });
    child.once('exit', (code) => reject(new Error(`gateway exited early (${code}): ${err}`)));
  });
}

test('crash – kill -9 under load → every answered request has its entry, no index missing, the tree verifies, restart continues the log', { timeout: 60_000 }, async (t) => {
  const tmp = tempDir(t);
  const keys = await generateDevIssuerKey(tmp.dir);
  const signingKey = join(tmp.dir, 'chron.jwk');
  await generateSigningKey(signingKey, ORIGIN);
  const upstream = await startFakeUpstream('github');
  t.after(() => upstream.close());
  const env = { IT_GITHUB_TOKEN: upstream.expectedCredential.replace(/^\S+ /, '') };
  const config = tmp.write('claiim.yaml', `
listeners: { agent: { port: 0 }, admin: { port: 0 } }
chron: { db_path: chron.db, origin: ${ORIGIN}, signing_key_file: chron.jwk, checkpoint_interval_s: 0 }
identity:
  issuers: [{ issuer: "${ISSUER}", audience: ${AUDIENCE}, algorithms: [EdDSA], key_files: ["${keys.publicJwkFile}"] }]
aiorgs: [{ id: engineering }]
upstreams:
  - { name: github, mount: /github, target: "${upstream.url}", aiorgs: [engineering], credential: { header: authorization, format: "Bearer {secret}", env: IT_GITHUB_TOKEN } }
agents:
  - { id: a1, aiorg: engineering, anchor: eng-lead@acme.example, skills: [{ name: code-review, range: "^1.4.0" }] }
policies:
  - agents: [a1]
    upstream: github
    rules:${GITHUB_RULES}`);
  const token = await mintDevToken({ keyFile: keys.privateJwkFile, sub: 'a1', issuer: ISSUER, audience: AUDIENCE, ttlS: 600, skill: 'code-review@1.4.2' });
  const auth = { authorization: `Bearer ${token}` };

  const first = await startGatewayProcess(config, env);
  t.after(() => { first.child.kill('SIGKILL'); });
  // A new log is created in the current store format; the started line says so.
  assert.equal(first.started.chron_store_format, '2');
  const answeredDeny = new Set<string>();
  let answeredAllow = 0;
  let stop = false;
  const load = async (worker: number): Promise<void> => {
    for (let i = 0; !stop; i++) {
      const deny = (i + worker) % 2 === 0;
      try {
        const r = await fetch(`${first.agentUrl}/github/repos/acme/app/pulls/${i}${deny ? '/merge' : ''}`, { method: deny ? 'PUT' : 'GET', headers: auth });
        const body = await r.text();
        if (r.status === 403) answeredDeny.add((JSON.parse(body) as { decision_id: string }).decision_id);
        // The fake GitHub answers like the real one (404 for pulls it does not know): forwarded either way.
        else if (r.status === 200 || r.status === 404) answeredAllow += 1;
        else assert.fail(`unexpected status ${r.status}`);
      } catch (err) {
        if (!stop) throw err;
      }
    }
  };
  const loops = Array.from({ length: 12 }, (_, w) => load(w));
  // Kill once enough requests were answered (the machine may be slow), while the load keeps running.
  const deadline = Date.now() + 30_000;
  while (answeredDeny.size + answeredAllow < 80 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const exited = new Promise((r) => first.child.once('exit', r));
  first.child.kill('SIGKILL');
  stop = true;
  await exited;
  await Promise.all(loops);
  assert.ok(answeredDeny.size > 5 && answeredAllow > 5, `load too small: ${answeredDeny.size} denied, ${answeredAllow} allowed`);

  // Every answered request's decision entry survived; allowed ones are matched by the request id the upstream saw.
  const db = join(tmp.dir, 'chron.db');
  const log = await openChron({ path: db, origin: ORIGIN, signingKeyFile: signingKey, checkpointIntervalMs: 0 });
  const size = log.treeSize();
  const records = log.find({ from: 0, to: size, limit: size }).map((e) => JSON.parse(e.data.toString('utf8')) as Record<string, unknown>);
  assert.deepEqual(log.find({ from: 0, to: size, limit: size }).map((e) => e.index), Array.from({ length: size }, (_, i) => i), 'no index missing');
  const decisionIds = new Set(records.filter((r) => r.type === 'chron.decision/v1').map((r) => r.decision_id));
  for (const id of answeredDeny) assert.ok(decisionIds.has(id), `denied decision ${id} lost`);
  const requestIds = new Set(records.filter((r) => r.type === 'chron.decision/v1' && r.effect === 'allow').map((r) => r.request_id));
  const seenUpstream = upstream.received.map((r) => String(r.headers['x-request-id']));
  for (const id of seenUpstream) assert.ok(requestIds.has(id), `forwarded request ${id} has no decision entry`);
  assert.ok(seenUpstream.length >= answeredAllow);
  await log.close();

  // The whole tree verifies offline with the published key.
  const out = join(tmp.dir, 'export');
  assert.equal(await chronCommand(['export', '--db', db, '--out', out], captureIo()), 0);
  const vkey = join(tmp.dir, 'vkey');
  const ro = openChronReadonly(db);
  writeFileSync(vkey, `${ro.vkeys().join('\n')}\n`);
  await ro.close();
  const io = captureIo();
  assert.equal(await chronCommand(['verify', out, '--vkey', vkey], io), 0, io.err());

  // Restarted, the gateway continues the log at the next index.
  const second = await startGatewayProcess(config, env);
  t.after(() => { second.child.kill('SIGKILL'); });
  // Logged after the start-up `chron.policy/v1` entry (index `size`) is durable.
  assert.deepEqual(second.started, { ...second.started, chron_store_format: '2', chron_tree_size: size + 1 });
  const r = await fetch(`${second.agentUrl}/github/repos/acme/app/pulls/1/merge`, { method: 'PUT', headers: auth });
  assert.equal(r.status, 403);
  // The restarted gateway first records its policy load (index `size`), then this decision.
  assert.equal((await r.json() as { chron_index: number }).chron_index, size + 1);
  const closed = new Promise((res) => second.child.once('exit', res));
  second.child.kill('SIGTERM');
  await closed;
});
