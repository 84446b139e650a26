import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { openChron, type Chron } from '../chron/index.js';
import type { PolicySet } from '../rules/index.js';
import { createAdminHandler } from './admin-handler.js';
import { createAgentHandler } from './agent-handler.js';
import { createClientErrorHandler } from './client-error.js';
import type { GatewayConfig } from './config/types.js';
import { Forwarder } from './forward.js';
import { createAuthenticator } from './identity/index.js';
import type { Logger } from './log.js';
import { createMetrics } from './metrics.js';
import { REASONS } from './reasons.js';
import { createServerTls } from './tls/server-tls.js';

/** A running gateway: both listeners, with their actual addresses (port 0 resolved). */
export interface RunningGateway {
  readonly agentUrl: string;
  readonly adminUrl: string;
  readonly chron: Chron;
  /** Stops accepting, lets in-flight requests finish, closes pools, flushes Chron and signs a final checkpoint. */
  close(): Promise<void>;
}

/** Optional seams for tests: an already-open Chron (e.g. read-only), a clock. */
export interface GatewayOptions { readonly chron?: Chron; readonly now?: () => number }

/**
 * The composition root: builds identity, Chron, the forwarder and both listeners from a loaded config.
 * Preconditions: `config` came from loadConfig (validated, frozen) and `secrets` from the same load.
 * Rejects (and leaves nothing listening) if a listener cannot bind or Chron cannot open.
 */
export async function startGateway(config: GatewayConfig, policySet: PolicySet, secrets: ReadonlyMap<string, string>, log: Logger, opts: GatewayOptions = {}): Promise<RunningGateway> {
  const now = opts.now ?? Date.now;
  const auth = await createAuthenticator({
    issuers: config.identity.issuers,
    agents: config.agents.map((a) => ({ id: a.id, skills: a.skills })),
    maxTokenBytes: config.limits.maxTokenBytes,
    now,
  });
  const opened = opts.chron ?? await openChron({ path: config.chron.dbPath, origin: config.chron.origin, signingKeyFile: config.chron.signingKeyFile, checkpointIntervalMs: config.chron.checkpointIntervalMs, now });
  // An auditor can fetch a signed checkpoint from the first moment (a fresh log has none yet).
  if (!opts.chron && opened.latestCheckpoint() === undefined) await opened.checkpoint();
  // Readiness follows the last append: false from the first failed write until one succeeds again.
  let writable = true;
  const metrics = createMetrics({
    agents: config.agents.map((a) => a.id),
    upstreams: config.upstreams.map((u) => u.name),
    ruleIds: ['default_deny', 'pre_policy', 'aiorg_wall', ...config.policies.flatMap((p) => p.rules.map((r) => r.id))],
    reasons: [...Object.keys(REASONS), 'shadow'],
  });
  metrics.policyReload(true, policySet.digest);
  metrics.setCheckpointAgeSource(() => {
    const last = opened.checkpoints().at(-1);
    return last ? (now() - last.createdMs) / 1000 : Number.NaN;
  });
  const append = (record: Readonly<Record<string, unknown>>): ReturnType<Chron['append']> => {
    const t0 = performance.now();
    return opened.append(record).then((r) => {
      writable = true;
      metrics.chronAppend(performance.now() - t0);
      metrics.setChronTreeSize(r.index + 1);
      return r;
    }, (err: unknown) => { writable = false; throw err; });
  };
  const chron = new Proxy(opened, {
    get(target, prop) {
      if (prop === 'append') return append;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const forwarder = new Forwarder(config.upstreams, secrets);
  const serverOptions = {
    maxHeaderSize: config.limits.maxHeaderBytes,
    requestTimeout: config.limits.requestTimeoutMs,
    headersTimeout: Math.min(config.limits.requestTimeoutMs, 20_000),
    insecureHTTPParser: false,
    joinDuplicateHeaders: false,
  };
  const handler = createAgentHandler({ config, policySet, auth, chron, forwarder, log, metrics, now });
  const tlsConfig = config.listeners.agent.tls;
  const tls = tlsConfig && createServerTls({
    certFile: tlsConfig.certFile, keyFile: tlsConfig.keyFile, watchIntervalMs: tlsConfig.watchIntervalMs,
    ...(tlsConfig.clientCaFile ? { clientCaFile: tlsConfig.clientCaFile } : {}),
    requestClientCert: tlsConfig.clientCaFile !== undefined,
    onReload: (ok, error) => (ok ? log.info({ msg: 'tls_reload', ok }) : log.error({ msg: 'tls_reload', ok, error })),
  });
  const agentServer: Server = tls ? createHttpsServer({ ...serverOptions, ...tls.options() }, handler) : createServer(serverOptions, handler);
  tls?.attach(agentServer as HttpsServer);
  agentServer.on('clientError', createClientErrorHandler({ chron, log, now, policyDigest: policySet.digest }));
  // CONNECT never reaches the 'request' event; give it the same life (405, recorded) instead of a silent close.
  agentServer.on('connect', (req: IncomingMessage, socket: Duplex) => {
    const res = new ServerResponse(req);
    res.assignSocket(socket as Socket);
    res.once('finish', () => socket.end());
    agentServer.emit('request', req, res);
  });
  const adminServer = createServer({ maxHeaderSize: 8192 }, createAdminHandler({ chron, chronWritable: () => writable, auth, policySet, metrics }));
  try {
    await listen(agentServer, config.listeners.agent.host, config.listeners.agent.port);
    await listen(adminServer, config.listeners.admin.host, config.listeners.admin.port);
  } catch (err) {
    agentServer.close();
    adminServer.close();
    tls?.close();
    await forwarder.close();
    if (!opts.chron) await chron.close();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    agentUrl: urlOf(agentServer, tls ? 'https' : 'http'),
    adminUrl: urlOf(adminServer),
    chron,
    close: () => (closing ??= (async () => {
      tls?.close();
      await Promise.all([stop(agentServer, config.limits.shutdownGraceMs), stop(adminServer, 1_000)]);
      await forwarder.close();
      await chron.close();
    })()),
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
}

/** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts what is left. */
function stop(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close(() => { clearTimeout(timer); resolve(); });
    server.closeIdleConnections();
  });
}

function urlOf(server: Server, scheme = 'http'): string {
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return `${scheme}://${host}:${a.port}`;
}
