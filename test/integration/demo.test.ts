import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PassThrough } from 'node:stream';
import { runDemo } from '../../gateway/demo/demo.js';
import { tempDir } from '../helpers/tmp.js';

const sh = promisify(execFile);

test('demo – every printed curl line behaves as printed (status, and the rule it names)', async (t) => {
  const tmp = tempDir(t);
  const stdout = new PassThrough();
  let printed = '';
  stdout.on('data', (c: Buffer) => { printed += c.toString('utf8'); });
  const demo = await runDemo({ dataDir: tmp.dir, port: 0, adminPort: 0, io: { stdout, stderr: process.stderr }, quiet: true });
  assert.notEqual(typeof demo, 'number', 'demo started');
  if (typeof demo === 'number') return;
  t.after(() => demo.close());
  const blocks = [...printed.matchAll(/^# (\S+): (ALLOW|DENY) \((\d+)(?:, (?:rule )?([\w-]+))?\)[^\n]*\n(curl [^\n]+)$/gm)];
  assert.equal(blocks.length, 10, 'one ALLOW and one DENY per agent');
  assert.equal(new Set(blocks.map((b) => b[1])).size, 5);
  for (const [, agent, effect, status, rule, curl] of blocks) {
    const { stdout: out } = await sh('/bin/sh', ['-c', curl!]);
    const statusLine = out.split('\r\n')[0] ?? '';
    assert.match(statusLine, new RegExp(`^HTTP/1\\.1 ${status} `), `${agent} ${effect}: ${statusLine}`);
    if (effect === 'DENY') {
      const body = JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4)) as { rule_id: string; reason: string };
      assert.ok(body.rule_id === rule || body.reason === rule, `${agent}: expected ${rule}, got ${body.rule_id}/${body.reason}`);
    }
  }
});

test('demo – the printed two-person approval walk-through opens a session that allows the apply exactly once', async (t) => {
  const tmp = tempDir(t);
  const stdout = new PassThrough();
  let printed = '';
  stdout.on('data', (c: Buffer) => { printed += c.toString('utf8'); });
  const demo = await runDemo({ dataDir: tmp.dir, port: 0, adminPort: 0, tls: false, io: { stdout, stderr: process.stderr }, quiet: true });
  assert.notEqual(typeof demo, 'number', 'demo started');
  if (typeof demo === 'number') return;
  t.after(() => demo.close());
  const start = printed.indexOf('## Two-person approval');
  assert.ok(start >= 0, 'the demo prints the approval walk-through');
  const lines = printed.slice(start, printed.indexOf('\n\n', start)).split('\n').filter((l) => !l.startsWith('#'));
  assert.equal(lines.length, 4, 'ask, two approvals, the apply');
  const apply = lines[3] as string;
  // Pasted in one shell, in order; then the apply once more: max_uses 1 is spent.
  const { stdout: out } = await sh('/bin/sh', ['-c', [...lines, 'echo', apply].join('\n')]);
  assert.match(out, /^session [0-9a-f-]{36}$/m);
  assert.match(out, /"state":"active"/, 'two admins activated it');
  const statuses = [...out.matchAll(/^HTTP\/1\.1 (\d{3}) /gm)].map((m) => Number(m[1]));
  assert.deepEqual(statuses, [202, 403], `apply inside the session, then once too often: ${statuses.join(', ')}`);
  assert.match(out, /"reason":"approval_session_exhausted"/);
});
