import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TlsError, tlsCause, type TlsErrorCode } from './errors.js';

const PEM_CERT = /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+?-----END CERTIFICATE-----/g;

/**
 * Reads a PEM CA bundle and checks that it holds at least one certificate and that every
 * `CERTIFICATE` block parses as X.509. Needed because `tls.createSecureContext({ ca })` silently
 * ignores a `ca` that is not PEM, which would turn a typo into "trust nothing" or, worse, be missed.
 * Precondition: `path` names a CA bundle (public material; no private keys expected).
 * @throws TlsError with `code` when the file is unreadable, empty of certificates, or malformed.
 */
export function readCaBundle(path: string, code: TlsErrorCode, what: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new TlsError(code, `${what} "${path}" cannot be read (${tlsCause(err)})`);
  }
  const blocks = bytes.toString('latin1').match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw new TlsError(code, `${what} "${path}" holds no PEM certificate`);
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw new TlsError(code, `${what} "${path}" certificate #${i + 1} does not parse (${tlsCause(err)})`);
    }
  }
  return bytes;
}
