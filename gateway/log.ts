import { destination as pinoDestination, pino, stdTimeFunctions } from 'pino';

/** Structured JSON logging. Call sites pass objects with a `msg`; never a token, key, credential, header value or body. */
export interface Logger {
  info(fields: Record<string, unknown> & { msg: string }): void;
  error(fields: Record<string, unknown> & { msg: string }): void;
}

/** A Logger that owns its output buffer: `flush` resolves once every line logged so far is written. */
export interface FlushingLogger extends Logger {
  flush(): Promise<void>;
}

/** Lines are written in chunks of about this many bytes… */
export const LOG_CHUNK_BYTES = 4096;
/** …and never later than this many ms after they were logged (error lines at once, everything on exit). */
export const LOG_FLUSH_MS = 250;

/**
 * A pino logger writing one JSON line per call to stdout (or `destination`, a file descriptor).
 * `level` 'silent' turns it off (tests). The only importer of pino.
 *
 * Buffered: info lines are collected into writes of ≈ LOG_CHUNK_BYTES (one `write` per ≈ 15 request
 * lines instead of one per request — ≈ 8 % of the gateway's CPU per request in bench/README.md) and
 * flushed at the latest LOG_FLUSH_MS later by a timer; an error line flushes at once; pino flushes
 * synchronously on process exit. A SIGKILL can lose the last LOG_FLUSH_MS of info lines; the audit
 * record is Chron, which is durable before a request moves on, not this log. `flushMs` overrides
 * LOG_FLUSH_MS (tests use a long one to tell the error flush from the timer's).
 */
export function createLogger(level: 'info' | 'error' | 'silent' = 'info', destination = 1, flushMs = LOG_FLUSH_MS): FlushingLogger {
  const dest = pinoDestination({ dest: destination, sync: false, minLength: LOG_CHUNK_BYTES });
  const p = pino({ level, base: { service: 'claiim' }, timestamp: stdTimeFunctions.isoTime }, dest);
  const infoOn = p.isLevelEnabled('info');
  const errorOn = p.isLevelEnabled('error');
  let pending = false;
  const timer = setInterval(() => {
    if (!pending) return;
    pending = false;
    dest.flush();
  }, flushMs);
  timer.unref();
  return {
    info: (f) => {
      p.info(f);
      pending ||= infoOn;
    },
    error: (f) => {
      p.error(f);
      if (!errorOn) return;
      pending = false;
      dest.flush();
    },
    flush: () => new Promise((resolve) => {
      pending = false;
      dest.flush(() => resolve());
    }),
  };
}
