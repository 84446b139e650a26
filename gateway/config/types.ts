import type { HttpMethod, RuleSpec } from '../../rules/index.js';
import type { ApprovalsConfig } from '../approvals/config.js';
import type { IssuerConfig } from '../identity/types.js';

/** A listener address. Port 0 picks a free port (tests). */
export interface ListenerConfig { readonly host: string; readonly port: number }

/** TLS for the agent listener (gateway/tls/): reloaded on file change; `clientCaFile` enables mTLS. */
export interface AgentTlsConfig { readonly certFile: string; readonly keyFile: string; readonly clientCaFile?: string; readonly trustDomain?: string; readonly watchIntervalMs: number }

/** Where an upstream's credential comes from and how it is sent. The secret itself is held only in `secret`, never logged. */
export interface CredentialConfig {
  readonly header: string;          // lower-case header name, e.g. 'authorization'
  readonly format: string;          // e.g. 'Bearer {secret}'
  readonly source: { readonly env: string } | { readonly file: string };
}

/** A tool API fronted by the gateway. `target` comes only from config, never from a request. */
export interface UpstreamConfig {
  readonly name: string;
  readonly mount: string;           // '/github' (no trailing slash)
  readonly target: URL;             // origin plus optional base path
  readonly aiorgs: readonly string[];
  readonly pathCase: 'sensitive' | 'insensitive';
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly credential: CredentialConfig;
  /** Host names (lower case, no port) that route to this upstream with the whole path (clients that take only a host). */
  readonly hosts: readonly string[];
  /** An extra agent listener port whose every request goes to this upstream (clients that take only host:port). */
  readonly listenPort?: number;
  /**
   * `%2F` in a path: `reject` (400, the default) or `decode` — split the segment there, evaluate and forward
   * the decoded path. Only for APIs where both spellings name the same resource (GitHub refs, which Octokit encodes).
   */
  readonly pathEncodedSlash: 'reject' | 'decode';
  /** Websocket upgrades are allowed (decided and recorded first, then proxied); default false. */
  readonly websocket: boolean;
  /** PEM CA bundle that replaces the system roots for this upstream's TLS. */
  readonly caFile?: string;
}

/** A registered non-human principal. */
export interface AgentConfig {
  readonly id: string;
  readonly aiorg: string;
  readonly anchor: string;
  readonly skills: readonly { readonly name: string; readonly range: string }[];
  /** The agent must present a client certificate naming it (mTLS), in addition to its JWT. */
  readonly requireClientCert: boolean;
}

/** An agent-to-upstream rule set, groups already expanded to agent ids. */
export interface PolicyConfig { readonly agents: readonly string[]; readonly upstream: string; readonly rules: readonly RuleSpec[] }

/** Token issuer, as handed to gateway/identity (one definition, owned there). */
export type IssuerEntry = IssuerConfig;

/** The whole validated, defaulted and frozen gateway configuration. */
export interface GatewayConfig {
  readonly file: string;
  readonly listeners: { readonly agent: ListenerConfig & { readonly tls?: AgentTlsConfig }; readonly admin: ListenerConfig };
  readonly chron: { readonly dbPath: string; readonly origin: string; readonly signingKeyFile: string; readonly checkpointIntervalMs: number };
  /** Two-person approval sessions (docs/approvals.md); absent = no sessions, `requires: approval` rules never match. */
  readonly approvals?: ApprovalsConfig;
  /** Hot reload: the config and rule files are polled every `watchIntervalMs` (0 = only on SIGHUP). */
  readonly reload: { readonly watchIntervalMs: number };
  readonly limits: { readonly maxHeaderBytes: number; readonly maxBodyBytes: number; readonly requestTimeoutMs: number; readonly maxTokenBytes: number; readonly maxConcurrentPerAgent: number; readonly shutdownGraceMs: number };
  readonly identity: { readonly issuers: readonly IssuerEntry[] };
  readonly aiorgs: readonly { readonly id: string; readonly description?: string }[];
  readonly upstreams: readonly UpstreamConfig[];
  readonly agents: readonly AgentConfig[];
  readonly policies: readonly PolicyConfig[];
}

export type { HttpMethod };
