import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { request } from 'undici';
import { loadConfig } from '../../gateway/config/load.js';
import { startGateway } from '../../gateway/gateway.js';
import { createLogger } from '../../gateway/log.js';
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
  const gw = await startGateway(loaded.config, loaded.policySet, loaded.secrets, createLogger('info', fd), { env: { IT_GITHUB_TOKEN: secret } });
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
  await new Promise((r) => setTimeout(r, 200)); // pino writes asynchronously
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
