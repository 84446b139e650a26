import type { TLSSocket } from 'node:tls';

/** `spiffe://<trust-domain>/agent/<id>`; trust-domain charset per SPIFFE-ID §2.1, id limited to a safe alphabet. */
const AGENT_URI = /^spiffe:\/\/([a-z0-9._-]{1,255})\/agent\/([A-Za-z0-9][A-Za-z0-9._-]{0,127})$/;

/**
 * The agent id named by the client certificate on `socket`, or undefined.
 *
 * Returns an id if and only if: the peer presented a certificate, the handshake verified it against
 * the listener's client CA (`socket.authorized`, which also covers validity dates), its SAN holds
 * exactly one URI (SPIFFE X509-SVID §2: one URI SAN), and that URI is
 * `spiffe://<trust-domain>/agent/<id>` — with `<trust-domain>` equal to `opts.trustDomain` when given.
 * A SAN that Node had to quote (a value with `,` or `"` in it) is refused rather than parsed: no
 * certificate our CA issues needs one, and refusing removes the SAN-splitting ambiguity outright.
 *
 * The caller (agent handler) compares the result with the JWT `sub` when the agent is configured
 * with `require_client_cert: true`; undefined then means deny.
 */
export function agentFromClientCert(socket: TLSSocket, opts: { trustDomain?: string } = {}): string | undefined {
  if (!socket.authorized) return undefined;
  const san = socket.getPeerX509Certificate()?.subjectAltName;
  if (san === undefined || san.includes('"')) return undefined;
  const uris = san.split(', ').filter((entry) => entry.startsWith('URI:'));
  const [uri] = uris;
  if (uris.length !== 1 || uri === undefined) return undefined;
  const m = AGENT_URI.exec(uri.slice('URI:'.length));
  if (m === null) return undefined;
  if (opts.trustDomain !== undefined && m[1] !== opts.trustDomain) return undefined;
  return m[2];
}
