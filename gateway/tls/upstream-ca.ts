import { readCaBundle } from './pem-bundle.js';

/** TLS connect options for one upstream's keep-alive pool (undici `Pool({ connect })`). */
export interface UpstreamConnectOptions {
  /** the upstream's CA bundle (PEM); when set it REPLACES Node's bundled public roots for this upstream */
  readonly ca?: string | Buffer;
  /** always true: upstream certificates are verified, and there is no option to turn that off */
  readonly rejectUnauthorized: true;
}

/**
 * The connect options for an upstream: certificate verification always on (hostname and chain), with
 * `caFile` (a PEM bundle, read once here, at config load) as the only trust anchors when given, or
 * Node's bundled roots when not. The lead passes the result as undici `Pool` `connect` options.
 * Precondition: called once per upstream at startup / config reload, never per request.
 * @throws TlsError `ERR_TLS_UPSTREAM_CA` when `caFile` is unreadable or holds no valid PEM certificate.
 */
export function upstreamConnectOptions(caFile?: string): UpstreamConnectOptions {
  if (caFile === undefined) return Object.freeze({ rejectUnauthorized: true });
  const ca = readCaBundle(caFile, 'ERR_TLS_UPSTREAM_CA', 'upstream CA file');
  return Object.freeze({ ca, rejectUnauthorized: true });
}
