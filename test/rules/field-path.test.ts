import test from 'node:test';
import assert from 'node:assert/strict';
import { isFieldPathProblem, parseFieldPath, resolveSlots } from '../../rules/field-path.js';
import { parseJson } from '../../rules/json-parse.js';
import { compileTest, globToRegExp, runTest, type Report } from '../../rules/value-test.js';

const json = (s: string) => { const r = parseJson(s); assert.ok(r.ok); return r.ok ? r.value : undefined; };

test('parseFieldPath – dotted, bracket, index, wildcard and quoted steps', () => {
  assert.deepEqual(parseFieldPath('ticket.comment.public'), [{ k: 'key', name: 'ticket' }, { k: 'key', name: 'comment' }, { k: 'key', name: 'public' }]);
  assert.deepEqual(parseFieldPath('items[0][price]'), [{ k: 'key', name: 'items' }, { k: 'index', i: 0 }, { k: 'key', name: 'price' }]);
  assert.deepEqual(parseFieldPath('a[*].b'), [{ k: 'key', name: 'a' }, { k: 'wild' }, { k: 'key', name: 'b' }]);
  assert.deepEqual(parseFieldPath('a["x.y]"]'), [{ k: 'key', name: 'a' }, { k: 'key', name: 'x.y]' }]);
});

test('parseFieldPath – malformed paths → problem', () => {
  for (const bad of ['', '.a', 'a..b', 'a[', 'a[]', 'a b', 'a["x"', 'a]', 'a.[0]']) assert.ok(isFieldPathProblem(parseFieldPath(bad)), bad);
});

test('resolveSlots – missing prefix → one missing slot; empty array → no slots; null is a value', () => {
  const steps = (s: string) => { const p = parseFieldPath(s); assert.ok(!isFieldPathProblem(p)); return isFieldPathProblem(p) ? [] : p; };
  const doc = json('{"a":{"b":null},"list":[],"s":"x","objs":{"k1":{"v":1},"k2":{"v":2}}}');
  assert.deepEqual(resolveSlots(doc, steps('a.b')), [{ t: 'null' }]);
  assert.deepEqual(resolveSlots(doc, steps('a.c.d')), [undefined]);
  assert.deepEqual(resolveSlots(doc, steps('list[*].x')), []);
  assert.deepEqual(resolveSlots(doc, steps('s.x')), [undefined]);
  assert.deepEqual(resolveSlots(doc, steps('objs[*].v')), [{ t: 'num', v: '1' }, { t: 'num', v: '2' }]);
  assert.deepEqual(resolveSlots(undefined, steps('a')), [undefined]);
});

test('runTest – no quantifier: allow needs every slot, deny one; all over zero slots holds', () => {
  const report: Report = (c, p, m) => assert.fail(`${c} ${p.join('.')} ${m}`);
  const t = compileTest('x', [], report)!;
  const slots = [{ t: 'str', v: 'x' } as const, { t: 'str', v: 'y' } as const];
  assert.equal(runTest(t, slots, 'allow', false), false);
  assert.equal(runTest(t, slots, 'deny', false), true);
  assert.equal(runTest(compileTest({ all: 'x' }, [], report)!, [], 'deny', false), true);
  assert.equal(runTest(compileTest({ any: 'x' }, [], report)!, [], 'allow', false), false);
  assert.equal(runTest(compileTest({ not_in: ['a'] }, [], report)!, [undefined], 'allow', false), false);
  assert.equal(runTest(compileTest({ missing: true }, [], report)!, [undefined], 'allow', false), true);
});

test('globToRegExp – * spans anything, ? one code point, regex metacharacters literal', () => {
  assert.ok(globToRegExp('refs/heads/*').test('refs/heads/a/b'));
  assert.ok(globToRegExp('a?c').test('a😀c'));
  assert.ok(!globToRegExp('a.c').test('abc'));
  assert.ok(globToRegExp('(x)[y]{z}|$^+-').test('(x)[y]{z}|$^+-'));
  assert.ok(!globToRegExp('main').test('main2'));
});
