import { destination as pinoDestination, pino, stdTimeFunctions } from 'pino';

/** Structured JSON logging. Call sites pass objects with a `msg`; never a token, key, credential, header value or body. */
export interface Logger {
  info(fields: Record<string, unknown> & { msg: string }): void;
  error(fields: Record<string, unknown> & { msg: string }): void;
}

/**
 * A pino logger writing one JSON line per call to stdout (or `destination`, a file descriptor).
 * `level` 'silent' turns it off (tests). The only importer of pino.
 */
export function createLogger(level: 'info' | 'error' | 'silent' = 'info', destination = 1): Logger {
  const p = pino({ level, base: { service: 'claiim' }, timestamp: stdTimeFunctions.isoTime }, pinoDestination({ dest: destination, sync: false }));
  return {
    info: (f) => p.info(f),
    error: (f) => p.error(f),
  };
}
