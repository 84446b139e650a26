/**
 * In-process fake tool APIs — GitHub, a Kubernetes-style deploy API, Stripe, Zendesk and Terraform Cloud —
 * for the demo (`claiim demo`) and the integration tests. Each is a plain `node:http` server that requires
 * the credential the gateway must inject, answers a handful of endpoints as the real API does, records every
 * request exactly as received, and echoes what it received without ever echoing a credential.
 */
import { createDeployApi } from './deploy.js';
import { FakeUpstreamError } from './errors.js';
import { createGithubApi } from './github.js';
import { startFakeServer } from './server.js';
import { createStripeApi } from './stripe.js';
import { createTerraformApi } from './terraform.js';
import { FAKE_KINDS, type FakeApi, type FakeKind, type FakeUpstream, type FakeUpstreamOptions } from './types.js';
import { createZendeskApi } from './zendesk.js';

export { REDACTED } from './credential.js';
export { FakeUpstreamError, type FakeUpstreamErrorCode } from './errors.js';
export { DEPLOY_DEMO_TOKEN } from './deploy.js';
export { GITHUB_DEMO_TOKEN, GITHUB_VIEWER } from './github.js';
export { parseForm, FormError } from './form.js';
export { STRIPE_DEMO_KEY } from './stripe.js';
export { TERRAFORM_DEMO_TOKEN } from './terraform.js';
export { ZENDESK_DEMO_EMAIL, ZENDESK_DEMO_TOKEN } from './zendesk.js';
export { FAKE_KINDS };
export type { CredentialStatus, FakeBehaviour, FakeKind, FakeUpstream, FakeUpstreamOptions, ReceivedRequest } from './types.js';

const FACTORIES: Readonly<Record<FakeKind, () => FakeApi>> = Object.freeze({
  github: createGithubApi,
  deploy: createDeployApi,
  stripe: createStripeApi,
  zendesk: createZendeskApi,
  terraform: createTerraformApi,
});

/**
 * Starts one fake upstream of `kind` with fresh in-memory state, on `opts.host` (default 127.0.0.1) and
 * `opts.port` (default 0), and resolves once it listens. It requires `expectedCredential` in `authorization`
 * (GitHub: `Bearer`/`token <token>`; deploy, Stripe, Terraform: `Bearer`; Zendesk: `Basic`) and answers 401 in
 * the API's own error shape when it is missing or wrong; `opts.credential` replaces the fixed demo secret;
 * `opts.behaviour` makes it delay, redirect or drop connections (see `FakeBehaviour`).
 * Throws `FakeUpstreamError` with `ERR_FAKE_UPSTREAM_KIND` for an unknown kind and `ERR_FAKE_UPSTREAM_OPTION`
 * for an invalid option; rejects with the listen error (e.g. EADDRINUSE) when it cannot listen.
 */
export async function startFakeUpstream(kind: FakeKind, opts: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const factory = Object.hasOwn(FACTORIES, kind) ? FACTORIES[kind] : undefined;
  if (factory === undefined) throw new FakeUpstreamError('ERR_FAKE_UPSTREAM_KIND', `"kind" must be one of: ${FAKE_KINDS.join(', ')}`);
  return startFakeServer(factory(), opts);
}

/** Every kind's fake, started together, with one `close()` that stops them all. */
export type FakeUpstreams = Record<FakeKind, FakeUpstream> & { close(): Promise<void> };

/**
 * Starts one fake of every kind on ephemeral ports of `opts.host` (default 127.0.0.1), each with its fixed
 * demo credential. If any fails to start, the ones already started are closed and the error is rethrown.
 */
export async function startFakeUpstreams(opts: { host?: string } = {}): Promise<FakeUpstreams> {
  const started: FakeUpstream[] = [];
  try {
    for (const kind of FAKE_KINDS) started.push(await startFakeUpstream(kind, opts.host === undefined ? {} : { host: opts.host }));
  } catch (e) {
    await Promise.all(started.map((f) => f.close()));
    throw e;
  }
  const byKind = Object.fromEntries(started.map((f) => [f.kind, f])) as Record<FakeKind, FakeUpstream>;
  return { ...byKind, close: async () => { await Promise.all(started.map((f) => f.close())); } };
}
