import { randomBytes } from 'node:crypto';
import { FormError, parseForm } from './form.js';
import { Router } from './route.js';
import type { FakeApi, FakeReply, FakeRequest } from './types.js';

/** The fixed demo test-mode secret key the fake Stripe requires (`Bearer …`). */
export const STRIPE_DEMO_KEY = 'sk_test_demo_not_a_real_key';

const CREATED = 1_715_506_200; // 2024-05-12T09:30:00Z
const HELP = 'If you have any questions, we can help at https://support.stripe.com/.';

interface Charge { id: string; amount: number; amount_refunded: number; customer: string; description: string; created: number }

/** Stripe's error shape: `{error: {type, message, code?, param?, doc_url?}}`. */
function stripeError(status: number, message: string, extra: Record<string, unknown> = {}): FakeReply {
  return { status, json: { error: { ...extra, message, type: 'invalid_request_error' } } };
}

function missing(kind: string, id: string): FakeReply {
  return stripeError(404, `No such ${kind}: '${id}'`, { code: 'resource_missing', doc_url: 'https://stripe.com/docs/error-codes/resource-missing', param: 'id' });
}

/**
 * A fake Stripe API in test mode: charges, balance, refunds and customers, shaped as in docs.stripe.com/api.
 * POST bodies are read as `application/x-www-form-urlencoded` with bracket keys (see `parseForm`) and the
 * parsed form is echoed as `_received.form`; a JSON body is refused as Stripe refuses it. Refunds change the
 * refunded charge (`amount_refunded`, `refunded`).
 */
export function createStripeApi(): FakeApi {
  const charges = new Map<string, Charge>([
    ['ch_3PdemoA1', { id: 'ch_3PdemoA1', amount: 2000, amount_refunded: 0, customer: 'cus_Pdemo01', description: 'Pro plan, May', created: CREATED }],
    ['ch_3PdemoB2', { id: 'ch_3PdemoB2', amount: 15000, amount_refunded: 0, customer: 'cus_Pdemo02', description: 'Enterprise seats', created: CREATED + 3600 }],
    ['ch_3PdemoC3', { id: 'ch_3PdemoC3', amount: 4900, amount_refunded: 0, customer: 'cus_Pdemo01', description: 'Add-on: audit export', created: CREATED + 7200 }],
  ]);
  const customers = new Map([
    ['cus_Pdemo01', { name: 'Globex Corporation', email: 'billing@globex.example' }],
    ['cus_Pdemo02', { name: 'Initech', email: 'ap@initech.example' }],
  ]);

  const router = new Router([
    { method: 'GET', template: '/v1/charges', handler: (req) => {
      const limit = Number(req.query.get('limit') ?? 10);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) return stripeError(400, 'Invalid integer: limit must be between 1 and 100', { param: 'limit' });
      const customer = req.query.get('customer');
      const all = [...charges.values()].filter((c) => customer === null || c.customer === customer).sort((a, b) => b.created - a.created);
      const after = req.query.get('starting_after');
      const from = after === null ? 0 : all.findIndex((c) => c.id === after) + 1;
      const page = all.slice(from, from + limit);
      return { status: 200, json: { object: 'list', url: '/v1/charges', has_more: from + limit < all.length, data: page.map(chargeJson) } };
    } },
    { method: 'GET', template: '/v1/charges/{id}', handler: (_req, p) => {
      const c = charges.get(p.id ?? '');
      return c === undefined ? missing('charge', p.id ?? '') : { status: 200, json: chargeJson(c) };
    } },
    { method: 'GET', template: '/v1/balance', handler: () => ({ status: 200, json: {
      object: 'balance', livemode: false,
      available: [{ amount: 1_254_300, currency: 'usd', source_types: { card: 1_254_300 } }],
      pending: [{ amount: 86_200, currency: 'usd', source_types: { card: 86_200 } }],
    } }) },
    // Empty lists for the finance-reporting pack's reads (issue 7): the shape of a Stripe list object.
    ...(['balance_transactions', 'invoices', 'reporting/report_runs'] as const).map((name) => ({
      method: 'GET', template: `/v1/${name}`, handler: () => ({ status: 200, json: { object: 'list', url: `/v1/${name}`, has_more: false, data: [] } }),
    })),
    { method: 'GET', template: '/v1/customers/{id}', handler: (_req, p) => {
      const c = customers.get(p.id ?? '');
      if (c === undefined) return missing('customer', p.id ?? '');
      return { status: 200, json: { id: p.id, object: 'customer', ...c, created: CREATED - 86_400 * 90, currency: 'usd', delinquent: false, livemode: false, metadata: {}, balance: 0, description: null } };
    } },
    { method: 'POST', template: '/v1/refunds', handler: (req) => withForm(req, (form) => {
      const chargeId = typeof form.charge === 'string' ? form.charge : typeof form.payment_intent === 'string' ? `ch_${form.payment_intent.replace(/^pi_/, '')}` : undefined;
      if (chargeId === undefined) return stripeError(400, 'One of the following params should be provided for this request: payment_intent or charge.');
      const c = charges.get(chargeId);
      if (c === undefined) return typeof form.charge === 'string' ? missing('charge', chargeId) : missing('payment_intent', String(form.payment_intent));
      const remaining = c.amount - c.amount_refunded;
      if (remaining === 0) return stripeError(400, `Charge ${c.id} has already been refunded.`, { code: 'charge_already_refunded' });
      const amount = form.amount === undefined ? remaining : Number(form.amount);
      if (!Number.isInteger(amount) || amount < 1) return stripeError(400, 'Invalid positive integer', { param: 'amount' });
      if (amount > remaining) return stripeError(400, `Refund amount ($${(amount / 100).toFixed(2)}) is greater than unrefunded amount on charge ($${(remaining / 100).toFixed(2)})`, { code: 'amount_too_large', param: 'amount' });
      c.amount_refunded += amount;
      return { status: 200, json: {
        id: `re_${randomId()}`, object: 'refund', amount, balance_transaction: `txn_${randomId()}`, charge: c.id, created: Math.floor(Date.now() / 1000),
        currency: 'usd', metadata: form.metadata ?? {}, payment_intent: `pi_${c.id.slice(3)}`, reason: form.reason ?? null, receipt_number: null,
        source_transfer_reversal: null, status: 'succeeded', transfer_reversal: null,
      } };
    }) },
  ]);

  return {
    kind: 'stripe',
    schemes: ['bearer'],
    defaultSecret: STRIPE_DEMO_KEY,
    jsonContentType: 'application/json',
    commonHeaders: { 'stripe-version': '2024-06-20', 'access-control-allow-origin': '*' },
    unauthorized: (req) => ({ ...stripeError(401, req.credential === 'missing'
      ? `You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.`
      : 'Invalid API Key provided.'), headers: { 'www-authenticate': 'Basic realm="Stripe"' } }),
    handle(req) {
      const m = router.match(req.method, req.path);
      const reply = m.found ? m.handler(req, m.params) : stripeError(404, `Unrecognized request URL (${req.method}: ${req.path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`);
      return { ...reply, headers: { ...reply.headers, 'request-id': `req_${randomId()}` } };
    },
  };
}

/** Parses the form body (refusing JSON as Stripe does) and echoes the parse as `_received.form`. */
function withForm(req: FakeRequest, fn: (form: Record<string, unknown>) => FakeReply): FakeReply {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (req.body.length > 0 && type !== 'application/x-www-form-urlencoded') {
    return stripeError(400, `Invalid request (check that your POST content type is application/x-www-form-urlencoded). ${HELP}`);
  }
  let form: Record<string, unknown>;
  try { form = parseForm(req.body.toString('utf8')); } catch (e) {
    if (e instanceof FormError) return stripeError(400, e.message, { param: e.param });
    throw e;
  }
  const reply = fn(form);
  return { ...reply, echo: { ...reply.echo, form } };
}

function chargeJson(c: Charge): Record<string, unknown> {
  return {
    id: c.id, object: 'charge', amount: c.amount, amount_captured: c.amount, amount_refunded: c.amount_refunded,
    balance_transaction: `txn_${c.id.slice(3)}`, captured: true, created: c.created, currency: 'usd', customer: c.customer,
    description: c.description, disputed: false, livemode: false, metadata: {}, paid: true, payment_intent: `pi_${c.id.slice(3)}`,
    payment_method_details: { type: 'card', card: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2030 } },
    refunded: c.amount_refunded === c.amount, status: 'succeeded',
  };
}

function randomId(): string {
  return randomBytes(12).toString('base64url').replace(/[-_]/g, 'x');
}
