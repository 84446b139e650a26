import type { UpstreamConfig } from './config/types.js';

/** How a request reached its upstream (recorded nowhere secret; useful in logs and tests). */
export type RouteKind = 'port' | 'host' | 'mount';

/**
 * Picks the upstream for a canonical path, in this order: the upstream that owns the listener port the
 * request arrived on (`listen_port`), then the upstream whose `hosts` contain the request's Host (lower
 * case, port removed), then the first path segment (`/<mount>/<rest>`). Port and host routes keep the
 * whole path; a mount route removes the mount. The target URL is always the configured one: nothing in the
 * request (Host, X-Forwarded-Host, an absolute-form target) can name a destination, it can only select
 * among configured upstreams.
 */
export class Router {
  readonly #byMount: ReadonlyMap<string, UpstreamConfig>;
  readonly #byHost: ReadonlyMap<string, UpstreamConfig>;
  readonly #byPort = new Map<number, UpstreamConfig>();

  constructor(upstreams: readonly UpstreamConfig[]) {
    this.#byMount = new Map(upstreams.map((u) => [u.mount.slice(1), u]));
    this.#byHost = new Map(upstreams.flatMap((u) => u.hosts.map((h) => [h, u] as const)));
  }

  /** Binds an actual listening port (port 0 resolved) to the upstream that asked for its own listener. */
  bindPort(port: number, upstream: UpstreamConfig): void {
    this.#byPort.set(port, upstream);
  }

  /** `path` is canonical (starts with '/', no empty segments). `rest` is '/' when the mount itself is asked for. */
  route(path: string, host: string | undefined, localPort: number | undefined): { upstream: UpstreamConfig; rest: string; kind: RouteKind } | undefined {
    const byPort = localPort === undefined ? undefined : this.#byPort.get(localPort);
    if (byPort) return { upstream: byPort, rest: path, kind: 'port' };
    if (host !== undefined && this.#byHost.size > 0) {
      const name = host.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
      const byHost = this.#byHost.get(name);
      if (byHost) return { upstream: byHost, rest: path, kind: 'host' };
    }
    const end = path.indexOf('/', 1);
    const first = end === -1 ? path.slice(1) : path.slice(1, end);
    const upstream = this.#byMount.get(first);
    if (!upstream) return undefined;
    return { upstream, rest: end === -1 ? '/' : path.slice(end), kind: 'mount' };
  }
}
