import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { loadConfig } from '../../gateway/config/load.js';
import { startGateway } from '../../gateway/gateway.js';
import { createLogger, LOG_FLUSH_MS } from '../../gateway/log.js';
import { startHarness } from '../helpers/harness.js';

test('logs – one JSON line per request with id, agent, upstream, effect, rule, status; never a token, credential or body', async (t) => {
  // Reuse the harness's files (keys, config, fake upstream), but run a second gateway that logs to a file.
  const h = await startHarness(t);
  await h.gw.close();
  const secret = h.upstream.credentialSecret;
  const loaded = loadConfig(`${h.dir}/claiim.yaml`, { IT_GITHUB_TOKEN: secret });
  assert.ok(loaded.ok);
  const logFile = `${h.dir}/gateway.log`;
  const fd = openSync(logFile, 'a');
  const log = createLogger('info', fd);
  const gw = await startGateway(loaded.config, loaded.policySet, loaded.secrets, log, { env: { IT_GITHUB_TOKEN: secret } });
  const token = await h.token('a1');
  const body = '{"body":"secret-body-content-42"}';
  const calls: [string, string, string?][] = [
    ['GET', '/github/repos/acme/app/pulls/7'],
    ['PUT', '/github/repos/acme/app/pulls/7/merge'],
    ['POST', '/github/repos/acme/app/issues/1/comments', body],
    ['GET', `/github/x?access_token=${token}`],
  ];
  for (const [method, path, b] of calls) {
    const res = await request(`${gw.agentUrl}${path}`, { method: method as 'GET', headers: { authorization: `Bearer ${token}`, 'x-api-key': 'client-key-123', 'content-type': 'application/json' }, ...(b ? { body: b } : {}) });
    await res.body.dump();
  }
  await request(`${gw.agentUrl}/github/repos/acme/app`, { headers: { authorization: 'Bearer not.a.jwt' } }).then((r) => r.body.dump());
  await gw.close();
  await log.flush(); // lines are buffered (gateway/log.ts)
  closeSync(fd);
  const text = readFileSync(logFile, 'utf8');
  const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const requests = lines.filter((l) => l.msg === 'request');
  assert.equal(requests.length, calls.length + 1, 'one line per request');
  for (const l of requests) {
    assert.match(String(l.request_id), /^[0-9a-f-]{36}$/);
    assert.ok(['allow', 'deny'].includes(String(l.effect)));
    assert.equal(typeof l.rule, 'string');
    assert.equal(typeof l.status, 'number');
  }
  assert.ok(requests.some((l) => l.agent === 'a1' && l.upstream === 'github' && l.rule === 'gh-read' && typeof l.total_ms === 'number' && typeof l.upstream_ms === 'number'));
  for (const secretText of [token, secret, 'client-key-123', 'secret-body-content-42', 'not.a.jwt']) {
    assert.equal(text.includes(secretText), false, `the log contains ${secretText.slice(0, 12)}…`);
  }
});

test('logs – buffered lines reach the file within LOG_FLUSH_MS without a flush call; an error line is written at once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'claiim-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'out.log');
  const fd = openSync(file, 'a');
  const log = createLogger('info', fd);
  // Write out what is left before closing the fd (pino would otherwise retry on a closed fd at exit).
  t.after(async () => { await log.flush(); closeSync(fd); });
  const lines = (): string[] => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  log.info({ msg: 'first' });
  // Far below LOG_CHUNK_BYTES, so only the timer writes it; give it a few intervals of slack.
  const deadline = Date.now() + 8 * LOG_FLUSH_MS;
  while (lines().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(lines().map((l) => (JSON.parse(l) as { msg: string }).msg), ['first']);
  log.info({ msg: 'second' });
  log.error({ msg: 'broke' });
  // The error flushes the buffer, the info line before it included, without waiting for the timer.
  // The timer just fired (it wrote 'first'); its next tick is ≈ LOG_FLUSH_MS away, so only the error's own flush can write within 0.4 of that.
  const soon = Date.now() + 0.4 * LOG_FLUSH_MS;
  while (lines().length < 3 && Date.now() < soon) await new Promise((r) => setImmediate(r));
  assert.deepEqual(lines().map((l) => (JSON.parse(l) as { msg: string }).msg), ['first', 'second', 'broke']);
});
