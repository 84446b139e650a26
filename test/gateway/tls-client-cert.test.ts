import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { Agent, request as undiciRequest } from 'undici';
import { agentFromClientCert } from '../../gateway/tls/client-cert.js';
import { createServerTls } from '../../gateway/tls/server-tls.js';
import { upstreamConnectOptions } from '../../gateway/tls/upstream-ca.js';
import { tempDir } from '../helpers/tmp.js';

const SCRIPT = fileURLToPath(new URL('../../../certs/make-dev-certs.sh', import.meta.url));

function makeCerts(dir: string, args: string[], env: Record<string, string> = {}): void {
  execFileSync(SCRIPT, [...args, dir], { stdio: 'pipe', env: { ...process.env, ...env } });
}

// Certificates are made once per file (the script is the slow part): `ours` is the trusted CA with
// clients code-review-bot (claiim.local) and deploy-bot (other.example); `theirs` is an unrelated CA.
const root = mkdtempSync(join(tmpdir(), 'claiim-tls-'));
const ours = join(root, 'ours');
const theirs = join(root, 'theirs');
before(() => {
  makeCerts(ours, ['--client', 'code-review-bot']);
  makeCerts(ours, ['--client', 'deploy-bot'], { CLAIIM_TRUST_DOMAIN: 'other.example' });
  makeCerts(theirs, ['--client', 'code-review-bot']);
  // A CA-signed cert naming two agents (SPIFFE allows exactly one URI SAN): made with openssl directly.
  const ext = join(root, 'two.ext');
  writeFileSync(ext, 'extendedKeyUsage=clientAuth\nsubjectAltName=URI:spiffe://claiim.local/agent/a, URI:spiffe://claiim.local/agent/b\n');
  const key = join(ours, 'client-two.key');
  execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key], { stdio: 'pipe' });
  execFileSync('openssl', ['req', '-new', '-key', key, '-subj', '/CN=two', '-out', join(root, 'two.csr')], { stdio: 'pipe' });
  execFileSync('openssl', ['x509', '-req', '-in', join(root, 'two.csr'), '-CA', join(ours, 'ca.crt'), '-CAkey', join(ours, 'ca.key'),
    '-CAcreateserial', '-CAserial', join(root, 'ca.srl'), '-days', '1', '-extfile', ext, '-out', join(ours, 'client-two.crt')], { stdio: 'pipe' });
});
after(() => rmSync(root, { recursive: true, force: true }));

/**
 * An mTLS server (client CA = `dir`/ca.crt) that answers with the agent id read from the client
 * certificate, both without and with the trust domain pinned to claiim.local.
 */
async function mtlsServer(t: TestContext, dir: string): Promise<number> {
  const tls = createServerTls({
    certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key'), clientCaFile: join(dir, 'ca.crt'), requestClientCert: true,
  });
  const server = createServer(tls.options(), (req, res) => {
    const socket = req.socket as TLSSocket;
    res.end(JSON.stringify({
      agent: agentFromClientCert(socket) ?? null,
      pinned: agentFromClientCert(socket, { trustDomain: 'claiim.local' }) ?? null,
    }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => { tls.close(); server.closeAllConnections(); server.close(); });
  return (server.address() as AddressInfo).port;
}

/** GET / over HTTPS presenting `client` (a cert/key base path) if given; returns the parsed JSON body. */
function call(port: number, ca: Buffer, client?: string): Promise<{ agent: string | null; pinned: string | null }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port, path: '/', ca, servername: 'localhost', agent: false,
      ...(client === undefined ? {} : { cert: readFileSync(`${client}.crt`), key: readFileSync(`${client}.key`) }),
    }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => { text += c; }).on('end', () => resolve(JSON.parse(text) as { agent: string | null; pinned: string | null }));
    });
    req.on('error', reject).end();
  });
}

test('agentFromClientCert – verified client cert with spiffe agent SAN → agent id', async (t) => {
  const port = await mtlsServer(t, ours);
  assert.deepEqual(await call(port, readFileSync(join(ours, 'ca.crt')), join(ours, 'client-code-review-bot')), { agent: 'code-review-bot', pinned: 'code-review-bot' });
});

test('agentFromClientCert – no client cert → undefined', async (t) => {
  const port = await mtlsServer(t, ours);
  assert.deepEqual(await call(port, readFileSync(join(ours, 'ca.crt'))), { agent: null, pinned: null });
});

test('agentFromClientCert – client cert from another CA (unauthorized) → undefined', async (t) => {
  const port = await mtlsServer(t, ours);
  assert.deepEqual(await call(port, readFileSync(join(ours, 'ca.crt')), join(theirs, 'client-code-review-bot')), { agent: null, pinned: null });
});

test('agentFromClientCert – verified cert from another trust domain, domain pinned → undefined', async (t) => {
  const port = await mtlsServer(t, ours);
  assert.deepEqual(await call(port, readFileSync(join(ours, 'ca.crt')), join(ours, 'client-deploy-bot')), { agent: 'deploy-bot', pinned: null });
});

test('agentFromClientCert – verified cert with two agent URI SANs → undefined', async (t) => {
  const port = await mtlsServer(t, ours);
  assert.deepEqual(await call(port, readFileSync(join(ours, 'ca.crt')), join(ours, 'client-two')), { agent: null, pinned: null });
});

test('upstreamConnectOptions – upstream CA given → undici verifies the upstream; other CA or none → TLS error', async (t) => {
  const server = createServer({ cert: readFileSync(join(ours, 'server.crt')), key: readFileSync(join(ours, 'server.key')) }, (_req, res) => res.end('up'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => { server.closeAllConnections(); server.close(); });
  const url = `https://localhost:${(server.address() as AddressInfo).port}/`;
  const get = async (connect: ReturnType<typeof upstreamConnectOptions>): Promise<string> => {
    const dispatcher = new Agent({ connect });
    try {
      const res = await undiciRequest(url, { dispatcher });
      return `${res.statusCode} ${await res.body.text()}`;
    } finally {
      await dispatcher.close();
    }
  };

  assert.equal(await get(upstreamConnectOptions(join(ours, 'ca.crt'))), '200 up');
  await assert.rejects(get(upstreamConnectOptions(join(theirs, 'ca.crt'))), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  await assert.rejects(get(upstreamConnectOptions()), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
});

test('upstreamConnectOptions – CA file missing or without a certificate → ERR_TLS_UPSTREAM_CA', (t) => {
  const { dir, write } = tempDir(t);
  assert.throws(() => upstreamConnectOptions(join(dir, 'missing.crt')), { code: 'ERR_TLS_UPSTREAM_CA' });
  assert.throws(() => upstreamConnectOptions(write('empty.crt', '')), { code: 'ERR_TLS_UPSTREAM_CA' });
  const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
  assert.throws(() => upstreamConnectOptions(write('broken.crt', broken)), { code: 'ERR_TLS_UPSTREAM_CA' });
});

test('upstreamConnectOptions – no CA file → verification on, Node roots', () => {
  assert.deepEqual({ ...upstreamConnectOptions() }, { rejectUnauthorized: true });
});
