/**
 * The "bare Node + undici" reference proxy (bench child): node:http in, one keep-alive undici Pool out,
 * headers relayed minus hop-by-hop, bodies streamed both ways. No routing, auth, rules or records: the
 * floor any Node proxy pays, to which the gateway is compared. Usage (by bench/run.js): bare-proxy.js UPSTREAM_URL.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Pool } from 'undici';
import { reportUrl, stopOnSignal } from './procs.js';

const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);
const target = process.argv[2];
if (target === undefined) throw new Error('usage: bare-proxy.js UPSTREAM_URL');
const pool = new Pool(target, { connections: 128, pipelining: 1, keepAliveTimeout: 4_000 });

const server = createServer((req, res) => {
  const headers: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] as string).toLowerCase();
    if (!HOP.has(name)) headers.push(name, req.rawHeaders[i + 1] as string);
  }
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  pool.request({ path: req.url ?? '/', method: (req.method ?? 'GET') as 'GET', headers, body: hasBody ? req : null })
    .then(async (answer) => {
      const out: Record<string, string | string[]> = {};
      for (const [n, v] of Object.entries(answer.headers)) if (v !== undefined && !HOP.has(n)) out[n] = v;
      res.writeHead(answer.statusCode, out);
      await pipeline(answer.body, res);
    })
    .catch(() => { if (!res.headersSent) { res.writeHead(502); res.end(); } else res.destroy(); });
});
server.listen(0, '127.0.0.1', () => reportUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
stopOnSignal(async () => {
  await new Promise<void>((r) => { server.close(() => r()); server.closeIdleConnections(); });
  await pool.close();
});
