import test from 'node:test';
import assert from 'node:assert/strict';
import zendesk from 'node-zendesk';
import { assertObserved, startPackGateway, statusOf } from './pack-gateway.js';

test('support pack – node-zendesk through the gateway → reads, internal notes and tags pass; public replies, account and user actions never reach Zendesk', async (t) => {
  const g = await startPackGateway(t);
  const client = zendesk.createClient({ token: await g.token('support'), oauth: true, endpointUri: `${g.baseUrl('zendesk')}/api/v2` });
  const fake = g.fakes.zendesk;
  const allow = async (rule: string, method: string, path: string, fn: () => Promise<unknown>): Promise<Buffer | undefined> => {
    const obs = await g.observe(fake, fn);
    assert.equal(obs.error, undefined, `${rule}: the client call succeeds`);
    return assertObserved(assert, obs, { agent: 'support', upstream: 'zendesk', effect: 'allow', rule, method, path })?.body;
  };
  const deny = async (rule: string, method: string, fn: () => Promise<unknown>, reason = 'denied_by_rule'): Promise<void> => {
    const obs = await g.observe(fake, fn);
    assert.equal(statusOf(obs.error), 403, `${rule}: the client sees 403`);
    assertObserved(assert, obs, { agent: 'support', upstream: 'zendesk', effect: 'deny', rule, reason, method });
  };

  await t.test('allowed – read tickets and a user, add an internal note, set tags', async () => {
    await allow('zd-read-ticket', 'GET', '/api/v2/tickets/42.json', () => client.tickets.show(42));
    await allow('zd-read-user', 'GET', '/api/v2/users/7001.json', () => client.users.show(7001));
    const note = await allow('zd-internal-note', 'PUT', '/api/v2/tickets/42.json', () => client.tickets.update(42, { ticket: { comment: { body: 'Card was charged twice; refund queued by billing.', public: false } } }));
    assert.deepEqual(JSON.parse(note?.toString('utf8') ?? '{}'), { ticket: { comment: { body: 'Card was charged twice; refund queued by billing.', public: false } } });
    await allow('zd-set-tags', 'PUT', '/api/v2/tickets/42.json', () => client.tickets.update(42, { ticket: { tags: ['billing', 'vip'] } }));
  });

  await t.test('blocked – public replies by every route', async () => {
    await deny('zd-no-public-reply', 'PUT', () => client.tickets.update(42, { ticket: { comment: { body: 'We refunded you.', public: true } } }));
    await deny('zd-no-implicit-public-reply', 'PUT', () => client.tickets.update(42, { ticket: { comment: { body: 'We refunded you.' } } }));
    await deny('zd-no-bulk-update-json', 'PUT', () => client.tickets.updateMany([42, 43], { ticket: { comment: { body: 'hi', public: true } } }));
    await deny('default_deny', 'POST', () => client.tickets.create({ ticket: { subject: 'hi', comment: { body: 'hello' } } }), 'no_matching_rule');
    await deny('zd-no-requests-write', 'PUT', () => client.requests.update(42, { request: { comment: { body: 'hi' } } }));
  });

  await t.test('blocked – deleting or changing users and the account', async () => {
    await deny('zd-no-user-writes', 'DELETE', () => client.users.delete(7001));
    await deny('zd-no-user-writes', 'PUT', () => client.users.update(7001, { user: { suspended: true } }));
  });
});
