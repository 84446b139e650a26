/**
 * The canonical header set (CASES.md "M", "H", "J13/J14/J18", "R04"): from the raw header list, decide
 * whether the request is acceptable and build exactly the headers the upstream will receive (before the
 * gateway adds its own: the injected credential and the request id). A `Content-Encoding` other than
 * `identity` is refused (415, CASES.md B09).
 */
export type HeaderReason =
  | 'duplicate_header'
  | 'ambiguous_framing'
  | 'method_override'
  | 'upgrade_not_allowed'
  | 'invalid_header'
  | 'unsupported_content_encoding';

export interface HeaderFacts {
  /** Every `Authorization` value, in order, for the authenticator. */
  readonly authorization: readonly string[];
  /** Lower-case name → every value, after stripping; what header conditions in rules see. */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  /** Flat [name, value] list to send upstream (lower-case names). */
  readonly forward: readonly (readonly [string, string])[];
  readonly contentLength: number | undefined;
  readonly chunked: boolean;
  readonly contentType: string | undefined;
  /** A websocket upgrade (GET + `Upgrade: websocket`) on an upstream that allows it. */
  readonly websocket: boolean;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-authenticate', 'http2-settings']);
const FORWARDING = new Set(['forwarded', 'x-real-ip', 'x-original-url', 'x-rewrite-url', 'x-original-host', 'x-host', 'x-client-ip', 'true-client-ip', 'client-ip', 'via']);
const CREDENTIALS = new Set(['authorization', 'cookie', 'x-api-key', 'api-key', 'apikey', 'x-auth-token', 'private-token', 'x-access-token', 'x-github-token', 'stripe-account', 'x-goog-api-key', 'x-amz-security-token']);
// Headers that make the upstream act as another account or user with the injected credential (CASES.md S14):
// Stripe's Stripe-Context supersedes Stripe-Account; Zendesk's X-On-Behalf-Of; Kubernetes' Impersonate-*.
const IDENTITY_SWITCH = new Set(['stripe-context', 'x-on-behalf-of', 'impersonate-user', 'impersonate-group', 'impersonate-uid']);
const METHOD_OVERRIDE = new Set(['x-http-method-override', 'x-http-method', 'x-method-override']);
// Set by the gateway itself, never taken from the client.
const GATEWAY_OWN = new Set(['host', 'content-length', 'expect', 'x-request-id', 'x-claiim-decision-id']);
const SINGLETON = new Set(['host', 'authorization', 'content-length', 'content-type', 'transfer-encoding']);

/**
 * Inspects `rawHeaders` (Node's flat [name, value, …] list, which keeps duplicates that `req.headers`
 * folds). `credentialHeader` is the upstream's injected-credential header, also stripped if the client sent it.
 */
export function canonicalHeaders(rawHeaders: readonly string[], credentialHeader: string | undefined, allowWebsocket = false): { ok: true; facts: HeaderFacts } | { ok: false; reason: HeaderReason } {
  const all = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value)) return { ok: false, reason: 'invalid_header' };
    const list = all.get(name);
    if (list) list.push(value); else all.set(name, [value]);
  }
  for (const name of SINGLETON) if ((all.get(name)?.length ?? 0) > 1) return { ok: false, reason: name === 'content-length' || name === 'transfer-encoding' ? 'ambiguous_framing' : 'duplicate_header' };
  for (const name of METHOD_OVERRIDE) if (all.has(name)) return { ok: false, reason: 'method_override' };
  // Upgrades bypass policy after the 101 (CASES.md H09, H10): only a websocket upgrade, only where the
  // upstream allows it, and then the upgrade request itself is decided and recorded like any other.
  const upgrade = all.get('upgrade');
  const websocket = allowWebsocket && upgrade?.length === 1 && upgrade[0]?.trim().toLowerCase() === 'websocket' && !all.has('http2-settings');
  if ((upgrade !== undefined || all.has('http2-settings')) && !websocket) return { ok: false, reason: 'upgrade_not_allowed' };

  const te = all.get('transfer-encoding')?.[0];
  const cl = all.get('content-length')?.[0];
  if (te !== undefined && cl !== undefined) return { ok: false, reason: 'ambiguous_framing' };
  if (te !== undefined && te.trim().toLowerCase() !== 'chunked') return { ok: false, reason: 'ambiguous_framing' };
  if (cl !== undefined && !/^\d{1,15}$/.test(cl.trim())) return { ok: false, reason: 'ambiguous_framing' };
  // A compressed body hides its content from body rules and could decode differently upstream (CASES.md B09):
  // only the identity coding is accepted, whatever the route (agent SDKs do not compress requests).
  for (const v of all.get('content-encoding') ?? []) for (const t of v.split(',')) if (t.trim().toLowerCase() !== 'identity') return { ok: false, reason: 'unsupported_content_encoding' };

  const named = new Set<string>();
  for (const v of all.get('connection') ?? []) for (const t of v.split(',')) { const n = t.trim().toLowerCase(); if (n) named.add(n); }

  const headers: Record<string, readonly string[]> = {};
  const forward: [string, string][] = [];
  for (const [name, values] of all) {
    if (HOP_BY_HOP.has(name) || GATEWAY_OWN.has(name) || CREDENTIALS.has(name) || FORWARDING.has(name) || IDENTITY_SWITCH.has(name)) continue;
    if (name === credentialHeader || name.startsWith('x-forwarded-') || name.includes('_') || name.startsWith('x-claiim-') || name.startsWith('impersonate-extra-')) continue;
    // `Connection: content-type` must not take away the Content-Type the body rules parsed the body under.
    if (named.has(name) && name !== 'content-type') continue;
    headers[name] = values;
    for (const v of values) forward.push([name, v]);
  }
  return {
    ok: true,
    facts: {
      authorization: all.get('authorization') ?? [],
      headers,
      forward,
      contentLength: cl === undefined ? undefined : Number(cl.trim()),
      chunked: te !== undefined,
      contentType: all.get('content-type')?.[0],
      websocket,
    },
  };
}

/**
 * Whether an upstream response header may be relayed to the agent: not hop-by-hop (RFC 9110 §7.6.1), not
 * named in the response's own `Connection` header (`connectionNamed`, from connectionNamedIn).
 */
export function relayableResponseHeader(name: string, connectionNamed?: ReadonlySet<string>): boolean {
  const n = name.toLowerCase();
  return !HOP_BY_HOP.has(n) && connectionNamed?.has(n) !== true;
}

/** The header names a `Connection` header value lists, lower case (empty set for none). */
export function connectionNamedIn(value: string | readonly string[] | undefined): ReadonlySet<string> {
  const out = new Set<string>();
  if (value === undefined) return out;
  for (const v of typeof value === 'string' ? [value] : value) for (const t of v.split(',')) { const n = t.trim().toLowerCase(); if (n) out.add(n); }
  return out;
}

/**
 * True if a response header value carries `secret` (the upstream credential the gateway injected): an
 * upstream that reflects request headers must not hand the agent the credential it never holds.
 */
export function echoesSecret(value: string | readonly string[], secret: string): boolean {
  if (typeof value === 'string') return value.includes(secret);
  for (const v of value) if (v.includes(secret)) return true;
  return false;
}

/**
 * The bare secret inside a formatted credential header value (`xyz` of `Bearer xyz` for format
 * `Bearer {secret}`): what an upstream echo must not hand back. The whole value when it cannot be cut out.
 */
export function bareSecret(format: string, formatted: string): string {
  const [prefix = '', suffix = ''] = format.split('{secret}');
  const bare = formatted.startsWith(prefix) && formatted.endsWith(suffix) ? formatted.slice(prefix.length, formatted.length - suffix.length) : '';
  return bare === '' ? formatted : bare;
}

/**
 * The upstream response headers the agent may receive (HTTP and websocket answers alike): not hop-by-hop,
 * not named in the response's own Connection header, and none whose value carries `bare` (the injected secret).
 */
export function relayableResponseHeaders<V extends string | string[]>(headers: Readonly<Record<string, V | undefined>>, bare: string): Record<string, V> {
  const named = headers.connection === undefined ? undefined : connectionNamedIn(headers.connection);
  const out: Record<string, V> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || !relayableResponseHeader(name, named) || echoesSecret(value, bare)) continue;
    out[name] = value;
  }
  return out;
}
