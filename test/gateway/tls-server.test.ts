import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, get, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { createServerTls, type ServerTls } from '../../gateway/tls/server-tls.js';
import { tempDir } from '../helpers/tmp.js';

const SCRIPT = fileURLToPath(new URL('../../../certs/make-dev-certs.sh', import.meta.url));

function makeCerts(dir: string, ...args: string[]): void {
  execFileSync(SCRIPT, [...args, dir], { stdio: 'pipe' });
}

/** An HTTPS server on 127.0.0.1:0 using `tls`, closed after the test. */
async function serve(t: TestContext, tls: ServerTls): Promise<{ server: Server; port: number }> {
  const server = createServer(tls.options(), (_req, res) => res.end('hello'));
  tls.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => { tls.close(); server.closeAllConnections(); server.close(); });
  return { server, port: (server.address() as AddressInfo).port };
}

/** SHA-256 fingerprint of the certificate a fresh TLS connection to `port` is served (CA-verified). */
function servedFingerprint(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      const fp = s.getPeerX509Certificate()?.fingerprint256 ?? 'none';
      s.end();
      resolve(fp);
    });
    s.on('error', reject);
  });
}

function fingerprintOf(file: string): string {
  return new X509Certificate(readFileSync(file)).fingerprint256;
}

/** Resolves with the next onReload report, or rejects after `ms`. */
function nextReload(box: { waiter?: (r: { ok: boolean; error?: string }) => void }, ms = 5000): Promise<{ ok: boolean; error?: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no reload reported')), ms);
    box.waiter = (r) => { clearTimeout(timer); resolve(r); };
  });
}

test('make-dev-certs – run twice → files kept, private keys mode 0600', (t) => {
  const { dir } = tempDir(t);
  makeCerts(dir, '--client', 'deploy-bot');
  const before = readFileSync(join(dir, 'server.crt'));
  makeCerts(dir, '--client', 'deploy-bot');
  assert.deepEqual(readFileSync(join(dir, 'server.crt')), before);
  for (const key of ['ca.key', 'server.key', 'client-deploy-bot.key']) {
    assert.equal(statSync(join(dir, key)).mode & 0o777, 0o600, key);
  }
});

test('server TLS – dev certs → HTTPS client verifying with the dev CA gets 200', async (t) => {
  const { dir } = tempDir(t);
  makeCerts(dir);
  const tls = createServerTls({ certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key'), requestClientCert: false });
  const { port } = await serve(t, tls);
  const body = await new Promise<string>((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/', ca: readFileSync(join(dir, 'ca.crt')), servername: 'localhost', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => { text += c; }).on('end', () => resolve(`${res.statusCode} ${text}`));
    }).on('error', reject);
  });
  assert.equal(body, '200 hello');
});

test('server TLS – cert files replaced → new connections get the new cert without restart', async (t) => {
  const { dir } = tempDir(t);
  makeCerts(dir);
  const box: { waiter?: (r: { ok: boolean; error?: string }) => void } = {};
  const tls = createServerTls({
    certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key'), requestClientCert: false, watchIntervalMs: 100,
    onReload: (ok, error) => box.waiter?.({ ok, ...(error === undefined ? {} : { error }) }),
  });
  const { port } = await serve(t, tls);
  const ca = readFileSync(join(dir, 'ca.crt'));
  const first = await servedFingerprint(port, ca);
  assert.equal(first, fingerprintOf(join(dir, 'server.crt')));

  // Rotation as an operator does it: remove the leaf, let the script reissue it from the same CA.
  const reported = nextReload(box);
  rmSync(join(dir, 'server.crt'));
  makeCerts(dir);
  assert.deepEqual(await reported, { ok: true });
  const second = await servedFingerprint(port, ca);
  assert.notEqual(second, first);
  assert.equal(second, fingerprintOf(join(dir, 'server.crt')));
});

test('server TLS – cert file replaced by garbage → onReload(false) without key material, old cert kept', async (t) => {
  const { dir } = tempDir(t);
  makeCerts(dir);
  const box: { waiter?: (r: { ok: boolean; error?: string }) => void } = {};
  const tls = createServerTls({
    certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key'), requestClientCert: false, watchIntervalMs: 100,
    onReload: (ok, error) => box.waiter?.({ ok, ...(error === undefined ? {} : { error }) }),
  });
  const { port } = await serve(t, tls);
  const ca = readFileSync(join(dir, 'ca.crt'));
  const original = fingerprintOf(join(dir, 'server.crt'));
  const keyPem = readFileSync(join(dir, 'server.key'), 'utf8');
  const keyBody = keyPem.split('\n')[1] ?? '';

  const reported = nextReload(box);
  writeFileSync(join(dir, 'server.crt'), 'not a certificate\n');
  const r = await reported;
  assert.equal(r.ok, false);
  assert.ok(r.error !== undefined && r.error.length > 0);
  assert.ok(!r.error.includes(keyBody) && !r.error.includes('PRIVATE KEY'), 'no key material in the error');
  assert.equal(await servedFingerprint(port, ca), original);
});

test('server TLS – key does not match cert at startup → ERR_TLS_MATERIAL', (t) => {
  const a = tempDir(t);
  const b = tempDir(t);
  makeCerts(a.dir);
  makeCerts(b.dir);
  assert.throws(
    () => createServerTls({ certFile: join(a.dir, 'server.crt'), keyFile: join(b.dir, 'server.key'), requestClientCert: false }),
    { code: 'ERR_TLS_MATERIAL' },
  );
  assert.throws(
    () => createServerTls({ certFile: join(a.dir, 'missing.crt'), keyFile: join(a.dir, 'server.key'), requestClientCert: false }),
    { code: 'ERR_TLS_MATERIAL' },
  );
});

test('server TLS – client CA file without a PEM certificate → ERR_TLS_MATERIAL', (t) => {
  const { dir, write } = tempDir(t);
  makeCerts(dir);
  const badCa = write('bad-ca.crt', 'garbage\n');
  assert.throws(
    () => createServerTls({ certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key'), clientCaFile: badCa, requestClientCert: true }),
    { code: 'ERR_TLS_MATERIAL' },
  );
});

test('server TLS – requestClientCert without clientCaFile or tiny interval → ERR_TLS_CONFIG', () => {
  assert.throws(() => createServerTls({ certFile: 'a', keyFile: 'b', requestClientCert: true }), { code: 'ERR_TLS_CONFIG' });
  assert.throws(() => createServerTls({ certFile: 'a', keyFile: 'b', requestClientCert: false, watchIntervalMs: 1 }), { code: 'ERR_TLS_CONFIG' });
});
