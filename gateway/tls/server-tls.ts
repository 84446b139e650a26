import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import type { Server } from 'node:https';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { TlsError, tlsCause } from './errors.js';
import { readCaBundle } from './pem-bundle.js';

/** Where the agent listener's TLS material lives and how it is watched. */
export interface ServerTlsOptions {
  /** PEM server certificate (chain: leaf first) */
  certFile: string;
  /** PEM private key of `certFile` (should be mode 0600) */
  keyFile: string;
  /** PEM CA bundle that client certificates are verified against; required when `requestClientCert` */
  clientCaFile?: string;
  /** ask clients for a certificate (mTLS); a missing or unverified one does not fail the handshake */
  requestClientCert: boolean;
  /** how often the files are polled for changes; default 5000, minimum 10 */
  watchIntervalMs?: number;
  /** told after each reload attempt triggered by a file change; `error` is secret-free (path + error code) */
  onReload?: (ok: boolean, error?: string) => void;
}

/** Options for `https.createServer`, as built from the currently loaded files. */
export type ServerTlsContextOptions = SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean };

/** The agent listener's TLS material, loaded once and reloaded on file change. */
export interface ServerTls {
  /** options for `https.createServer` from the currently loaded files */
  options(): ServerTlsContextOptions;
  /** start applying reloaded material to `server` via `server.setSecureContext` (existing connections keep theirs) */
  attach(server: Server): void;
  /** stop watching the files; attached servers keep the context they have */
  close(): void;
}

interface Material { cert: Buffer; key: Buffer; ca?: Buffer }

/**
 * Loads the server certificate, key and (for mTLS) client CA, and validates them together (the key
 * must match the certificate; the CA bundle must parse). After `attach`, the files are polled with
 * `fs.watchFile` (it follows symlinks, so Kubernetes secret swaps work); on a change the material is
 * reloaded and, only if it is valid, installed with `server.setSecureContext`: new handshakes get the
 * new certificate, open connections are untouched, and invalid files leave the old context in place
 * (`onReload(false, …)`). A half-finished rotation (new cert, old key) therefore fails and is retried
 * on the next change.
 *
 * `rejectUnauthorized` is false on purpose: a client certificate is optional at the TLS layer and
 * required per agent (`require_client_cert`), enforced with `agentFromClientCert` (`socket.authorized`).
 * Minimum protocol TLS 1.2.
 * @throws TlsError `ERR_TLS_CONFIG` for a bad option, `ERR_TLS_MATERIAL` when the files are unusable.
 */
export function createServerTls(opts: ServerTlsOptions): ServerTls {
  validate(opts);
  const interval = opts.watchIntervalMs ?? 5000;
  let current = load(opts);
  const servers = new Set<Server>();
  const files = [opts.certFile, opts.keyFile, ...(opts.clientCaFile === undefined ? [] : [opts.clientCaFile])];
  let watching = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const reload = (): void => {
    timer = undefined;
    if (closed) return;
    let next: Material;
    try {
      next = load(opts);
    } catch (err) {
      opts.onReload?.(false, err instanceof TlsError ? err.message : `TLS reload failed (${tlsCause(err)})`);
      return;
    }
    if (same(next, current)) return;
    try {
      for (const s of servers) s.setSecureContext(contextOptions(next));
    } catch (err) {
      opts.onReload?.(false, `TLS context could not be installed (${tlsCause(err)})`);
      return;
    }
    current = next;
    opts.onReload?.(true);
  };
  // Cert and key are usually replaced one after the other: wait one more interval so both are seen together.
  const onChange = (now: Stats, before: Stats): void => {
    if (now.mtimeMs === before.mtimeMs && now.ino === before.ino && now.size === before.size) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(reload, interval);
    timer.unref();
  };

  return {
    options: () => ({ ...contextOptions(current), requestCert: opts.requestClientCert, rejectUnauthorized: false }),
    attach(server) {
      if (closed) throw new TlsError('ERR_TLS_CONFIG', 'attach() called after close()');
      servers.add(server);
      if (watching) return;
      watching = true;
      for (const f of files) watchFile(f, { interval, persistent: false }, onChange);
    },
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      for (const f of files) unwatchFile(f, onChange);
      servers.clear();
    },
  };
}

function validate(opts: ServerTlsOptions): void {
  const bad = (m: string): never => { throw new TlsError('ERR_TLS_CONFIG', m); };
  if (typeof opts.certFile !== 'string' || opts.certFile === '') bad('"certFile" must be a non-empty string');
  if (typeof opts.keyFile !== 'string' || opts.keyFile === '') bad('"keyFile" must be a non-empty string');
  if (typeof opts.requestClientCert !== 'boolean') bad('"requestClientCert" must be a boolean');
  if (opts.clientCaFile !== undefined && (typeof opts.clientCaFile !== 'string' || opts.clientCaFile === '')) bad('"clientCaFile" must be a non-empty string');
  // Without a CA of our own, client certificates would be verified against the public web roots.
  if (opts.requestClientCert && opts.clientCaFile === undefined) bad('"clientCaFile" is required when "requestClientCert" is true');
  const i = opts.watchIntervalMs;
  if (i !== undefined && (!Number.isSafeInteger(i) || i < 10)) bad('"watchIntervalMs" must be an integer >= 10');
}

function load(opts: ServerTlsOptions): Material {
  const read = (what: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new TlsError('ERR_TLS_MATERIAL', `${what} "${path}" cannot be read (${tlsCause(err)})`);
    }
  };
  const m: Material = { cert: read('certificate file', opts.certFile), key: read('key file', opts.keyFile) };
  if (opts.clientCaFile !== undefined) m.ca = readCaBundle(opts.clientCaFile, 'ERR_TLS_MATERIAL', 'client CA file');
  try {
    createSecureContext(contextOptions(m));
  } catch (err) {
    throw new TlsError('ERR_TLS_MATERIAL', `certificate "${opts.certFile}" and key "${opts.keyFile}" are not a usable pair (${tlsCause(err)})`);
  }
  return m;
}

function contextOptions(m: Material): SecureContextOptions {
  return { cert: m.cert, key: m.key, ...(m.ca === undefined ? {} : { ca: m.ca }), minVersion: 'TLSv1.2' };
}

function same(a: Material, b: Material): boolean {
  return a.cert.equals(b.cert) && a.key.equals(b.key) && (a.ca === undefined ? b.ca === undefined : b.ca !== undefined && a.ca.equals(b.ca));
}
