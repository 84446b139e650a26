/**
 * The benchmark's upstream (bench child): a bare node:http server that reads and discards any request
 * body and answers every request 200 with the same small JSON body. Keep-alive, no per-request work,
 * so the side-by-side rows measure the proxy, not the upstream. Reports its URL over IPC.
 * Run by bench/run.js; `node dist/bench/fake-upstream.js` alone refuses (no IPC channel).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { reportUrl, stopOnSignal } from './procs.js';

const BODY = Buffer.from('{"ok":true,"id":1234,"name":"bench","items":[1,2,3]}');

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
    res.end(BODY);
  });
});
server.listen(0, '127.0.0.1', () => reportUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
stopOnSignal(() => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }));
