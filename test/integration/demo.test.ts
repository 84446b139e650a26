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
