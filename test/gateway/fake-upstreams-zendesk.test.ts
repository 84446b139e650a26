import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { request } from 'undici';
import { startFakeUpstream } from '../../gateway/demo/fake-upstreams/index.js';

type Json = Record<string, any>; // test-side probing of parsed JSON answers

async function zendesk(t: TestContext) {
  const fake = await startFakeUpstream('zendesk');
  t.after(() => fake.close());
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; headers: Record<string, unknown>; body: Json }> => {
    const res = await request(`${fake.url}${path}`, {
      method: method as 'GET', body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      headers: { authorization: fake.expectedCredential, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    });
    return { status: res.statusCode, headers: res.headers, body: await res.body.json() as Json };
  };
}

test('fake zendesk GET tickets with and without .json → list and ticket; unknown → RecordNotFound / InvalidEndpoint', async (t) => {
  const call = await zendesk(t);
  for (const path of ['/api/v2/tickets', '/api/v2/tickets.json']) {
    const list = await call('GET', path);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.tickets.map((x: Json) => x.id), [42, 43, 44]);
    assert.equal(list.body.count, 3);
  }
  for (const path of ['/api/v2/tickets/42', '/api/v2/tickets/42.json']) {
    const one = await call('GET', path);
    assert.equal(one.body.ticket.id, 42);
    assert.equal(one.body.ticket.status, 'open');
  }
  const nf = await call('GET', '/api/v2/tickets/99.json');
  assert.equal(nf.status, 404);
  assert.equal(nf.body.error, 'RecordNotFound');
  assert.equal((await call('GET', '/api/v2/users.json')).body.error, 'InvalidEndpoint');
});

test('fake zendesk PUT ticket – private note and status → 200 {ticket, audit} with Comment public:false and Change', async (t) => {
  const call = await zendesk(t);
  const r = await call('PUT', '/api/v2/tickets/42.json', { ticket: { comment: { body: 'Checked the ledger', public: false }, status: 'pending', tags: ['billing'] } });
  assert.equal(r.status, 200);
  assert.equal(r.body.ticket.status, 'pending');
  const [comment, ...changes] = r.body.audit.events as Json[];
  assert.equal(comment?.type, 'Comment');
  assert.equal(comment?.public, false);
  assert.deepEqual(changes.map((c) => [c.field_name, c.value, c.previous_value]), [['status', 'pending', 'open'], ['tags', ['billing'], ['billing', 'refund']]]);
  assert.equal((await call('GET', '/api/v2/tickets/42')).body.ticket.status, 'pending');
});

test('fake zendesk PUT ticket – comment without public, or public "yes" → public reply; "false" string → private', async (t) => {
  const call = await zendesk(t);
  for (const [pub, expected] of [[undefined, true], ['yes', true], [null, true], ['false', false], [0, false]] as const) {
    const comment = pub === undefined ? { body: 'Hi' } : { body: 'Hi', public: pub };
    const r = await call('PUT', '/api/v2/tickets/43', { ticket: { comment } });
    assert.equal(r.body.audit.events[0].public, expected, JSON.stringify(pub));
  }
});

test('fake zendesk PUT ticket – invalid status, missing ticket, bad JSON, closed ticket → 422/422/400/422', async (t) => {
  const call = await zendesk(t);
  const bad = await call('PUT', '/api/v2/tickets/44', { ticket: { status: 'deleted' } });
  assert.equal(bad.status, 422);
  assert.equal(bad.body.error, 'RecordInvalid');
  assert.equal((await call('GET', '/api/v2/tickets/44')).body.ticket.status, 'pending');
  assert.equal((await call('PUT', '/api/v2/tickets/44', { status: 'open' })).status, 422);
  assert.equal((await call('PUT', '/api/v2/tickets/44', '{oops')).status, 400);
  assert.equal((await call('PUT', '/api/v2/tickets/44', { ticket: { status: 'closed' } })).status, 200);
  assert.equal((await call('PUT', '/api/v2/tickets/44', { ticket: { status: 'open' } })).status, 422);
});

test('fake zendesk POST tickets – with comment → 201 with Location; without → 422', async (t) => {
  const call = await zendesk(t);
  const r = await call('POST', '/api/v2/tickets.json', { ticket: { subject: 'Printer on fire', comment: { body: 'Help' } } });
  assert.equal(r.status, 201);
  assert.equal(r.body.ticket.id, 45);
  assert.equal(r.body.ticket.status, 'new');
  assert.equal(r.headers.location, 'https://acme.zendesk.com/api/v2/tickets/45.json');
  assert.equal(r.body.audit.events[0].type, 'Comment');
  assert.equal((await call('GET', '/api/v2/tickets/45')).body.ticket.subject, 'Printer on fire');
  assert.equal((await call('POST', '/api/v2/tickets', { ticket: { subject: 'no body' } })).status, 422);
});
