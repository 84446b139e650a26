import test from 'node:test';
import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { Octokit } from '@octokit/rest';
import { assertObserved, startPackGateway, statusOf } from './pack-gateway.js';

test('finance-reporting pack – stripe-node via host/port (the upstream\'s own listener) → reads pass; refunds, payouts, transfers, intent actions and writes never reach Stripe', async (t) => {
  const g = await startPackGateway(t);
  const fake = g.fakes.stripe;
  // stripe-node takes only host/port/protocol: it is pointed at the stripe upstream's listen_port listener.
  const own = new URL(g.gw.upstreamUrls.get('stripe') ?? assert.fail('stripe has its own listener'));
  const stripe = new Stripe(await g.token('finance-reporting'), { host: own.hostname, port: Number(own.port), protocol: 'http', maxNetworkRetries: 0, telemetry: false });
  const allow = async (rule: string, path: string, fn: () => Promise<unknown>): Promise<void> => {
    const obs = await g.observe(fake, fn);
    assert.equal(obs.error, undefined, `${rule}: the client call succeeds`);
    assertObserved(assert, obs, { agent: 'finance-reporting', upstream: 'stripe', effect: 'allow', rule, method: 'GET', path });
  };
  const deny = async (rule: string, method: string, fn: () => Promise<unknown>): Promise<void> => {
    const obs = await g.observe(fake, fn);
    // The deny body carries an `error` member, so stripe-node raises its permission error instead of
    // handing the deny body back as if it were the refund (or payout) asked for.
    assert.equal(obs.result, undefined, `${rule}: the client call does not resolve`);
    assert.ok(obs.error instanceof Stripe.errors.StripePermissionError, `${rule}: stripe-node throws StripePermissionError`);
    assert.equal(statusOf(obs.error), 403, `${rule}: the client sees 403`);
    assert.equal((obs.error as InstanceType<typeof Stripe.errors.StripePermissionError>).code, 'denied_by_rule');
    assert.match((obs.error as Error).message, new RegExp(`^claiim: denied_by_rule \\(rule ${rule}\\)`));
    assertObserved(assert, obs, { agent: 'finance-reporting', upstream: 'stripe', effect: 'deny', rule, reason: 'denied_by_rule', method });
  };

  await t.test('allowed – balance, balance transactions, charges, invoices, payouts list, report runs', async () => {
    await allow('stripe-balance', '/v1/balance', () => stripe.balance.retrieve());
    await allow('stripe-balance-transactions', '/v1/balance_transactions', () => stripe.balanceTransactions.list({ limit: 3 }));
    await allow('stripe-charges', '/v1/charges', () => stripe.charges.list({ limit: 3 }));
    await allow('stripe-invoices', '/v1/invoices', () => stripe.invoices.list({ limit: 3 }));
    // The fake has no payouts route (its own tests use it as the unknown-route example): the request
    // reaches it and it answers 404; what matters here is that the gateway let it through.
    const payouts = await g.observe(fake, () => stripe.payouts.list({ limit: 3 }));
    assert.equal(statusOf(payouts.error), 404);
    assertObserved(assert, payouts, { agent: 'finance-reporting', upstream: 'stripe', effect: 'allow', rule: 'stripe-payouts-list', method: 'GET', path: '/v1/payouts' });
    await allow('stripe-reports', '/v1/reporting/report_runs', () => stripe.reporting.reportRuns.list({ limit: 3 }));
  });

  await t.test('blocked – refunds by every route, payouts, transfers, payment-intent actions, any write', async () => {
    await deny('stripe-no-refunds', 'POST', () => stripe.refunds.create({ charge: 'ch_1', amount: 500 }));
    await deny('stripe-no-refunds', 'POST', () => stripe.refunds.cancel('re_1'));
    await deny('stripe-no-charge-refund', 'POST', () => stripe.rawRequest('POST', '/v1/charges/ch_1/refund', {}));
    await deny('stripe-no-credit-notes', 'POST', () => stripe.creditNotes.create({ invoice: 'in_1', refund_amount: 100 }));
    await deny('stripe-no-payouts', 'POST', () => stripe.payouts.create({ amount: 100, currency: 'usd' }));
    await deny('stripe-no-transfers', 'POST', () => stripe.transfers.create({ amount: 100, currency: 'usd', destination: 'acct_1' }));
    await deny('stripe-no-payment-intent-actions', 'POST', () => stripe.paymentIntents.confirm('pi_1'));
    await deny('stripe-no-payment-intent-actions', 'POST', () => stripe.paymentIntents.capture('pi_1'));
    await deny('stripe-no-payment-intent-actions', 'POST', () => stripe.paymentIntents.cancel('pi_1'));
    await deny('stripe-no-writes', 'POST', () => stripe.customers.update('cus_Pdemo01', { email: 'x@evil.example' }));
    await deny('stripe-no-writes', 'DELETE', () => stripe.customers.del('cus_Pdemo01'));
  });

  await t.test('aiorg wall – engineering agent cannot reach Stripe; finance agent cannot reach GitHub', async () => {
    const eng = new Stripe(await g.token('code-review'), { host: own.hostname, port: Number(own.port), protocol: 'http', maxNetworkRetries: 0, telemetry: false });
    const e1 = await g.observe(fake, () => eng.balance.retrieve());
    assert.ok(e1.error instanceof Stripe.errors.StripePermissionError, 'the aiorg wall is an error to stripe-node too');
    assert.equal(statusOf(e1.error), 403);
    assert.equal(e1.received.length, 0);
    assert.deepEqual(e1.decisions.map((d) => [d.agent, d.aiorg, d.upstream, d.effect, d.reason]), [['code-review', 'engineering', 'stripe', 'deny', 'aiorg_boundary']]);
    const fin = new Octokit({ auth: await g.token('finance-reporting'), baseUrl: g.baseUrl('github') });
    const e2 = await g.observe(g.fakes.github, () => fin.rest.pulls.get({ owner: 'acme', repo: 'app', pull_number: 7 }));
    assert.equal(statusOf(e2.error), 403);
    // Octokit takes its error text from the body's `message`.
    assert.match((e2.error as Error).message, /claiim: aiorg_boundary \(rule aiorg_wall\)/);
    assert.equal(e2.received.length, 0);
    assert.deepEqual(e2.decisions.map((d) => [d.agent, d.aiorg, d.upstream, d.effect, d.reason]), [['finance-reporting', 'finance', 'github', 'deny', 'aiorg_boundary']]);
  });
});
