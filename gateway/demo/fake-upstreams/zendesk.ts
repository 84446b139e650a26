import { isRecord, parseJsonBody, Router } from './route.js';
import type { FakeApi, FakeReply, RouteParams } from './types.js';

/** The demo API token; the fake requires it as Zendesk's `Basic base64("{email}/token:{token}")`. */
export const ZENDESK_DEMO_TOKEN = 'zd_demo_not_a_real_token';
/** The agent e-mail the demo token belongs to. */
export const ZENDESK_DEMO_EMAIL = 'support-bot@acme.example';

const BASE = 'https://acme.zendesk.com/api/v2';
const T0 = '2025-05-12T09:30:00Z';
const AGENT_ID = 381_000_001;
const STATUSES = ['new', 'open', 'pending', 'hold', 'solved', 'closed'];
// Rails' boolean cast, which Zendesk's API applies to `comment.public`; null/undefined/'' mean "not given".
const FALSE_VALUES = new Set<unknown>([false, 0, '0', 'f', 'F', 'false', 'FALSE', 'off', 'OFF']);

type Ticket = Record<string, unknown> & { id: number; status: string; tags: string[] };

function zdError(status: number, error: string, description: string, details?: Record<string, unknown>): FakeReply {
  return { status, json: { error, description, ...(details ? { details } : {}) } };
}

function invalid(field: string, description: string): FakeReply {
  return zdError(422, 'RecordInvalid', 'Record validation errors', { [field]: [{ description }] });
}

/**
 * A fake Zendesk Support API (tickets) with tickets 42, 43 and 44, shaped as in developer.zendesk.com:
 * `.json` suffixes optional, `{ticket, audit}` answers to updates and creations with one `Comment` event and
 * one `Change` event per changed field. A comment's `public` follows Zendesk: absent means public (`true`);
 * otherwise Rails' boolean cast (`false`, `"false"`, `0`, `"0"`, `"f"`, `"off"` are false).
 */
export function createZendeskApi(): FakeApi {
  const tickets = new Map<number, Ticket>([
    [42, seed(42, 'Refund request for order #6735', 'I was charged twice for my May invoice.', 'open', ['billing', 'refund'])],
    [43, seed(43, 'Cannot log in after password reset', 'The reset link says it expired.', 'new', ['login'])],
    [44, seed(44, 'Feature request: CSV export', 'Could you add CSV export to reports?', 'pending', ['feature-request'])],
  ]);
  let nextId = 45;
  let nextEventId = 9_100_000_001;

  const ticketOf = (p: RouteParams): Ticket | undefined => tickets.get(Number(p.id));
  const readTicket = (body: Buffer): { ticket: Record<string, unknown> } | { reply: FakeReply } => {
    const parsed = parseJsonBody(body);
    if (!isRecord(parsed)) return { reply: zdError(400, 'InvalidJSON', 'The request body is not valid JSON') };
    return isRecord(parsed.ticket) ? { ticket: parsed.ticket } : { reply: invalid('ticket', 'Ticket: is required') };
  };

  /** Applies an update and returns the audit events, or a 422. */
  const apply = (t: Ticket, u: Record<string, unknown>): unknown[] | FakeReply => {
    const events: unknown[] = [];
    const comment = u.comment;
    if (comment !== undefined) {
      if (!isRecord(comment) || (typeof comment.body !== 'string' && typeof comment.html_body !== 'string')) return invalid('comment', 'Comment: body cannot be blank');
      const isPublic = comment.public === undefined || comment.public === null || comment.public === '' ? true : !FALSE_VALUES.has(comment.public);
      const body = String(comment.body ?? comment.html_body);
      events.push({ id: nextEventId++, type: 'Comment', author_id: AGENT_ID, body, html_body: `<p>${body.replace(/[<>&]/g, '')}</p>`, plain_body: body, public: isPublic, attachments: [] });
    }
    for (const field of ['status', 'priority', 'subject', 'type', 'assignee_id', 'tags'] as const) {
      if (u[field] === undefined) continue;
      if (field === 'status' && (typeof u.status !== 'string' || !STATUSES.includes(u.status))) return invalid('status', 'Status: is not valid');
      if (field === 'tags' && !(Array.isArray(u.tags) && u.tags.every((x) => typeof x === 'string'))) return invalid('tags', 'Tags: must be a list of strings');
      const previous = t[field];
      if (JSON.stringify(previous) === JSON.stringify(u[field])) continue;
      (t as Record<string, unknown>)[field] = u[field];
      events.push({ id: nextEventId++, type: 'Change', field_name: field, value: u[field], previous_value: previous ?? null });
    }
    t.updated_at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    return events;
  };
  const audit = (t: Ticket, events: unknown[]) => ({
    id: nextEventId++, ticket_id: t.id, created_at: t.updated_at, author_id: AGENT_ID,
    metadata: { system: { client: 'CLAIIM fake' }, custom: {} }, events, via: { channel: 'api', source: { from: {}, to: {}, rel: null } },
  });

  const router = new Router([
    { method: 'GET', template: '/api/v2/tickets.json?', handler: () => ({ status: 200, json: { tickets: [...tickets.values()], next_page: null, previous_page: null, count: tickets.size } }) },
    { method: 'GET', template: '/api/v2/tickets/{id}.json?', handler: (_req, p) => {
      const t = ticketOf(p);
      return t === undefined ? zdError(404, 'RecordNotFound', 'Not found') : { status: 200, json: { ticket: t } };
    } },
    { method: 'PUT', template: '/api/v2/tickets/{id}.json?', handler: (req, p) => {
      const t = ticketOf(p);
      if (t === undefined) return zdError(404, 'RecordNotFound', 'Not found');
      const read = readTicket(req.body);
      if ('reply' in read) return read.reply;
      if (t.status === 'closed') return invalid('status', 'Status: closed prevents ticket update');
      const copy: Ticket = structuredClone(t);
      const events = apply(copy, read.ticket);
      if (!Array.isArray(events)) return events;
      tickets.set(t.id, copy);
      return { status: 200, json: { ticket: copy, audit: audit(copy, events) } };
    } },
    // The agent's own requester, for the support pack's user reads (issue 7).
    { method: 'GET', template: '/api/v2/users/{id}.json?', handler: (_req, p) => (p.id === '7001'
      ? { status: 200, json: { user: { id: 7001, name: 'Dana Customer', email: 'dana@customer.example', role: 'end-user', active: true, suspended: false } } }
      : zdError(404, 'RecordNotFound', 'Not found')) },
    { method: 'POST', template: '/api/v2/tickets.json?', handler: (req) => {
      const read = readTicket(req.body);
      if ('reply' in read) return read.reply;
      const body = read.ticket;
      if (!isRecord(body.comment)) return invalid('description', 'Description: cannot be blank');
      const subject = typeof body.subject === 'string' ? body.subject : '';
      const t = seed(nextId++, subject, String(body.comment.body ?? body.comment.html_body ?? ''), 'new', []);
      const events = apply(t, { ...body, status: body.status ?? 'new' });
      if (!Array.isArray(events)) return events;
      t.created_at = t.updated_at;
      tickets.set(t.id, t);
      return { status: 201, headers: { location: `${BASE}/tickets/${t.id}.json` }, json: { ticket: t, audit: audit(t, events) } };
    } },
  ]);

  return {
    kind: 'zendesk',
    schemes: ['basic'],
    defaultSecret: Buffer.from(`${ZENDESK_DEMO_EMAIL}/token:${ZENDESK_DEMO_TOKEN}`).toString('base64'),
    jsonContentType: 'application/json; charset=utf-8',
    commonHeaders: { 'x-zendesk-api-version': 'v2', 'x-zendesk-origin-server': 'fake-claiim' },
    unauthorized: () => ({ status: 401, json: { error: "Couldn't authenticate you" }, headers: { 'www-authenticate': 'Basic realm="Web Password"' } }),
    handle(req) {
      const m = router.match(req.method, req.path);
      return m.found ? m.handler(req, m.params) : zdError(404, 'InvalidEndpoint', 'Not found');
    },
  };
}

function seed(id: number, subject: string, description: string, status: string, tags: string[]): Ticket {
  return {
    url: `${BASE}/tickets/${id}.json`, id, external_id: null, via: { channel: 'email', source: { from: {}, to: {}, rel: null } },
    created_at: T0, updated_at: T0, type: 'question', subject, raw_subject: subject, description, priority: 'normal', status,
    recipient: 'support@acme.example', requester_id: 381_000_900 + id, submitter_id: 381_000_900 + id, assignee_id: AGENT_ID,
    organization_id: 360_000_001, group_id: 360_000_010, collaborator_ids: [], follower_ids: [], email_cc_ids: [],
    has_incidents: false, is_public: true, due_at: null, tags, custom_fields: [], satisfaction_rating: null,
    brand_id: 360_000_100, allow_channelback: false, allow_attachments: true, from_messaging_channel: false,
  };
}
