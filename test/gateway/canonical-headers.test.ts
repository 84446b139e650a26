import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalHeaders } from '../../gateway/canonical/headers.js';
import { canonicalMethod } from '../../gateway/canonical/method.js';

const facts = (raw: string[], cred = 'authorization') => {
  const r = canonicalHeaders(raw, cred);
  assert.ok(r.ok, JSON.stringify(r));
  return r.facts;
};

test('canonicalHeaders – client credentials, forwarding and hop-by-hop headers never reach the upstream (J18, R04, H08)', () => {
  const f = facts([
    'Authorization', 'Bearer jwt', 'Cookie', 'a=b', 'X-Api-Key', 'k', 'Stripe-Account', 'acct_other', 'Private-Token', 'p',
    'X-Forwarded-Host', 'internal', 'Forwarded', 'host=x', 'X-Original-URL', '/admin', 'X_Forwarded_For', '1.2.3.4',
    'Connection', 'keep-alive, X-Secret-Hop', 'X-Secret-Hop', 'v', 'Keep-Alive', '5', 'TE', 'trailers', 'Proxy-Authorization', 'Basic x',
    'Accept', 'application/json', 'User-Agent', 'octokit',
  ]);
  assert.deepEqual(f.forward, [['accept', 'application/json'], ['user-agent', 'octokit']]);
  assert.deepEqual(f.authorization, ['Bearer jwt']);
});

test('canonicalHeaders – headers that switch the account or user the credential acts as are stripped (S14: Stripe-Context, X-On-Behalf-Of, Impersonate-*)', () => {
  const f = facts([
    'Stripe-Context', 'acct_other', 'X-On-Behalf-Of', 'victim@example.com', 'Impersonate-User', 'admin', 'Impersonate-Group', 'system:masters',
    'Impersonate-Uid', '0', 'Impersonate-Extra-Scopes', 'all', 'Accept', 'application/json',
  ]);
  assert.deepEqual(f.forward, [['accept', 'application/json']]);
  assert.deepEqual(Object.keys(f.headers), ['accept'], 'nor do rules see them');
});

test('canonicalHeaders – Connection cannot take away the Content-Type a body rule parsed the body under', () => {
  const f = facts(['Content-Type', 'application/json', 'Connection', 'content-type, x-hop', 'X-Hop', '1']);
  assert.equal(f.contentType, 'application/json');
  assert.deepEqual(f.forward, [['content-type', 'application/json']]);
});

test('canonicalHeaders – the upstream\'s own credential header is stripped when the client sends it', () => {
  const f = facts(['X-Zendesk-Token', 'stolen', 'Accept', '*/*'], 'x-zendesk-token');
  assert.deepEqual(f.forward, [['accept', '*/*']]);
});

test('canonicalHeaders – duplicate Host or Authorization → duplicate_header (J14)', () => {
  assert.deepEqual(canonicalHeaders(['Host', 'a', 'Host', 'b'], undefined), { ok: false, reason: 'duplicate_header' });
  assert.deepEqual(canonicalHeaders(['Authorization', 'Bearer a', 'authorization', 'Bearer b'], undefined), { ok: false, reason: 'duplicate_header' });
});

test('canonicalHeaders – conflicting framing → ambiguous_framing (H01, H02, H03)', () => {
  const amb = { ok: false, reason: 'ambiguous_framing' };
  assert.deepEqual(canonicalHeaders(['Content-Length', '4', 'Transfer-Encoding', 'chunked'], undefined), amb);
  assert.deepEqual(canonicalHeaders(['Content-Length', '0', 'Content-Length', '44'], undefined), amb);
  assert.deepEqual(canonicalHeaders(['Content-Length', '4, 44'], undefined), amb);
  assert.deepEqual(canonicalHeaders(['Transfer-Encoding', 'chunked, identity'], undefined), amb);
  assert.deepEqual(canonicalHeaders(['Transfer-Encoding', 'xchunked'], undefined), amb);
});

test('canonicalHeaders – method-override headers are rejected, not honoured (M01)', () => {
  for (const h of ['X-HTTP-Method-Override', 'X-HTTP-Method', 'X-Method-Override']) {
    assert.deepEqual(canonicalHeaders([h, 'PUT'], undefined), { ok: false, reason: 'method_override' });
  }
});

test('canonicalHeaders – Upgrade and HTTP2-Settings are refused (H09, H10)', () => {
  assert.deepEqual(canonicalHeaders(['Upgrade', 'websocket', 'Connection', 'Upgrade'], undefined), { ok: false, reason: 'upgrade_not_allowed' });
  assert.deepEqual(canonicalHeaders(['HTTP2-Settings', 'AAA'], undefined), { ok: false, reason: 'upgrade_not_allowed' });
});

test('canonicalHeaders – rule-visible headers keep every value (H15)', () => {
  const f = facts(['X-A', 'ok', 'X-A', 'admin']);
  assert.deepEqual(f.headers['x-a'], ['ok', 'admin']);
});

test('canonicalMethod – standard upper-case methods only; TRACE/CONNECT → 405, others → 400 (M05, M07, M08)', () => {
  assert.deepEqual(canonicalMethod('PUT'), { ok: true, method: 'PUT' });
  assert.deepEqual(canonicalMethod('TRACE'), { ok: false, reason: 'method_not_allowed', status: 405 });
  assert.deepEqual(canonicalMethod('CONNECT'), { ok: false, reason: 'method_not_allowed', status: 405 });
  assert.deepEqual(canonicalMethod('put'), { ok: false, reason: 'invalid_method', status: 400 });
  assert.deepEqual(canonicalMethod('PROPFIND'), { ok: false, reason: 'invalid_method', status: 400 });
});
