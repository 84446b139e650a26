import type { UpstreamConfig } from './config/types.js';

/**
 * Picks the upstream from the first segment of the canonical path (`/<mount>/<rest>`). The target URL is
 * always the configured one; nothing in the request (Host, X-Forwarded-Host, absolute-form) can change it.
 */
export class Router {
  readonly #byMount: ReadonlyMap<string, UpstreamConfig>;

  constructor(upstreams: readonly UpstreamConfig[]) {
    this.#byMount = new Map(upstreams.map((u) => [u.mount.slice(1), u]));
  }

  /** `path` is canonical (starts with '/', no empty segments). `rest` is '/' when the mount itself is asked for. */
  route(path: string): { upstream: UpstreamConfig; rest: string } | undefined {
    const end = path.indexOf('/', 1);
    const first = end === -1 ? path.slice(1) : path.slice(1, end);
    const upstream = this.#byMount.get(first);
    if (!upstream) return undefined;
    return { upstream, rest: end === -1 ? '/' : path.slice(end) };
  }
}
