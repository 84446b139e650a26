import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import type { HeaderFacts } from './canonical/headers.js';

/**
 * Reads a request body whole, up to `limit` bytes (CASES.md B10: a rule never sees a truncated prefix).
 * Resolves `too_large` as soon as the limit is passed (without buffering the rest) and `unreadable` if the
 * client aborts or the framing breaks.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<{ ok: true; bytes: Buffer } | { ok: false; reason: 'body_too_large' | 'body_unreadable' }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: { ok: true; bytes: Buffer } | { ok: false; reason: 'body_too_large' | 'body_unreadable' }): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      resolve(r);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) { req.pause(); finish({ ok: false, reason: 'body_too_large' }); return; }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish({ ok: true, bytes: Buffer.concat(chunks, size) }));
    req.once('error', () => finish({ ok: false, reason: 'body_unreadable' }));
    req.once('aborted', () => finish({ ok: false, reason: 'body_unreadable' }));
  });
}

/** A pass-through that fails the stream once more than `limit` bytes went through (streamed bodies). */
export function limitStream(limit: number): Transform {
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
      size += chunk.length;
      if (size > limit) { cb(Object.assign(new Error('request body larger than limits.max_body_bytes'), { code: 'ERR_BODY_TOO_LARGE' })); return; }
      cb(null, chunk);
    },
  });
}

/** A form-encoded (or multipart form) body is on its way. */
export function hasFormBody(h: HeaderFacts): boolean {
  if (h.contentLength === 0 || (h.contentLength === undefined && !h.chunked)) return false;
  return /^\s*(?:application\/x-www-form-urlencoded|multipart\/form-data)\s*(?:;|$)/i.test(h.contentType ?? '');
}

/**
 * True if a form body carries a `_method` field (also as `_method[…]`): a urlencoded key after `+` and
 * percent-decoding, or a multipart part named so. Lenient on purpose: only looking, not parsing for rules.
 */
export function formMethodOverride(body: Buffer, contentType: string): boolean {
  const text = body.toString('latin1');
  if (/^\s*multipart\//i.test(contentType)) return /content-disposition:[^\r\n]*;\s*name\s*=\s*"?_method(?:["\[;\s]|$)/im.test(text);
  for (const piece of text.split('&')) {
    const eq = piece.indexOf('=');
    const key = (eq < 0 ? piece : piece.slice(0, eq)).replace(/\+/g, ' ').replace(/%([0-9a-f]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    if (key === '_method' || key.startsWith('_method[')) return true;
  }
  return false;
}
