import type { IncomingMessage, ServerResponse } from 'node:http';
import { ChronError, isChronError, type Chron, type ChronErrorCode } from '../chron/index.js';

/**
 * Admin-listener routes of the Chron audit log (issue 3 item 5). Only GET (and HEAD) is served;
 * other methods on these paths get 405. Bad parameters get 400 `{error: {code, message}}`.
 *
 * - `GET /chron/checkpoint` — the newest signed checkpoint, verbatim, `text/plain; charset=utf-8`
 *   (C2SP tlog-checkpoint, as tlog-tiles serves it); 404 before the first one.
 * - `GET /chron/proof/inclusion?index=N[&format=tlog-proof]` — JSON
 *   `{index, tree_size, leaf_hash, proof: [hex…], checkpoint}`, or the c2sp.org/tlog-proof@v1 file.
 * - `GET /chron/proof/consistency?from=M&to=N` — JSON `{from, to, from_root, to_root, proof: [hex…]}`.
 * - `GET /chron/entries?from=M&to=N` — JSON `{tree_size, entries: [{index, leaf_hash, record}]}` for
 *   [from, to), at most 1000 per call (default: 100 from `from`, which defaults to 0). `record` is the
 *   entry's JSON; its RFC 8785 serialisation is the exact hashed bytes.
 *
 * Returns true when it handled the request (the path is one of the above), false otherwise.
 */
export function chronAdminRoutes(chron: Chron): (req: IncomingMessage, res: ServerResponse, url: URL) => boolean {
  return (req, res, url) => {
    const route = ROUTES[url.pathname];
    if (route === undefined) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' }).end(body('ERR_CHRON_USAGE', 'only GET is allowed'));
      return true;
    }
    Promise.resolve()
      .then(() => route(chron, url.searchParams, res))
      .catch((err: unknown) => {
        if (res.headersSent) return void res.destroy();
        if (isChronError(err)) send(res, STATUS[err.code] ?? 500, body(err.code, err.message));
        else send(res, 500, body('ERR_CHRON_INTERNAL', 'internal error'));
      });
    return true;
  };
}

type Route = (chron: Chron, q: URLSearchParams, res: ServerResponse) => Promise<void> | void;

const ROUTES: Record<string, Route> = {
  '/chron/checkpoint': (chron, _q, res) => {
    const note = chron.latestCheckpoint();
    if (note === undefined) return send(res, 404, body('ERR_CHRON_NOT_FOUND', 'no checkpoint has been signed yet'));
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(note);
  },
  '/chron/proof/inclusion': async (chron, q, res) => {
    const index = param(q, 'index', true);
    const format = q.get('format');
    if (format !== null && format !== 'json' && format !== 'tlog-proof') throw usage('"format" must be "json" or "tlog-proof"');
    const p = await chron.proveInclusion(index);
    if (format === 'tlog-proof') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(p.tlogProof);
      return;
    }
    sendJson(res, { index: p.index, tree_size: p.treeSize, leaf_hash: p.leafHash, proof: p.proof, checkpoint: p.checkpoint });
  },
  '/chron/proof/consistency': (chron, q, res) => {
    const c = chron.proveConsistency(param(q, 'from', true), param(q, 'to', true));
    sendJson(res, { from: c.from, to: c.to, from_root: c.fromRoot, to_root: c.toRoot, proof: c.proof });
  },
  '/chron/entries': (chron, q, res) => {
    const size = chron.treeSize();
    const from = param(q, 'from', false) ?? 0;
    const to = param(q, 'to', false) ?? Math.min(size, from + DEFAULT_PAGE);
    if (from > to) throw usage('"from" must not exceed "to"');
    if (to - from > MAX_PAGE) throw usage(`at most ${MAX_PAGE} entries per request`);
    const entries = chron.find({ from, to, limit: MAX_PAGE }).map((e) => ({
      index: e.index, leaf_hash: e.leafHash.toString('hex'), record: JSON.parse(e.data.toString('utf8')) as unknown,
    }));
    sendJson(res, { tree_size: size, entries });
  },
};

function param(q: URLSearchParams, name: string, req: true): number;
function param(q: URLSearchParams, name: string, req: false): number | undefined;
function param(q: URLSearchParams, name: string, req: boolean): number | undefined {
  const all = q.getAll(name);
  if (all.length === 0) {
    if (req) throw usage(`"${name}" is required`);
    return undefined;
  }
  const v = all[0] as string;
  if (all.length > 1 || !/^(0|[1-9][0-9]{0,15})$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw usage(`"${name}" must be one non-negative decimal integer`);
  }
  return Number(v);
}

function usage(message: string): ChronError {
  return new ChronError('ERR_CHRON_USAGE', message);
}

function body(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

function send(res: ServerResponse, status: number, json: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(json);
}

function sendJson(res: ServerResponse, value: unknown): void {
  send(res, 200, JSON.stringify(value));
}

const STATUS: Partial<Record<ChronErrorCode, number>> = {
  ERR_CHRON_USAGE: 400,
  ERR_CHRON_RANGE: 400,
  ERR_CHRON_NOT_FOUND: 404,
  ERR_CHRON_WRITE: 503,
};
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;
