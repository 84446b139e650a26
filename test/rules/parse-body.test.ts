import test from 'node:test';
import assert from 'node:assert/strict';
import { parseBody, type BodyKind } from '../../rules/index.js';
import { compareDecimal, parseDecimal } from '../../rules/decimal.js';
import { parseJson } from '../../rules/json-parse.js';

const JSON_CT = 'application/json';
const FORM_CT = 'application/x-www-form-urlencoded';
const enc = (s: string) => new TextEncoder().encode(s);

/** `ct: null` sends no Content-Type at all. */
function reason(kind: BodyKind, bytes: Uint8Array | string, ct: string | null = kind === 'form' ? FORM_CT : JSON_CT): string | undefined {
  const r = parseBody(kind, typeof bytes === 'string' ? enc(bytes) : bytes, ct ?? undefined);
  return r.ok ? undefined : r.reason;
}

test('parseBody json – duplicate key, also via escape (CASES B01) → body_duplicate_key', () => {
  assert.equal(reason('json', '{"event":"COMMENT","event":"APPROVE"}'), 'body_duplicate_key');
  assert.equal(reason('json', '{"event":"COMMENT","\\u0065vent":"COMMENT"}'), 'body_duplicate_key');
  assert.equal(reason('json', '{"a":{"b":1,"b":1}}'), 'body_duplicate_key');
});

test('parseBody json – comments, trailing comma, NaN, single quotes, leading zero (CASES B05) → body_invalid_json', () => {
  for (const t of ['{"event":"APPROVE" /*c*/}', '{"a":1,}', '[1,]', '{"a":NaN}', "{'a':1}", '{"a":01}', '{"a":1} x', '{"a":"\\ud800"}', '{"a":"\u0001"}', '"\\x41"', '-', '{"a":.5}']) {
    assert.equal(reason('json', t), 'body_invalid_json', t);
  }
});

test('parseBody json – BOM, invalid UTF-8, UTF-16 charset (CASES B06) → refused', () => {
  assert.equal(reason('json', new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d])), 'body_bom');
  assert.equal(reason('json', new Uint8Array([0x22, 0xff, 0x22])), 'body_invalid_utf8');
  assert.equal(reason('json', '{}', 'application/json; charset=utf-16le'), 'body_unsupported_charset');
  assert.equal(reason('json', '{}', 'application/json; charset=UTF-8'), undefined);
});

test('parseBody – wrong or missing content type (CASES B07) → body_unsupported_media_type; empty body → ok', () => {
  assert.equal(reason('json', 'event=APPROVE', FORM_CT), 'body_unsupported_media_type');
  assert.equal(reason('json', '{"event":"APPROVE"}', 'text/plain'), 'body_unsupported_media_type');
  assert.equal(reason('json', '{"event":"APPROVE"}', null), 'body_unsupported_media_type');
  assert.equal(reason('form', 'a=1', JSON_CT), 'body_unsupported_media_type');
  assert.equal(reason('json', '{}', 'application/vnd.github+json'), undefined);
  const empty = parseBody('json', new Uint8Array(0), undefined);
  assert.ok(empty.ok && empty.body.value === undefined);
});

test('parseBody json – nesting beyond the cap (CASES B10) → body_too_deep, without a stack overflow', () => {
  assert.equal(reason('json', '['.repeat(100_000) + ']'.repeat(100_000)), 'body_too_deep');
  assert.equal(reason('json', '['.repeat(64) + ']'.repeat(64)), undefined);
  assert.equal(reason('json', '['.repeat(65) + ']'.repeat(65)), 'body_too_deep');
});

test('parseJson – numbers keep exact text; keys with __proto__ are plain keys', () => {
  const r = parseJson('{"n":12345678901234567890123,"__proto__":{"x":1},"f":-0.50e+3}');
  assert.ok(r.ok);
  if (!r.ok || r.value.t !== 'obj') return;
  assert.deepEqual(r.value.v.get('n'), { t: 'num', v: '12345678901234567890123' });
  assert.equal(r.value.v.get('__proto__')?.t, 'obj');
  assert.deepEqual(r.value.v.get('f'), { t: 'num', v: '-0.50e+3' });
});

test('parseBody form – duplicate keys and duplicate bracket keys (CASES B08) → body_duplicate_key', () => {
  assert.equal(reason('form', 'amount=100&amount=99999'), 'body_duplicate_key');
  assert.equal(reason('form', 'metadata[a]=1&metadata[a]=2'), 'body_duplicate_key');
  assert.equal(reason('form', 'metadata[a]=1&metadata%5Ba%5D=2'), 'body_duplicate_key');
  assert.equal(reason('form', 'expand[]=a&expand[]=b'), undefined);
});

test('parseBody form – malformed brackets, escapes, structure clash, _method, invalid UTF-8 → refused', () => {
  assert.equal(reason('form', 'a[b=1'), 'body_invalid_form');
  assert.equal(reason('form', 'a]=1'), 'body_invalid_form');
  assert.equal(reason('form', 'a=%zz'), 'body_invalid_form');
  assert.equal(reason('form', 'a=1&a[b]=2'), 'body_invalid_form');
  assert.equal(reason('form', 'a[b]=2&a=1'), 'body_invalid_form');
  assert.equal(reason('form', 'a[][b]=1'), 'body_invalid_form');
  assert.equal(reason('form', '_method=PUT'), 'body_method_override');
  assert.equal(reason('form', 'a=%FF'), 'body_invalid_utf8');
});

test('parseBody form – an index not written as a plain decimal is refused: items[00] would alias items[0]', () => {
  assert.equal(reason('form', 'items[0][price]=price_basic&items[00][price]=price_enterprise'), 'body_invalid_form');
  for (const seg of ['00', '01', '+0', '-1', ' 0', '0 ', '1_0', '0x0', '%2B0', '%200']) assert.equal(reason('form', `items[${seg}][price]=p`), 'body_invalid_form', seg);
  for (const seg of ['0', '1', '10', '2fa', 'x1', 'price']) assert.equal(reason('form', `items[${seg}][price]=p`), undefined, seg);
  assert.equal(reason('form', '007=x'), undefined, 'a top-level name is a name, not an index');
});

test('parseBody – two charset parameters → body_unsupported_charset, whichever comes first', () => {
  assert.equal(reason('json', '{}', 'application/json; charset=utf-16le; charset=utf-8'), 'body_unsupported_charset');
  assert.equal(reason('json', '{}', 'application/json; charset=utf-8; charset=utf-8'), 'body_unsupported_charset');
  assert.equal(reason('form', 'a=1', 'application/x-www-form-urlencoded; charset=utf-8; Charset=latin1'), 'body_unsupported_charset');
});

test('queryShadowsBody – a query parameter whose root name is a top-level body field', async () => {
  const { queryShadowsBody } = await import('../../rules/index.js');
  const body = parseBody('json', enc('{"ticket":{"comment":{"public":false}}}'), JSON_CT);
  assert.ok(body.ok);
  if (!body.ok) return;
  assert.equal(queryShadowsBody(body.body, [['ticket[comment][public]', 'true']]), true);
  assert.equal(queryShadowsBody(body.body, [['ticket', 'x']]), true);
  assert.equal(queryShadowsBody(body.body, [['per_page', '5'], ['tickets', 'x']]), false);
  assert.equal(queryShadowsBody(body.body, []), false);
  const empty = parseBody('json', enc(''), JSON_CT);
  assert.ok(empty.ok && !queryShadowsBody(empty.body, [['ticket', 'x']]), 'an empty body has no field to shadow');
});

test('parseBody form – plus is space, percent-escapes decoded once, nested brackets → tree', () => {
  const r = parseBody('form', enc('description=a+b%2Bc&items[0][price]=p1&flag&&metadata[k%25]=%25'), FORM_CT);
  assert.ok(r.ok);
  if (!r.ok || r.body.value?.t !== 'obj') return;
  const v = r.body.value.v;
  assert.deepEqual(v.get('description'), { t: 'str', v: 'a b+c' });
  assert.deepEqual(v.get('flag'), { t: 'str', v: '' });
  const items = v.get('items');
  assert.ok(items?.t === 'obj' && items.v.get('0')?.t === 'obj');
  const md = v.get('metadata');
  assert.ok(md?.t === 'obj');
  if (md?.t === 'obj') assert.deepEqual(md.v.get('k%'), { t: 'str', v: '%' });
});

test('decimal – exact ordering and equality across forms', () => {
  const d = (s: string) => { const x = parseDecimal(s); assert.ok(x, s); return x!; };
  assert.equal(compareDecimal(d('9007199254740993'), d('9007199254740992')), 1);
  assert.equal(compareDecimal(d('1.0'), d('1')), 0);
  assert.equal(compareDecimal(d('10e-1'), d('1')), 0);
  assert.equal(compareDecimal(d('-0'), d('0')), 0);
  assert.equal(compareDecimal(d('-2'), d('-10')), 1);
  assert.equal(compareDecimal(d('0.001'), d('1e-3')), 0);
  assert.equal(compareDecimal(d('1e999999999999'), d('9'.repeat(500))), 1);
  assert.equal(compareDecimal(d('-1e-999999999999'), d('0')), -1);
  for (const bad of ['+1', '01', '.5', '1.', '0x10', ' 1', '1e', 'Infinity']) assert.equal(parseDecimal(bad), undefined, bad);
});
