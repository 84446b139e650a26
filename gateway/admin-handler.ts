import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Chron } from '../chron/index.js';
import { chronAdminRoutes } from './admin-chron-routes.js';
import type { Authenticator } from './identity/index.js';
import type { GatewayMetrics } from './metrics.js';

/**
 * The admin listener (loopback by default): `/healthz` (process alive), `/readyz` (config loaded, keys
 * loaded, Chron writable), `/metrics` (Prometheus) and the Chron read API. Nothing here is reachable on the agent listener.
 */
export function createAdminHandler(deps: { chron: Chron; chronWritable: () => boolean; auth: () => Authenticator; policyDigest: () => string; metrics: GatewayMetrics; extraRoutes?: readonly ((req: IncomingMessage, res: ServerResponse, url: URL) => boolean)[] }): (req: IncomingMessage, res: ServerResponse) => void {
  const chronRoutes = chronAdminRoutes(deps.chron);
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    if (req.method === 'GET' && url.pathname === '/healthz') return json(res, 200, { status: 'ok' });
    if (req.method === 'GET' && url.pathname === '/readyz') {
      const checks = { config: true, keys: deps.auth().ready(), chron: deps.chronWritable() };
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

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}
