import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalTarget, queryPairs } from '../../gateway/canonical/target.js';

const ok = (raw: string, host?: string): { path: string; query: string } => {
  const r = canonicalTarget(raw, host);
  assert.ok(r.ok, `${raw} should canonicalize, got ${JSON.stringify(r)}`);
  return { path: r.path, query: r.query };
};
const bad = (raw: string, reason: string, host?: string): void => {
  assert.deepEqual(canonicalTarget(raw, host), { ok: false, reason }, raw);
};

test('canonicalTarget – dot segments resolve before matching (P01)', () => {
  assert.equal(ok('/github/repos/acme/app/pulls/7/x/../merge').path, '/github/repos/acme/app/pulls/7/merge');
  assert.equal(ok('/a/./b/.').path, '/a/b');
});

test('canonicalTarget – percent-encoded dots decode once, then resolve (P02)', () => {
  assert.equal(ok('/r/pulls/7/%2e%2e/7/merge').path, '/r/pulls/7/merge');
  assert.equal(ok('/r/pulls/7/.%2e/7/merge').path, '/r/pulls/7/merge');
  assert.equal(ok('/r/pulls/7/%2E%2E/7/merge').path, '/r/pulls/7/merge');
  assert.equal(ok('/r/%6Derge').path, '/r/merge');
});

test('canonicalTarget – encoded separators are rejected, any hex case (P04, P05)', () => {
  for (const raw of ['/r/pulls/7%2Fmerge', '/r/pulls/7%2fmerge', '/r/7%5Cmerge', '/r/7%5cmerge', '/r/%25', '/r/a%3Bb']) bad(raw, 'path_encoded_separator');
});

test('canonicalTarget – repeated slashes merge and never become an authority (P06)', () => {
  assert.equal(ok('//repos/acme/app/pulls/7/merge').path, '/repos/acme/app/pulls/7/merge');
  assert.equal(ok('/repos//acme///app').path, '/repos/acme/app');
});

test('canonicalTarget – trailing slash is removed so it cannot dodge a rule (P07)', () => {
  assert.equal(ok('/r/pulls/7/merge/').path, '/r/pulls/7/merge');
  assert.equal(ok('/').path, '/');
});

test('canonicalTarget – raw ; \\ # whitespace are rejected (P09, P10, P15)', () => {
  for (const raw of ['/r/merge;x=1', '/r/7;/merge', '/r/..;/pulls', '/r/7\\merge', '/r/merge#x', '/r/a b']) bad(raw, 'path_forbidden_character');
});

test('canonicalTarget – NUL, control and whitespace escapes are rejected (P11, P14)', () => {
  for (const raw of ['/r/merge%00.json', '/r/merge%20', '/r/%0Dmerge', '/r/%7F', '/r/%C2%85']) {
    const r = canonicalTarget(raw, undefined);
    assert.equal(r.ok, false, raw);
  }
});

test('canonicalTarget – invalid or overlong UTF-8 escapes are rejected', () => {
  bad('/r/%C0%AE', 'path_invalid_utf8');
  bad('/r/%FF', 'path_invalid_utf8');
  bad('/r/%E2%82', 'path_invalid_utf8');
  assert.equal(ok('/r/caf%c3%a9').path, '/r/caf%C3%A9');
});

test('canonicalTarget – malformed escapes are rejected', () => {
  bad('/r/%zz', 'path_invalid_escape');
  bad('/r/%4', 'path_invalid_escape');
});

test('canonicalTarget – dot-segments above the root are rejected', () => {
  bad('/../etc/passwd', 'path_above_root');
  bad('/a/../../b', 'path_above_root');
});

test('canonicalTarget – the query is kept byte for byte and never changes the path (P16)', () => {
  const r = ok('/r/merge?p=/../../issues/1/comments');
  assert.equal(r.path, '/r/merge');
  assert.equal(r.query, 'p=/../../issues/1/comments');
  assert.equal(ok('/r/merge%3Fa=b').path, '/r/merge%3Fa=b');
  assert.deepEqual(queryPairs('a=1&b=x%20y&a=2'), [['a', '1'], ['b', 'x y'], ['a', '2']]);
  bad('/r?x=%00', 'query_invalid');
  bad('/r?x=a b', 'query_invalid');
});

test('canonicalTarget – absolute-form is accepted only for the gateway\'s own authority (P17, R03)', () => {
  assert.equal(ok('http://gw.local:8443/github/x', 'gw.local:8443').path, '/github/x');
  bad('https://api.github.com/repos/acme/app/pulls/7/merge', 'absolute_target_foreign', 'gw.local:8443');
  bad('http://169.254.169.254/latest/meta-data/', 'absolute_target_foreign', 'api.github.com');
  bad('*', 'invalid_target');
  bad('10.0.0.5:22', 'invalid_target');
});
