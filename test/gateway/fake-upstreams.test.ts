import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test, type TestContext } from 'node:test';
import { request } from 'undici';
import {
  FAKE_KINDS, GITHUB_DEMO_TOKEN, REDACTED, startFakeUpstream, startFakeUpstreams, ZENDESK_DEMO_TOKEN,
  type FakeKind, type FakeUpstream, type FakeUpstreamOptions,
} from '../../gateway/demo/fake-upstreams/index.js';

async function start(t: TestContext, kind: FakeKind, opts?: FakeUpstreamOptions): Promise<FakeUpstream> {
  const fake = await startFakeUpstream(kind, opts);
  t.after(() => fake.close());
  return fake;
}

/** Sends bytes on a raw socket and resolves with everything the server wrote before closing. */
function raw(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
  });
}

// A request for each kind that needs the credential; the 401 body is the API's own error shape.
const UNAUTHORISED: Record<FakeKind, { path: string; shape: (body: Record<string, unknown>) => void }> = {
  github: { path: '/repos/acme/app/pulls/7', shape: (b) => { assert.equal(b.message, 'Requires authentication'); assert.equal(b.status, '401'); } },
  deploy: { path: '/apis/apps/v1/namespaces/staging/deployments', shape: (b) => { assert.equal(b.kind, 'Status'); assert.equal(b.reason, 'Unauthorized'); assert.equal(b.code, 401); } },
  stripe: { path: '/v1/balance', shape: (b) => { assert.equal((b.error as Record<string, unknown>).type, 'invalid_request_error'); } },
  zendesk: { path: '/api/v2/tickets.json', shape: (b) => { assert.equal(b.error, "Couldn't authenticate you"); } },
  terraform: { path: '/api/v2/workspaces/ws-prod', shape: (b) => { assert.deepEqual(b.errors, [{ status: '401', title: 'unauthorized' }]); } },
};

for (const kind of FAKE_KINDS) {
  test(`fake ${kind} – no credential → 401 in the API's shape, recorded, echo says missing`, async (t) => {
    const fake = await start(t, kind);
    const res = await request(`${fake.url}${UNAUTHORISED[kind].path}`);
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers['x-fake-upstream'], kind);
    assert.equal(res.headers['x-fake-received-credential'], 'missing');
    const body = await res.body.json() as Record<string, unknown>;
    UNAUTHORISED[kind].shape(body);
    assert.equal((body._received as Record<string, unknown>).credential, 'missing');
    assert.equal(fake.received.length, 1);
  });

  test(`fake ${kind} – wrong secret under the right scheme → 401, echo says wrong`, async (t) => {
    const fake = await start(t, kind);
    const scheme = fake.expectedCredential.split(' ')[0] ?? '';
    const res = await request(`${fake.url}${UNAUTHORISED[kind].path}`, { headers: { authorization: `${scheme} ${fake.credentialSecret}x` } });
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers['x-fake-received-credential'], 'wrong');
    await res.body.dump();
  });

  test(`fake ${kind} – credential echoed anywhere in the request → never in the answer`, async (t) => {
    const fake = await start(t, kind);
    const secret = fake.credentialSecret;
    const res = await request(`${fake.url}${UNAUTHORISED[kind].path}?leak=${encodeURIComponent(secret)}&raw=${secret}`, {
      headers: { authorization: fake.expectedCredential, cookie: `s=${secret}`, 'x-api-key': secret, 'x-innocent': `v ${secret} v`, 'x-other': 'kept' },
    });
    const text = await res.body.text();
    assert.equal(res.statusCode, 200);
    const everything = `${JSON.stringify(res.headers)}\n${text}`;
    assert.equal(everything.includes(secret), false);
    const echo = (JSON.parse(text) as { _received: { credential: string; headers: Record<string, string> } })._received;
    assert.equal(echo.credential, 'present');
    assert.equal(echo.headers.authorization, REDACTED);
    assert.equal(echo.headers.cookie, REDACTED);
    assert.equal(echo.headers['x-api-key'], REDACTED);
    assert.equal(echo.headers['x-innocent'], `v ${REDACTED} v`);
    assert.equal(echo.headers['x-other'], 'kept');
    // The in-process record keeps the credential: tests assert the gateway injected it.
    assert.equal(fake.received[0]?.headers.authorization, fake.expectedCredential);
  });
}

test('fake – received records method, raw target, headers, raw headers and body exactly', async (t) => {
  const fake = await start(t, 'github');
  const body = '{"body":"LGTM \u00e9"}';
  const bytes = Buffer.from(body, 'utf8');
  const answer = await raw(fake.url, [
    'POST //repos/acme/app/issues/7/../7/comments?x=%2F&y=a%20b HTTP/1.1',
    'Host: upstream.test',
    `Authorization: Bearer ${GITHUB_DEMO_TOKEN}`,
    'X-Custom-Case: One',
    'X-Custom-Case: Two',
    'Content-Type: application/json',
    `Content-Length: ${bytes.length}`,
    'Connection: close',
    '', '',
  ].join('\r\n') + body);
  assert.match(answer, /^HTTP\/1\.1 404 /);
  assert.equal(fake.received.length, 1);
  const got = fake.received[0];
  assert.ok(got);
  assert.equal(got.method, 'POST');
  assert.equal(got.target, '//repos/acme/app/issues/7/../7/comments?x=%2F&y=a%20b');
  assert.deepEqual(got.rawHeaders, ['Host', 'upstream.test', 'Authorization', `Bearer ${GITHUB_DEMO_TOKEN}`, 'X-Custom-Case', 'One', 'X-Custom-Case', 'Two', 'Content-Type', 'application/json', 'Content-Length', String(bytes.length), 'Connection', 'close']);
  assert.equal(got.headers['x-custom-case'], 'One, Two');
  assert.equal(got.headers.host, 'upstream.test');
  assert.deepEqual(got.body, bytes);
  assert.ok(Math.abs(got.at - Date.now()) < 5000);
  assert.match(answer, /x-fake-received-path: \/\/repos\/acme\/app\/issues\/7\/\.\.\/7\/comments\?x=%2F&y=a%20b\r\n/);
});

test('fake – two authorization headers, even both correct → 401 wrong', async (t) => {
  const fake = await start(t, 'stripe');
  const answer = await raw(fake.url, `GET /v1/balance HTTP/1.1\r\nHost: x\r\nAuthorization: ${fake.expectedCredential}\r\nAuthorization: ${fake.expectedCredential}\r\nConnection: close\r\n\r\n`);
  assert.match(answer, /^HTTP\/1\.1 401 /);
  assert.match(answer, /x-fake-received-credential: wrong/);
});

test('fake github – "token <t>" and a lower-case scheme are accepted', async (t) => {
  const fake = await start(t, 'github');
  for (const authorization of [`token ${GITHUB_DEMO_TOKEN}`, `bearer ${GITHUB_DEMO_TOKEN}`]) {
    const res = await request(`${fake.url}/user`, { headers: { authorization } });
    assert.equal(res.statusCode, 200);
    await res.body.dump();
  }
});

test('fake – credential option as a bare secret or a full header value → required instead of the demo value', async (t) => {
  const bare = await start(t, 'stripe', { credential: 'sk_test_custom' });
  const full = await start(t, 'stripe', { credential: 'Bearer sk_test_custom' });
  for (const fake of [bare, full]) {
    assert.equal(fake.expectedCredential, 'Bearer sk_test_custom');
    assert.equal(fake.credentialSecret, 'sk_test_custom');
    const ok = await request(`${fake.url}/v1/balance`, { headers: { authorization: 'Bearer sk_test_custom' } });
    assert.equal(ok.statusCode, 200);
    await ok.body.dump();
  }
});

test('fake zendesk – decoded Basic credential and bare API token in the request → never echoed', async (t) => {
  const fake = await start(t, 'zendesk');
  const decoded = Buffer.from(fake.credentialSecret, 'base64').toString('utf8');
  assert.ok(decoded.endsWith(`:${ZENDESK_DEMO_TOKEN}`));
  const res = await request(`${fake.url}/api/v2/tickets/42.json?a=${encodeURIComponent(decoded)}&b=${ZENDESK_DEMO_TOKEN}`, { headers: { authorization: fake.expectedCredential } });
  const text = await res.body.text();
  assert.equal(res.statusCode, 200);
  assert.equal(text.includes(ZENDESK_DEMO_TOKEN), false);
  assert.equal(String(res.headers['x-fake-received-path']).includes(ZENDESK_DEMO_TOKEN), false);
});

test('fake behaviour delayMs – answer arrives no sooner than the delay', async (t) => {
  const fake = await start(t, 'terraform', { behaviour: { delayMs: 150 } });
  const t0 = performance.now();
  const res = await request(`${fake.url}/api/v2/workspaces/ws-prod`, { headers: { authorization: fake.expectedCredential } });
  await res.body.dump();
  assert.equal(res.statusCode, 200);
  assert.ok(performance.now() - t0 >= 140, 'answered before the delay');
  assert.equal(fake.received.length, 1);
});

test('fake behaviour delayMs – close() while an answer is pending → resolves and drops it', async (t) => {
  const fake = await start(t, 'github', { behaviour: { delayMs: 60_000 } });
  const pending = request(`${fake.url}/user`, { headers: { authorization: fake.expectedCredential } });
  while (fake.received.length === 0) await new Promise((r) => setTimeout(r, 5));
  await fake.close();
  await assert.rejects(pending, (e: { code?: string }) => e.code === 'UND_ERR_SOCKET');
});

test('fake behaviour redirectTo – every request, even unauthenticated → 307 with Location, recorded', async (t) => {
  const fake = await start(t, 'deploy', { behaviour: { redirectTo: 'http://169.254.169.254/latest/meta-data/' } });
  const res = await request(`${fake.url}/apis/apps/v1/namespaces/staging/deployments`, { method: 'DELETE' });
  await res.body.dump();
  assert.equal(res.statusCode, 307);
  assert.equal(res.headers.location, 'http://169.254.169.254/latest/meta-data/');
  assert.equal(res.headers['x-fake-upstream'], 'deploy');
  assert.equal(fake.received[0]?.method, 'DELETE');
});

test('fake behaviour closeAbruptly – connection closed with no response, request still recorded', async (t) => {
  const fake = await start(t, 'stripe', { behaviour: { closeAbruptly: true } });
  await assert.rejects(
    request(`${fake.url}/v1/refunds`, { method: 'POST', body: 'charge=ch_3PdemoA1', headers: { authorization: fake.expectedCredential, 'content-type': 'application/x-www-form-urlencoded' } }),
    (e: { code?: string }) => e.code === 'UND_ERR_SOCKET',
  );
  assert.equal(fake.received.length, 1);
  assert.equal(fake.received[0]?.body.toString(), 'charge=ch_3PdemoA1');
});

test('startFakeUpstream – invalid options and kinds → FakeUpstreamError with its code', async () => {
  const cases: [FakeKind, FakeUpstreamOptions, string][] = [
    ['github', { behaviour: { delayMs: -1 } }, 'ERR_FAKE_UPSTREAM_OPTION'],
    ['github', { behaviour: { delayMs: 1.5 } }, 'ERR_FAKE_UPSTREAM_OPTION'],
    ['github', { behaviour: { redirectTo: '/relative' } }, 'ERR_FAKE_UPSTREAM_OPTION'],
    ['github', { behaviour: { redirectTo: 'file:///etc/passwd' } }, 'ERR_FAKE_UPSTREAM_OPTION'],
    ['github', { credential: '' }, 'ERR_FAKE_UPSTREAM_OPTION'],
    ['github', { credential: 'two words' }, 'ERR_FAKE_UPSTREAM_OPTION'],
    ['github', { port: 70000 }, 'ERR_FAKE_UPSTREAM_OPTION'],
    ['gitlab' as FakeKind, {}, 'ERR_FAKE_UPSTREAM_KIND'],
    ['toString' as FakeKind, {}, 'ERR_FAKE_UPSTREAM_KIND'],
  ];
  for (const [kind, opts, code] of cases) {
    await assert.rejects(startFakeUpstream(kind, opts), (e: { code?: string }) => e.code === code, `${kind} ${JSON.stringify(opts)}`);
  }
});

test('startFakeUpstreams – one fake per kind on distinct loopback ports; close() stops them all', async () => {
  const fakes = await startFakeUpstreams();
  const urls = FAKE_KINDS.map((k) => fakes[k].url);
  assert.equal(new Set(urls).size, FAKE_KINDS.length);
  for (const k of FAKE_KINDS) {
    assert.equal(fakes[k].kind, k);
    assert.match(fakes[k].url, /^http:\/\/127\.0\.0\.1:\d+$/);
  }
  await fakes.close();
  await fakes.close();
  await assert.rejects(request(`${fakes.github.url}/user`), (e: { code?: string }) => e.code === 'ECONNREFUSED');
});
