import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { request } from 'undici';
import { FormError, parseForm, startFakeUpstream } from '../../gateway/demo/fake-upstreams/index.js';

type Json = Record<string, any>; // test-side probing of parsed JSON answers

async function stripe(t: TestContext) {
  const fake = await startFakeUpstream('stripe');
  t.after(() => fake.close());
  return async (method: string, path: string, form?: string, contentType = 'application/x-www-form-urlencoded'): Promise<{ status: number; body: Json }> => {
    const res = await request(`${fake.url}${path}`, {
      method: method as 'GET', body: form, headers: { authorization: fake.expectedCredential, ...(form === undefined ? {} : { 'content-type': contentType }) },
    });
    return { status: res.statusCode, body: await res.body.json() as Json };
  };
}

test('parseForm – bracket keys → nested objects, appended and indexed lists', () => {
  const form = parseForm('charge=ch_1&metadata[order]=6735&metadata[note]=a+b%26c&expand[]=charge&expand[]=balance_transaction&items[0][price]=p1&items[1][price]=p2&a[b][c]=d');
  assert.deepEqual(JSON.parse(JSON.stringify(form)), {
    charge: 'ch_1', metadata: { order: '6735', note: 'a b&c' }, expand: ['charge', 'balance_transaction'],
    items: [{ price: 'p1' }, { price: 'p2' }], a: { b: { c: 'd' } },
  });
});

test('parseForm – __proto__ keys → own members of null-prototype objects, no pollution', () => {
  const form = parseForm('__proto__[polluted]=1&metadata[__proto__][x]=2');
  assert.equal(({} as Json).polluted, undefined);
  assert.equal(Object.getPrototypeOf(form), null);
  assert.deepEqual(Object.keys(form), ['__proto__', 'metadata']);
});

test('parseForm – scalar then container, key into a list, huge index → FormError ERR_FAKE_FORM', () => {
  for (const body of ['a=1&a[b]=2', 'a[]=1&a[b]=2', 'a[5000]=1', 'a[b]=1&a[]=2']) {
    assert.throws(() => parseForm(body), (e: unknown) => e instanceof FormError && e.code === 'ERR_FAKE_FORM', body);
  }
});

test('fake stripe GET charges, charge, balance, customer → Stripe objects; unknown id → 404 resource_missing', async (t) => {
  const call = await stripe(t);
  const list = await call('GET', '/v1/charges?limit=2');
  assert.equal(list.body.object, 'list');
  assert.equal(list.body.data.length, 2);
  assert.equal(list.body.has_more, true);
  const next = await call('GET', `/v1/charges?limit=2&starting_after=${list.body.data[1].id}`);
  assert.equal(next.body.data.length, 1);
  assert.equal(next.body.has_more, false);
  const ch = await call('GET', '/v1/charges/ch_3PdemoA1');
  assert.equal(ch.body.object, 'charge');
  assert.equal(ch.body.amount, 2000);
  assert.equal((await call('GET', '/v1/balance')).body.object, 'balance');
  assert.equal((await call('GET', '/v1/customers/cus_Pdemo01')).body.object, 'customer');
  const nf = await call('GET', '/v1/charges/ch_nope');
  assert.equal(nf.status, 404);
  assert.equal(nf.body.error.code, 'resource_missing');
  assert.equal(nf.body.error.type, 'invalid_request_error');
  const unknown = await call('GET', '/v1/payouts');
  assert.equal(unknown.status, 404);
  assert.match(unknown.body.error.message, /^Unrecognized request URL \(GET: \/v1\/payouts\)/);
});

test('fake stripe POST refunds – form body → 200 refund, parsed form echoed, charge updated; over-refund → 400', async (t) => {
  const call = await stripe(t);
  const r = await call('POST', '/v1/refunds', 'charge=ch_3PdemoB2&amount=5000&reason=requested_by_customer&metadata[ticket]=42');
  assert.equal(r.status, 200);
  assert.equal(r.body.object, 'refund');
  assert.equal(r.body.amount, 5000);
  assert.equal(r.body.status, 'succeeded');
  assert.deepEqual(r.body.metadata, { ticket: '42' });
  assert.deepEqual(r.body._received.form, { charge: 'ch_3PdemoB2', amount: '5000', reason: 'requested_by_customer', metadata: { ticket: '42' } });
  assert.equal((await call('GET', '/v1/charges/ch_3PdemoB2')).body.amount_refunded, 5000);
  const over = await call('POST', '/v1/refunds', 'charge=ch_3PdemoB2&amount=10001');
  assert.equal(over.status, 400);
  assert.equal(over.body.error.code, 'amount_too_large');
  const rest = await call('POST', '/v1/refunds', 'charge=ch_3PdemoB2');
  assert.equal(rest.body.amount, 10000);
  assert.equal((await call('POST', '/v1/refunds', 'charge=ch_3PdemoB2')).body.error.code, 'charge_already_refunded');
});

test('fake stripe POST refunds – no charge, JSON body, malformed brackets → 400 invalid_request_error', async (t) => {
  const call = await stripe(t);
  assert.equal((await call('POST', '/v1/refunds', 'amount=1')).status, 400);
  const json = await call('POST', '/v1/refunds', '{"charge":"ch_3PdemoA1"}', 'application/json');
  assert.equal(json.status, 400);
  assert.match(json.body.error.message, /application\/x-www-form-urlencoded/);
  const bad = await call('POST', '/v1/refunds', 'charge=ch_3PdemoA1&metadata=1&metadata[x]=2');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.param, 'metadata[x]');
  assert.equal((await call('GET', '/v1/charges/ch_3PdemoA1')).body.amount_refunded, 0);
});
