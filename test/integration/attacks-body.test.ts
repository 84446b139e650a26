import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { jsonReq, req, runCases, startAttackHarness, type AttackCase } from '../helpers/attack-harness.js';

/**
 * CASES.md "B — Body-based rules", "S — Same effect, different endpoint" and M09, as raw requests against
 * the gateway running test/fixtures/attack-policy.yaml. Each attack is refused without reaching an upstream
 * and recorded as one DENY; each benign twin is allowed and forwarded as the canonical bytes.
 */
const REVIEWS = '/github/repos/acme/app/pulls/7/reviews';
const COMMENT_OK = jsonReq('POST', REVIEWS, '{"event":"COMMENT","body":"lgtm"}');
const ISSUE_COMMENT = jsonReq('POST', '/github/repos/acme/app/issues/1/comments', '{"body":"x"}');
const TICKET = '/zendesk/api/v2/tickets/42';
const PRIVATE_NOTE = jsonReq('PUT', TICKET, '{"ticket":{"comment":{"body":"hi","public":false}}}');
const CHARGE = req('GET', '/stripe/v1/charges/ch_1');
const twinReview = { twin: COMMENT_OK, twinTarget: '/repos/acme/app/pulls/7/reviews' } as const;

const BODY: AttackCase[] = [
  { id: 'B01', attack: jsonReq('POST', REVIEWS, '{"event":"COMMENT","event":"APPROVE"}'), status: 400, reason: 'body_invalid', ...twinReview },
  { id: 'B02', attack: jsonReq('POST', REVIEWS, '{"\\u0065vent":"APPROVE"}'), status: 403, reason: 'no_matching_rule', twin: jsonReq('POST', REVIEWS, '{"\\u0065vent":"COMMENT"}') },
  { id: 'B05', attack: jsonReq('POST', REVIEWS, '{"event":"APPROVE" /*c*/}'), status: 400, reason: 'body_invalid', ...twinReview },
  { id: 'B05b', attack: jsonReq('POST', REVIEWS, '{"event":"COMMENT",}'), status: 400, reason: 'body_invalid', ...twinReview },
  { id: 'B06', attack: jsonReq('POST', REVIEWS, '\uFEFF{"event":"COMMENT"}'), status: 400, reason: 'body_invalid', ...twinReview },
  { id: 'B06b', attack: req('POST', REVIEWS, 'Content-Type: application/json; charset=utf-16le\r\n', '{"event":"COMMENT"}'), status: 415, reason: 'body_unsupported_media_type', ...twinReview },
  { id: 'B06c', attack: Buffer.concat([Buffer.from(`POST ${REVIEWS} HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Bearer TOKEN\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{"event":"COMMENT`), Buffer.from([0xff]), Buffer.from('"}')]), status: 400, reason: 'body_invalid', ...twinReview },
  { id: 'B07', attack: req('POST', REVIEWS, 'Content-Type: application/x-www-form-urlencoded\r\n', 'event=COMMENT'), status: 415, reason: 'body_unsupported_media_type', ...twinReview },
  { id: 'B07b', attack: req('POST', REVIEWS, 'Content-Type: text/plain\r\n', '{"event":"COMMENT"}'), status: 415, reason: 'body_unsupported_media_type', ...twinReview },
  { id: 'B07c', attack: req('POST', REVIEWS, '', '{"event":"COMMENT"}'), status: 415, reason: 'body_unsupported_media_type', ...twinReview },
  { id: 'B08', attack: req('POST', '/stripe/v1/refunds', 'Content-Type: application/x-www-form-urlencoded\r\n', 'amount=100&amount=99999&charge=ch_1'), status: 403, rule: 'stripe-no-refunds', twin: CHARGE, twinTarget: '/v1/charges/ch_1', twinUpstream: 'stripe' },
  { id: 'B09', attack: jsonReq('POST', REVIEWS, '{"event":"COMMENT"}', 'Content-Encoding: gzip\r\n'), status: 415, reason: 'unsupported_content_encoding', twin: jsonReq('POST', REVIEWS, '{"event":"COMMENT"}', 'Content-Encoding: identity\r\n') },
  { id: 'B09b', attack: jsonReq('POST', REVIEWS, '{"event":"COMMENT"}', 'Content-Encoding: gzip, gzip\r\n'), status: 415, ...twinReview },
  { id: 'B09c', attack: jsonReq('POST', REVIEWS, '{"event":"COMMENT"}', 'Content-Encoding: br\r\n'), status: 415, ...twinReview },
  { id: 'B10', attack: `POST ${REVIEWS} HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Bearer TOKEN\r\nContent-Type: application/json\r\nContent-Length: 20971520\r\n\r\n{"body":"`, status: 413, reason: 'body_too_large', ...twinReview },
  { id: 'B10b', attack: `POST ${REVIEWS} HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Bearer TOKEN\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(`{"body":"${'x'.repeat(70_000)}","event":"COMMENT"}`)}0\r\n\r\n`, status: 413, reason: 'body_too_large', ...twinReview },
  { id: 'B10c', attack: jsonReq('POST', REVIEWS, `${'['.repeat(20_000)}${']'.repeat(20_000)}`), status: 400, reason: 'body_invalid', ...twinReview },
  { id: 'B13', attack: jsonReq('POST', REVIEWS, '{"event":"comment"}'), status: 403, reason: 'no_matching_rule', ...twinReview },
  { id: 'B13b', attack: jsonReq('POST', REVIEWS, '{"event":" COMMENT"}'), status: 403, ...twinReview },
  { id: 'B13c', attack: jsonReq('POST', REVIEWS, '{"event":"COMMENT\\u200b"}'), status: 403, ...twinReview },
  { id: 'B13d', attack: jsonReq('POST', REVIEWS, '{"event":"approve"}'), status: 403, ...twinReview },
  // A query parameter naming a body field the rule read: Rails merges the two and lets the query win.
  { id: 'B14', attack: jsonReq('PUT', `${TICKET}?ticket[comment][public]=true&ticket[comment][body]=x`, '{"ticket":{"comment":{"body":"hi","public":false}}}'), status: 400, reason: 'query_shadows_body', twin: PRIVATE_NOTE },
  { id: 'B14b', attack: jsonReq('PUT', `${TICKET}?ticket%5Bcomment%5D%5Bpublic%5D=true`, '{"ticket":{"comment":{"body":"hi","public":false}}}'), status: 400, reason: 'query_shadows_body', twin: PRIVATE_NOTE },
  { id: 'B14c', attack: jsonReq('POST', `${REVIEWS}?event=APPROVE`, '{"event":"COMMENT"}'), status: 400, reason: 'query_shadows_body', ...twinReview },
  // M02: a form body's _method, on a route where no rule reads the body (Rack's MethodOverride reads it).
  { id: 'M02-form', attack: req('POST', '/github/repos/acme/app/issues/1/comments', 'Content-Type: application/x-www-form-urlencoded\r\n', '_method=PUT&body=x'), status: 400, reason: 'method_override', twin: req('POST', '/github/repos/acme/app/issues/1/comments', 'Content-Type: application/x-www-form-urlencoded\r\n', 'body=x') },
  { id: 'M02-form-escaped', attack: req('POST', '/github/repos/acme/app/issues/1/comments', 'Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n', 'body=x&%5Fmethod=DELETE'), status: 400, reason: 'method_override', twin: ISSUE_COMMENT },
  { id: 'M02-multipart', attack: req('POST', '/github/repos/acme/app/issues/1/comments', 'Content-Type: multipart/form-data; boundary=XX\r\n', '--XX\r\nContent-Disposition: form-data; name="_method"\r\n\r\nPUT\r\n--XX\r\nContent-Disposition: form-data; name="body"\r\n\r\nx\r\n--XX--\r\n'), status: 400, reason: 'method_override', twin: req('POST', '/github/repos/acme/app/issues/1/comments', 'Content-Type: multipart/form-data; boundary=XX\r\n', '--XX\r\nContent-Disposition: form-data; name="body"\r\n\r\nx\r\n--XX--\r\n') },
];

const SAME_EFFECT: AttackCase[] = [
  { id: 'S01', attack: jsonReq('POST', '/github/repos/acme/app/merges', '{"base":"main","head":"feature"}'), status: 403, rule: 'gh-no-branch-merge', twin: ISSUE_COMMENT, twinTarget: '/repos/acme/app/issues/1/comments' },
  { id: 'S02', attack: jsonReq('PATCH', '/github/repos/acme/app/git/refs/heads/main', '{"sha":"aa","force":true}'), status: 403, rule: 'gh-no-refs', twin: req('GET', '/github/repos/acme/app/git/refs/heads/main') },
  { id: 'S02b', attack: req('DELETE', '/github/repos/acme/app/git/refs/heads/main'), status: 403, rule: 'gh-no-refs', twin: req('GET', '/github/repos/acme/app/git/refs/heads/main') },
  { id: 'S02c', attack: jsonReq('POST', '/github/repos/acme/app/git/refs', '{"ref":"refs/heads/main","sha":"aa"}'), status: 403, rule: 'gh-no-refs', twin: ISSUE_COMMENT },
  { id: 'S03', attack: jsonReq('PUT', '/github/repos/acme/app/contents/a.js', '{"message":"m","content":"eA=="}'), status: 403, rule: 'gh-no-contents-write', twin: req('GET', '/github/repos/acme/app/contents/a.js') },
  { id: 'S05', attack: jsonReq('POST', REVIEWS, '{"event":"APPROVE"}'), status: 403, reason: 'no_matching_rule', ...twinReview },
  { id: 'S05b', attack: jsonReq('POST', REVIEWS, '{}'), status: 403, reason: 'no_matching_rule', ...twinReview },
  { id: 'S05c', attack: jsonReq('POST', `${REVIEWS}/99/events`, '{"event":"APPROVE"}'), status: 403, rule: 'gh-no-review-events', ...twinReview },
  { id: 'S06', attack: jsonReq('PUT', '/github/repos/acme/app/pulls/7/merge', '{"merge_method":"squash"}'), status: 403, rule: 'gh-no-merge', twin: req('GET', '/github/repos/acme/app/pulls/7') },
  { id: 'S06b', attack: jsonReq('PUT', '/github/repos/acme/app/pulls/7/merge', '{"merge_method":"rebase"}'), status: 403, rule: 'gh-no-merge', twin: req('GET', '/github/repos/acme/app/pulls/7') },
  { id: 'S08', attack: jsonReq('PUT', TICKET, '{"ticket":{"comment":{"body":"hi"}}}'), status: 403, reason: 'no_matching_rule', twin: PRIVATE_NOTE, twinTarget: '/api/v2/tickets/42', twinUpstream: 'zendesk' },
  { id: 'S08b', attack: jsonReq('PUT', TICKET, '{"ticket":{"comment":{"body":"hi","public":"false"}}}'), status: 403, twin: PRIVATE_NOTE },
  { id: 'S08c', attack: jsonReq('PUT', TICKET, '{"ticket":{"comment":{"body":"hi","public":false,"public":true}}}'), status: 400, reason: 'body_invalid', twin: PRIVATE_NOTE },
  { id: 'S10', attack: jsonReq('POST', '/zendesk/api/v2/tickets', '{"ticket":{"comment":{"body":"hi","public":false}}}'), status: 403, reason: 'no_matching_rule', twin: PRIVATE_NOTE },
  { id: 'S10b', attack: jsonReq('POST', '/zendesk/api/v2/tickets/create_many', '{"tickets":[{"comment":{"body":"hi"}}]}'), status: 403, rule: 'zd-no-create-many', twin: PRIVATE_NOTE },
  { id: 'S10c', attack: jsonReq('PUT', '/zendesk/api/v2/tickets/update_many.json?ids=1,2,3', '{"ticket":{"comment":{"body":"hi","public":false}}}'), status: 403, rule: 'zd-no-update-many-json', twin: PRIVATE_NOTE },
  { id: 'S10d', attack: jsonReq('POST', '/zendesk/api/v2/imports/tickets', '{"ticket":{"comment":{"body":"hi"}}}'), status: 403, rule: 'zd-no-imports', twin: PRIVATE_NOTE },
  { id: 'S12', attack: req('POST', '/stripe/v1/refunds', 'Content-Type: application/x-www-form-urlencoded\r\n', 'charge=ch_1'), status: 403, rule: 'stripe-no-refunds', twin: CHARGE },
  { id: 'S12b', attack: req('POST', '/stripe/v1/refunds', 'Content-Type: application/x-www-form-urlencoded\r\n', 'payment_intent=pi_1'), status: 403, rule: 'stripe-no-refunds', twin: CHARGE },
  { id: 'S12c', attack: req('POST', '/stripe/v1/charges/ch_1/refund'), status: 403, rule: 'stripe-no-charge-refund', twin: CHARGE },
  { id: 'S12d', attack: req('POST', '/stripe/v1/charges/ch_1/refunds', 'Content-Type: application/x-www-form-urlencoded\r\n', 'amount=1'), status: 403, rule: 'stripe-no-charge-refunds', twin: CHARGE },
  { id: 'M09', attack: jsonReq('GET', '/github/repos/acme/app/pulls/7/merge', '{"merge_method":"squash"}'), status: 400, reason: 'body_not_allowed', twin: req('GET', '/github/repos/acme/app/pulls/7') },
];

function chunk(text: string): string {
  return `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
}

test('attack catalogue B (body rules) – every attack refused before the upstream and recorded, every twin forwarded', async (t: TestContext) => {
  const h = await startAttackHarness(t);
  await runCases(h, BODY, (a, b, m) => assert.equal(a, b, m));
});

test('attack catalogue S (same effect, other endpoint) and M09 – every variant denied and recorded, every twin forwarded', async (t: TestContext) => {
  const h = await startAttackHarness(t);
  await runCases(h, SAME_EFFECT, (a, b, m) => assert.equal(a, b, m));
});

test('S14 – a Stripe-Account header on an allowed call is stripped, never forwarded', async (t: TestContext) => {
  const h = await startAttackHarness(t);
  const r = await h.send(req('GET', '/stripe/v1/charges/ch_3PdemoA1', 'Stripe-Account: acct_other\r\n'));
  assert.equal(r.status, 200);
  const got = h.fakes.stripe.received.at(-1);
  assert.equal(got?.target, '/v1/charges/ch_3PdemoA1');
  assert.equal(got?.rawHeaders.some((n) => n.toLowerCase() === 'stripe-account'), false);
  assert.equal(got?.headers.authorization, h.fakes.stripe.expectedCredential);
  // Stripe-Context supersedes Stripe-Account at Stripe: stripped the same way.
  const r2 = await h.send(req('GET', '/stripe/v1/charges/ch_3PdemoA1', 'Stripe-Context: acct_other\r\n'));
  assert.equal(r2.status, 200);
  assert.equal(h.fakes.stripe.received.at(-1)?.rawHeaders.some((n) => n.toLowerCase() === 'stripe-context'), false);
});

test('M09 – a GET with a body on an allowed read route → 400 body_not_allowed, nothing forwarded (needs agent-handler, see docs/security.md)', async (t: TestContext) => {
  const h = await startAttackHarness(t);
  const r = await h.send(jsonReq('GET', '/github/repos/acme/app/pulls/7', '{"event":"APPROVE"}'));
  assert.equal(r.status, 400);
  assert.equal(r.json?.reason, 'body_not_allowed');
  assert.equal(h.received(), 0);
});
