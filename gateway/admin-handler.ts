import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Chron, ChronFault } from '../chron/index.js';
import { chronAdminRoutes } from './admin-chron-routes.js';
import type { Authenticator } from './identity/index.js';
import type { GatewayMetrics } from './metrics.js';

/**
 * The admin listener (loopback by default): `/healthz` (liveness: 200 while the process can serve; 503
 * with the reason once the Chron log is closed to appends by a fault, which only a restart clears),
 * `/readyz` (config loaded, keys loaded, Chron writable), `/metrics` (Prometheus) and the Chron read
 * API. Nothing here is reachable on the agent listener.
 */
export function createAdminHandler(deps: { chron: Chron; chronWritable: () => boolean; auth: () => Authenticator; policyDigest: () => string; metrics: GatewayMetrics; extraRoutes?: readonly ((req: IncomingMessage, res: ServerResponse, url: URL) => boolean)[] }): (req: IncomingMessage, res: ServerResponse) => void {
  const chronRoutes = chronAdminRoutes(deps.chron);
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    if (req.method === 'GET' && url.pathname === '/healthz') {
      const fault = deps.chron.fault();
      return fault === undefined ? json(res, 200, { status: 'ok' }) : json(res, 503, unhealthy(fault));
    }
    if (req.method === 'GET' && url.pathname === '/readyz') {
      const checks = { config: true, keys: deps.auth().ready(), chron: deps.chronWritable() && deps.chron.fault() === undefined };
      const ok = Object.values(checks).every(Boolean);
      return json(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not_ready', checks, policy_digest: deps.policyDigest() });
    }
    if (req.method === 'GET' && url.pathname === '/metrics') {
      void deps.metrics.scrape().then(({ contentType, body }) => { res.writeHead(200, { 'content-type': contentType }); res.end(body); }, () => json(res, 500, { error: { code: 'metrics_failed', message: 'scrape failed' } }));
      return;
    }
    if (chronRoutes(req, res, url)) return;
    for (const route of deps.extraRoutes ?? []) if (route(req, res, url)) return;
    json(res, 404, { error: { code: 'not_found', message: `no admin route ${req.method ?? ''} ${url.pathname}` } });
  };
}

/** The /healthz body once Chron is closed to appends: the cause and its message (a file path at most; no secret). */
function unhealthy(fault: ChronFault): unknown {
  return { status: 'unhealthy', reason: 'chron_closed', cause: fault.cause, message: `${fault.message}; the Chron log is closed to appends until the gateway restarts` };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}
