/** The stable codes of TLS setup failures; callers branch on `code`, never on the message. */
export type TlsErrorCode =
  /** an option is missing or has the wrong type (the message names the option) */
  | 'ERR_TLS_CONFIG'
  /** a certificate / key / CA file cannot be read, does not parse, or the key does not match the certificate */
  | 'ERR_TLS_MATERIAL'
  /** an upstream CA bundle cannot be read or holds no PEM certificate */
  | 'ERR_TLS_UPSTREAM_CA';

/**
 * A TLS setup failure. Messages name the option or file path and the OpenSSL error code at most:
 * never file contents, and never key material.
 */
export class TlsError extends Error {
  readonly code: TlsErrorCode;
  constructor(code: TlsErrorCode, message: string) {
    super(message);
    this.name = 'TlsError';
    this.code = code;
  }
}

/**
 * A short, secret-free description of why reading or parsing TLS material failed: the Node / OpenSSL
 * error code (e.g. `ENOENT`, `ERR_OSSL_X509_KEY_VALUES_MISMATCH`), never the error message, which for
 * some PEM parse errors can quote input.
 */
export function tlsCause(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,80}$/.test(code) ? code : 'unparseable';
}
