import type { Duplex } from 'node:stream';
import type { Chron } from '../chron/index.js';
import type { Logger } from './log.js';
import { newId, type DecisionEntry } from './records.js';
import { answerBody, statusOf } from './reasons.js';
import { answeredSockets, framingFailures, refusedSockets } from './agent-handler.js';

/**
 * Requests that Node's strict HTTP parser refuses (smuggling attempts, bad framing, oversize headers,
 * header timeouts) never become a request event. They are still recorded (CASES.md L02): a
 * `chron.decision/v1` entry with reason `malformed_request` (or `headers_too_large`, `request_timeout`) and the
 * parser's error code as `detail`, made durable before the 4xx is written and the connection closed.
 */
export function createClientErrorHandler(deps: { chron: Chron; log: Logger; now: () => number; policyDigest: () => string }): (err: Error & { code?: string }, socket: Duplex) => void {
  return (err, socket) => {
    // Node reports the error again for every later chunk of a connection it has given up on: once is enough.
    if (refusedSockets.has(socket)) return;
    if (err.code === 'ECONNRESET' || !socket.writable) { socket.destroy(); return; }
    // The handler already answered this request or is forwarding it (the parser failed on what followed):
    // let an answer flush, then end the connection; nothing new to record here.
    // A body being streamed upstream is aborted now; its outcome entry says malformed_request.
    if (answeredSockets.has(socket)) {
      framingFailures.get(socket)?.();
      socket.end();
      setTimeout(() => socket.destroy(), 1_000).unref();
      return;
    }
    refusedSockets.add(socket);
    const reason = err.code === 'HPE_HEADER_OVERFLOW' ? 'headers_too_large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'request_timeout' : 'malformed_request';
    const status = statusOf(reason);
    const entry: DecisionEntry = {
      type: 'chron.decision/v1', decision_id: newId(), request_id: newId(), time: new Date(deps.now()).toISOString(),
      agent: null, aiorg: null, anchor: null, skill: null, upstream: null, method: '', path: null, raw_path: null, raw_path_sha256: null, query_sha256: null,
      effect: 'deny', rule_id: 'pre_policy', reason, detail: /^[A-Z0-9_]{1,64}$/.test(err.code ?? '') ? (err.code ?? null) : null, status,
      policy_digest: deps.policyDigest(), body_sha256: null, shadow: [], approval: null,
    };
    const answer = (code: number, fields: Parameters<typeof answerBody>[0]): void => {
      const text = JSON.stringify(answerBody(fields));
      if (socket.writable) socket.end(`HTTP/1.1 ${code} ${code === 503 ? 'Service Unavailable' : code === 431 ? 'Request Header Fields Too Large' : code === 408 ? 'Request Timeout' : 'Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
    };
    deps.chron.append(entry).then(
      ({ index }) => answer(status, { effect: 'deny', status, reason, rule_id: 'pre_policy', decision_id: entry.decision_id, chron_index: index, detail: entry.detail }),
      () => { deps.log.error({ msg: 'chron_append_failed', decision_id: entry.decision_id }); answer(503, { effect: 'deny', status: 503, reason: 'chron_unavailable', decision_id: entry.decision_id }); },
    );
  };
}
