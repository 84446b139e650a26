/**
 * The shared vocabulary of the in-process fake tool APIs (the demo's upstreams and the integration tests'
 * recording upstreams): what a fake received, what it answers, and what one fake API must define.
 */

/** The tool APIs the demo and the tests fake. */
export type FakeKind = 'github' | 'deploy' | 'stripe' | 'zendesk' | 'terraform';

/** Every kind, in a stable order (the order `startFakeUpstreams` starts them in). */
export const FAKE_KINDS: readonly FakeKind[] = Object.freeze(['github', 'deploy', 'stripe', 'zendesk', 'terraform']);

/**
 * One request exactly as the fake received it. `target` is the raw request-target (path and query, not
 * decoded or normalised); `headers` is Node's parsed view (lower-case names, duplicates joined per Node's
 * rules) and `rawHeaders` the name/value list in wire order and case; `body` is every byte received;
 * `at` is the wall-clock time (ms since the epoch) when the whole body had arrived.
 * It holds the injected credential unredacted: it is for in-process assertions, never for output.
 */
export interface ReceivedRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly at: number;
}

/** How the credential the gateway must inject compared with the one the fake requires. */
export type CredentialStatus = 'present' | 'missing' | 'wrong';

/** Test hooks that make a fake misbehave; each applies to every request once its body has been read. */
export interface FakeBehaviour {
  /** Wait this many milliseconds before answering (or before `closeAbruptly`). Integer ≥ 0. */
  readonly delayMs?: number;
  /** Answer every request with `307 Temporary Redirect` and `Location: <redirectTo>` (an absolute http(s) URL). */
  readonly redirectTo?: string;
  /** Destroy the connection instead of answering: the client sees the socket close with no response. */
  readonly closeAbruptly?: boolean;
}

/** A running fake upstream. `received` grows by one entry per request, in arrival order. */
export interface FakeUpstream {
  readonly kind: FakeKind;
  /** `http://HOST:PORT`, no trailing slash. */
  readonly url: string;
  readonly received: ReceivedRequest[];
  /** The exact `authorization` header value the fake requires, e.g. `Bearer ghp_demo_not_a_real_token`. */
  readonly expectedCredential: string;
  /** `expectedCredential` without its scheme: what a gateway's credential `format` fills in as `{secret}`. */
  readonly credentialSecret: string;
  /** Stops listening and destroys open connections; pending delayed answers are dropped. Idempotent. */
  close(): Promise<void>;
}

/** Options of `startFakeUpstream`. */
export interface FakeUpstreamOptions {
  /** Interface to listen on; default `127.0.0.1`. */
  readonly host?: string;
  /** Port to listen on; default 0 (an ephemeral port). */
  readonly port?: number;
  /**
   * The credential to require instead of the kind's fixed demo value: either the secret alone
   * (`sk_test_x`) or the full header value with one of the kind's schemes (`Bearer sk_test_x`).
   */
  readonly credential?: string;
  readonly behaviour?: FakeBehaviour;
}

/** One request as a fake API's handlers see it: the recorded request plus its parsed path and query. */
export interface FakeRequest {
  readonly method: string;
  /** The raw path (the target before `?`), not decoded. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body: Buffer;
  readonly credential: CredentialStatus;
}

/**
 * What a handler answers. `json` is serialised with the API's content type; `text` is sent as is.
 * `echo` adds members to the `_received` echo (e.g. Stripe's parsed form); it is scrubbed like the rest.
 */
export interface FakeReply {
  readonly status: number;
  readonly echo?: Readonly<Record<string, unknown>>;
  readonly json?: unknown;
  readonly text?: string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Path parameters captured by a route template, already percent-decoded. */
export type RouteParams = Readonly<Record<string, string>>;

/** The definition of one fake API. A fresh instance (with its own in-memory state) is made per fake. */
export interface FakeApi {
  readonly kind: FakeKind;
  /** Accepted `authorization` schemes, lower-case; the first is used in `expectedCredential`. */
  readonly schemes: readonly string[];
  /** The fixed demo secret required when no `credential` option is given. */
  readonly defaultSecret: string;
  /** Content type of this API's JSON answers. */
  readonly jsonContentType: string;
  /** Headers the real API sends on every answer (request ids, versions); never a secret. */
  readonly commonHeaders?: Readonly<Record<string, string>>;
  /** The API's own 401 for a missing or wrong credential. */
  unauthorized(req: FakeRequest): FakeReply;
  /** Answers an authenticated request; routes it knows nothing about get the API's own 404. */
  handle(req: FakeRequest): FakeReply;
}
