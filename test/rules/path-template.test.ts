import test from 'node:test';
import assert from 'node:assert/strict';
import { isTemplateProblem, parseTemplate, splitPath } from '../../rules/path-template.js';
import { PathTrie } from '../../rules/path-trie.js';

function tpl(s: string) {
  const t = parseTemplate(s);
  if (isTemplateProblem(t)) assert.fail(t.message);
  return t;
}

test('parseTemplate – params, star and trailing ** → segments and rest flag', () => {
  const t = tpl('/repos/{owner}/{repo}/pulls/*/merge');
  assert.deepEqual(t.segments.map((s) => s.kind), ['literal', 'param', 'param', 'literal', 'star', 'literal']);
  assert.equal(t.rest, false);
  assert.equal(tpl('/repos/acme/**').rest, true);
  assert.equal(tpl('/**').segments.length, 0);
});

test('parseTemplate – malformed templates → problem', () => {
  for (const bad of ['repos', '/a//b', '/a/', '/a/**/b', '/a/{x}/{x}', '/a/../b', '/a/./b', '/a/b;c', '/a/{x', '/a/x*y', '/a/%2f', '/a/b c', '/a/?']) {
    assert.ok(isTemplateProblem(parseTemplate(bad)), bad);
  }
});

test('splitPath – one trailing slash ignored, root is empty', () => {
  assert.deepEqual(splitPath('/'), []);
  assert.deepEqual(splitPath('/a/b/'), ['a', 'b']);
  assert.deepEqual(splitPath('/a/b'), ['a', 'b']);
  assert.deepEqual(splitPath('/a//b'), ['a', '', 'b']);
});

test('PathTrie – literal, param, star and rest → every matching template with params', () => {
  const trie = new PathTrie<string>(false);
  trie.insert(tpl('/repos/{owner}/{repo}/pulls/{number}/merge'), 'merge');
  trie.insert(tpl('/repos/acme/app/**'), 'app');
  trie.insert(tpl('/repos/*/*/pulls/*'), 'pull');
  trie.insert(tpl('/'), 'root');
  const got = trie.match(splitPath('/repos/acme/app/pulls/7/merge'));
  assert.deepEqual(got.map((m) => m.value).sort(), ['app', 'merge']);
  const merge = got.find((m) => m.value === 'merge');
  assert.deepEqual({ ...merge?.params }, { owner: 'acme', repo: 'app', number: '7' });
  assert.deepEqual(trie.match(splitPath('/repos/acme/app/pulls/7')).map((m) => m.value).sort(), ['app', 'pull']);
  assert.deepEqual(trie.match(splitPath('/')).map((m) => m.value), ['root']);
  assert.deepEqual(trie.match(splitPath('/repos/other/app/pulls/7/merge/x')).map((m) => m.value), []);
});

test('PathTrie – trailing ** matches zero segments → parent path matches', () => {
  const trie = new PathTrie<string>(false);
  trie.insert(tpl('/repos/acme/app/**'), 'app');
  assert.equal(trie.match(splitPath('/repos/acme/app')).length, 1);
  assert.equal(trie.match(splitPath('/repos/acme')).length, 0);
});

test('PathTrie – wildcard segment and empty segment → no match', () => {
  const trie = new PathTrie<string>(false);
  trie.insert(tpl('/a/*/c'), 'x');
  assert.equal(trie.match(['a', '', 'c']).length, 0);
  assert.equal(trie.match(['a', 'b', 'c']).length, 1);
});

test('PathTrie – case-insensitive trie → literals fold, params keep case', () => {
  const ci = new PathTrie<string>(true);
  ci.insert(tpl('/repos/Acme/app/pulls/{n}'), 'x');
  const m = ci.match(splitPath('/REPOS/acme/APP/pulls/N7'));
  assert.equal(m.length, 1);
  assert.equal(m[0]?.params.n, 'N7');
  const cs = new PathTrie<string>(false);
  cs.insert(tpl('/repos/acme/app'), 'x');
  assert.equal(cs.match(splitPath('/repos/ACME/app')).length, 0);
});
