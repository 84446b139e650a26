import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rulesCommand } from '../../gateway/rules-cli/index.js';
import { captureIo, CONFIG, GITHUB_RULES, rulesFixture } from './rules-cli-fixture.js';

test('rules – no command → 2 with the help; --help → 0; unknown command → 2', async () => {
  const none = captureIo();
  assert.equal(await rulesCommand([], none, {}), 2);
  assert.match(none.err(), /Usage: claiim rules <command>/);
  const help = captureIo();
  assert.equal(await rulesCommand(['--help'], help, {}), 0);
  assert.match(help.out(), /check .* test .* explain .* replay/s);
  assert.equal(await rulesCommand(['frobnicate'], captureIo(), {}), 2);
});

test('rules check|test|explain|replay --help → 0 and the command\'s usage; an unknown flag → 2', async () => {
  for (const cmd of ['check', 'test', 'explain', 'replay']) {
    const io = captureIo();
    assert.equal(await rulesCommand([cmd, '--help'], io, {}), 0, cmd);
    assert.ok(io.out().startsWith(`Usage: claiim rules ${cmd}`), cmd);
    const bad = captureIo();
    assert.equal(await rulesCommand([cmd, '--no-such-flag'], bad, {}), 2, cmd);
    assert.match(bad.err(), /no-such-flag/);
  }
});

test('rules check – valid config, credentials unset → 0, placeholders named, digest printed', async (t) => {
  const f = rulesFixture(t);
  const io = captureIo();
  assert.equal(await rulesCommand(['check', '--config', f.config], io, {}), 0);
  assert.match(io.out(), /credentials were not checked \(env RULES_CLI_TEST_GH_TOKEN, RULES_CLI_TEST_STRIPE_KEY not set\)/);
  assert.match(io.out(), /valid, 2 file\(s\), policy digest [0-9a-f]{64}\n$/);
});

test('rules check – --require-secrets with an unset credential → 2, ERR_CONFIG_SECRET_SOURCE with its position', async (t) => {
  const f = rulesFixture(t);
  const io = captureIo();
  assert.equal(await rulesCommand(['check', '--config', f.config, '--require-secrets'], io, { RULES_CLI_TEST_GH_TOKEN: 'x' }), 2);
  const lines = io.out().split('\n').filter((l) => l.includes('ERR_'));
  assert.deepEqual(lines.map((l) => l.replace(f.dir, '')), ['/claiim.yaml:21:17: ERR_CONFIG_SECRET_SOURCE environment variable RULES_CLI_TEST_STRIPE_KEY is not set or empty']);
});

test('rules check – unreadable credential file → not reported by default, reported with --require-secrets', async (t) => {
  const f = rulesFixture(t);
  f.write('claiim.yaml', CONFIG.replace('env: RULES_CLI_TEST_STRIPE_KEY', 'file: secrets/stripe.key'));
  const io = captureIo();
  assert.equal(await rulesCommand(['check', '--config', f.config], io, {}), 0);
  assert.match(io.out(), /1 credential file\(s\) not readable/);
  const strict = captureIo();
  assert.equal(await rulesCommand(['check', '--config', f.config, '--require-secrets'], strict, { RULES_CLI_TEST_GH_TOKEN: 'x' }), 2);
  assert.match(strict.out(), /ERR_CONFIG_SECRET_SOURCE/);
});

test('rules check – bad rules in an included file and in the config → 2, every problem as file:line:col: CODE', async (t) => {
  const f = rulesFixture(t, {
    'rules/github.yaml': GITHUB_RULES.replace('path: "/repos/acme/app/**"', 'path: "/repos/**/app"'),
    'claiim.yaml': CONFIG.replace('lte: 10000', 'lte: ten'),
  });
  const io = captureIo();
  assert.equal(await rulesCommand(['check', '--config', f.config], io, {}), 2);
  const lines = io.out().split('\n').filter((l) => l.includes(': ERR_')).map((l) => l.replace(f.dir, ''));
  assert.equal(lines.length, 2, io.out());
  assert.match(lines.find((l) => l.startsWith('/rules/')) ?? '', /^\/rules\/github\.yaml:4:\d+: ERR_RULE_PATH_INVALID /);
  assert.match(lines.find((l) => l.startsWith('/claiim.yaml')) ?? '', /^\/claiim\.yaml:43:\d+: ERR_RULE_TEST_INVALID /);
  assert.match(io.out(), /2 problem\(s\)\n$/);
});

test('rules check --json – invalid config → 2 and a document with every problem\'s code and position', async (t) => {
  const f = rulesFixture(t, { 'rules/github.yaml': GITHUB_RULES.replace('effect: deny', 'effect: block') });
  const io = captureIo();
  assert.equal(await rulesCommand(['check', '--config', f.config, '--json'], io, {}), 2);
  const doc = JSON.parse(io.out()) as { valid: boolean; policy_digest: string | null; problems: { file: string; line: number; code: string }[] };
  assert.equal(doc.valid, false);
  assert.equal(doc.policy_digest, null);
  assert.equal(doc.problems.length, 1);
  assert.equal(doc.problems[0]?.file, `${f.dir}/rules/github.yaml`);
  assert.equal(doc.problems[0]?.line, 9);
});

test('rules check – missing config file → 2, ERR_CONFIG_READ', async (t) => {
  const f = rulesFixture(t);
  const io = captureIo();
  assert.equal(await rulesCommand(['check', '--config', `${f.dir}/nope.yaml`], io, {}), 2);
  assert.match(io.out(), /nope\.yaml:0:0: ERR_CONFIG_READ /);
});
