import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { loadConfig } from '../../gateway/config/load.js';
import { startGateway } from '../../gateway/gateway.js';
import { createLogger, LOG_FLUSH_MS, type FlushingLogger } from '../../gateway/log.js';
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
  const open = (name: string, flushMs?: number): { log: FlushingLogger; lines: () => string[] } => {
    const file = join(dir, name);
    const fd = openSync(file, 'a');
    const log = createLogger('info', fd, flushMs);
    // Write out what is left before closing the fd (pino would otherwise retry on a closed fd at exit).
    t.after(async () => { await log.flush(); closeSync(fd); });
    return { log, lines: () => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { msg: string }).msg) };
  };
  // No deadline below is a speed assertion: each only bounds how long a correct logger may take on a loaded machine.
  const waitFor = async (lines: () => string[], n: number, ms: number): Promise<void> => {
    const deadline = Date.now() + ms;
    while (lines().length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  };

  // The default logger: a line far below LOG_CHUNK_BYTES and no flush call — only the LOG_FLUSH_MS timer can write it.
  const timed = open('timed.log');
  timed.log.info({ msg: 'first' });
  await waitFor(timed.lines, 1, 40 * LOG_FLUSH_MS);
  assert.deepEqual(timed.lines(), ['first']);

  // A logger whose timer is an hour away: only the error line's own flush can write, and it writes the info line before it too.
  const errors = open('errors.log', 3_600_000);
  errors.log.info({ msg: 'second' });
  await new Promise((r) => setTimeout(r, 2 * LOG_FLUSH_MS));
  assert.deepEqual(errors.lines(), [], 'an info line alone stays buffered');
  errors.log.error({ msg: 'broke' });
  await waitFor(errors.lines, 2, 10_000);
  assert.deepEqual(errors.lines(), ['second', 'broke']);
});
