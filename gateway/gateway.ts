import { createServer, type Server } from 'node:http';
import { openChron, type AppendOptions, type AppendResult, type Chron } from '../chron/index.js';
import type { PolicySet } from '../rules/index.js';
import { createAdminHandler } from './admin-handler.js';
import { approvableRules, createApprovals } from './approvals/index.js';
import { createAgentHandler, type PolicyState } from './agent-handler.js';
import { createClientErrorHandler } from './client-error.js';
import type { GatewayConfig } from './config/types.js';
import { Forwarder } from './forward.js';
import { WebsocketForwarder } from './websocket.js';
import { createAuthenticator, type Authenticator } from './identity/index.js';
import { createAgentServer, listen, stop, urlOf } from './listeners.js';
import type { Logger } from './log.js';
import { createMetrics, type GatewayMetrics } from './metrics.js';
import { createReloader, type ReloadResult } from './policy-reload.js';
import { REASONS } from './reasons.js';
import { Router } from './router.js';
import { policyTestProblems } from './rules-cli/index.js';
import type { ConfigProblem } from './config/yaml-source.js';
import { createServerTls } from './tls/server-tls.js';

/** A running gateway: its listeners, with their actual addresses (port 0 resolved). */
export interface RunningGateway {
  readonly agentUrl: string;
  readonly adminUrl: string;
  /** Upstream name → URL of its own listener (`listen_port`), for clients that take only host:port. */
  readonly upstreamUrls: ReadonlyMap<string, string>;
  readonly chron: Chron;
  /** Re-reads config and rule files and swaps the policy in if valid (also on file change and SIGHUP). */
  reload(): Promise<ReloadResult>;
  /** The policy digest decisions are currently made under. */
  policyDigest(): string;
  /** Stops accepting, lets in-flight requests finish, closes pools, flushes Chron and signs a final checkpoint. */
  close(): Promise<void>;
}

/** Optional seams: an already-open Chron (tests: read-only; bench: in-memory), a clock, the env for reloads. */
export interface GatewayOptions { readonly chron?: Chron; readonly now?: () => number; readonly env?: NodeJS.ProcessEnv; readonly sources?: readonly string[] }

/**
 * The composition root: builds identity, Chron, the forwarder and the listeners from a loaded config.
 * Preconditions: `config` came from loadConfig (validated, frozen) and `secrets` from the same load.
 * Rejects (and leaves nothing listening) if a listener cannot bind or Chron cannot open.
 */
export async function startGateway(config: GatewayConfig, policySet: PolicySet, secrets: ReadonlyMap<string, string>, log: Logger, opts: GatewayOptions = {}): Promise<RunningGateway> {
  const now = opts.now ?? Date.now;
  const buildAuth = (c: GatewayConfig): Promise<Authenticator> => createAuthenticator({
    issuers: c.identity.issuers, agents: c.agents.map((a) => ({ id: a.id, skills: a.skills })), maxTokenBytes: c.limits.maxTokenBytes, now,
  });
  let state: PolicyState = { config, policySet, auth: await buildAuth(config), agents: new Map(config.agents.map((a) => [a.id, a])) };
  const metrics = createMetrics({
    agents: config.agents.map((a) => a.id),
    upstreams: config.upstreams.map((u) => u.name),
    ruleIds: ['default_deny', 'pre_policy', 'aiorg_wall', ...config.policies.flatMap((p) => p.rules.map((r) => r.id))],
    reasons: [...Object.keys(REASONS), 'shadow'],
  });
  const opened = opts.chron ?? await openChron({ path: config.chron.dbPath, origin: config.chron.origin, signingKeyFile: config.chron.signingKeyFile, checkpointIntervalMs: config.chron.checkpointIntervalMs, now, onCommit: (n) => metrics.chronBatch(n),
    // Once, when a fault closes the log to appends (never on close()): from now on every request is refused
    // (503 chron_unavailable) and /healthz fails, until a restart.
    onFault: (f) => log.error({ msg: 'chron_closed', cause: f.cause, error: f.message }) });
  // An auditor can fetch a signed checkpoint from the first moment (a fresh log has none yet).
  if (!opts.chron && opened.latestCheckpoint() === undefined) await opened.checkpoint();
  metrics.setCheckpointAgeSource(() => {
    const last = opened.checkpoints().at(-1);
    return last ? (now() - last.createdMs) / 1000 : Number.NaN;
  });
  const health = { writable: true };
  let draining = false;
  // The policy load is recorded before any decision made under it: here, or — when Chron cannot write at
  // start — just ahead of the first entry that can be written (observedChron), so the gateway still starts
  // and answers 503 until the log works again.
  const { chron, writeFirst } = observedChron(opened, metrics, health, { type: 'chron.policy/v1', event: 'loaded', time: new Date(now()).toISOString(), policy_digest: policySet.digest, previous_digest: null, changed: true });
  const forwarder = new Forwarder(config.upstreams, secrets);
  const ws = new WebsocketForwarder(config.upstreams, secrets);
  const router = new Router(config.upstreams);
  // Until the listeners' try below, a failure must still close what is open (the Chron writer would keep
  // the process alive: `claiim start` would hang instead of exiting 1).
  const closeEarly = async (err: unknown): Promise<never> => {
    await forwarder.close();
    ws.close();
    if (!opts.chron) await chron.close();
    throw err;
  };
  const approvals = config.approvals ? await createApprovals({
    config: config.approvals, chron, agents: () => state.config.agents, now,
    rulesRequiringApproval: (agent) => approvableRules(state.config.policies, agent),
  }).catch(closeEarly) : undefined;
  const gauge = approvals ? setInterval(() => metrics.setActiveApprovalSessions(approvals.activeCount(now())), 5_000) : undefined;
  gauge?.unref();
  const reloader = createReloader({ file: config.file, env: opts.env ?? process.env, current: () => state, swap: (s) => { state = s; }, buildAuth, chron, metrics, log, now,
    // The policy tests beside each rule file must pass before a new version is swapped in.
    verify: (s) => policyTestProblems(s.config, s.policySet) as ConfigProblem[] });

  const handler = createAgentHandler({ state: () => state, router, chron, forwarder, ws, log, metrics, now, draining: () => draining, ...(approvals ? { approvals } : {}) });
  const onClientError = createClientErrorHandler({ chron, log, now, policyDigest: () => state.policySet.digest });
  const tlsConfig = config.listeners.agent.tls;
  let tls: ReturnType<typeof createServerTls> | undefined;
  try {
    tls = tlsConfig && createServerTls({
    certFile: tlsConfig.certFile, keyFile: tlsConfig.keyFile, watchIntervalMs: tlsConfig.watchIntervalMs,
    ...(tlsConfig.clientCaFile ? { clientCaFile: tlsConfig.clientCaFile } : {}),
    requestClientCert: tlsConfig.clientCaFile !== undefined,
    onReload: (ok, error) => (ok ? log.info({ msg: 'tls_reload', ok }) : log.error({ msg: 'tls_reload', ok, error })),
    });
  } catch (err) {
    clearInterval(gauge);
    approvals?.close();
    return closeEarly(err);
  }
  const agentServer = createAgentServer(config, tls, handler, onClientError);
  const upstreamServers = config.upstreams.filter((u) => u.listenPort !== undefined).map((u) => ({ upstream: u, server: createAgentServer(config, tls, handler, onClientError) }));
  const adminServer = createServer({ maxHeaderSize: 8192 }, createAdminHandler({ chron, chronWritable: () => health.writable, auth: () => state.auth, policyDigest: () => state.policySet.digest, metrics, extraRoutes: approvals ? [approvals.adminRoutes()] : [] }));
  const all: Server[] = [agentServer, adminServer, ...upstreamServers.map((x) => x.server)];
  const scheme = tls ? 'https' : 'http';
  const upstreamUrls = new Map<string, string>();
  try {
    await writeFirst().catch(() => log.error({ msg: 'chron_append_failed', what: 'policy_load' }));
    metrics.policyReload(true, policySet.digest);
    await listen(agentServer, config.listeners.agent.host, config.listeners.agent.port);
    await listen(adminServer, config.listeners.admin.host, config.listeners.admin.port);
    for (const { upstream, server } of upstreamServers) {
      await listen(server, config.listeners.agent.host, upstream.listenPort ?? 0);
      const port = (server.address() as { port: number }).port;
      router.bindPort(port, upstream);
      upstreamUrls.set(upstream.name, urlOf(server, scheme));
    }
  } catch (err) {
    await Promise.all(all.map((s) => stop(s, 0)));
    tls?.close();
    await forwarder.close();
    approvals?.close();
    if (!opts.chron) await chron.close();
    throw err;
  }
  if (config.reload.watchIntervalMs > 0) reloader.watch(opts.sources ?? [config.file], config.reload.watchIntervalMs);
  let closing: Promise<void> | undefined;
  return {
    agentUrl: urlOf(agentServer, scheme),
    adminUrl: urlOf(adminServer),
    upstreamUrls,
    chron,
    reload: () => reloader.reload(),
    policyDigest: () => state.policySet.digest,
    close: () => (closing ??= (async () => {
      draining = true;
      reloader.close();
      clearInterval(gauge);
      tls?.close();
      await Promise.all([stop(agentServer, config.limits.shutdownGraceMs), stop(adminServer, 1_000), ...upstreamServers.map((x) => stop(x.server, config.limits.shutdownGraceMs))]);
      await forwarder.close();
      ws.close();
      approvals?.close();
      await chron.close();
    })()),
  };
}

/**
 * Chron as the request path sees it: every append (and appendAll) is timed into metrics; readiness follows the last
 * append (false from the first failed write until one succeeds again); and `first` (the policy-load
 * entry) is written before any other entry — at start, or ahead of the first append that can be written
 * when Chron could not write at start. Other methods pass through.
 */
function observedChron(opened: Chron, metrics: GatewayMetrics, health: { writable: boolean }, first: Readonly<Record<string, unknown>>): { chron: Chron; writeFirst(): Promise<void> } {
  let firstWritten: Promise<unknown> | undefined;
  const writeFirst = (): Promise<unknown> => (firstWritten ??= opened.append(first).catch((err: unknown) => { firstWritten = undefined; throw err; }));
  /** Runs one write (append or appendAll): policy-load entry first, then times it and follows readiness. */
  const observed = async (write: () => Promise<AppendResult[]>): Promise<AppendResult[]> => {
    const t0 = performance.now();
    try {
      await writeFirst();
      const r = await write();
      health.writable = true;
      const ms = performance.now() - t0;
      for (let i = 0; i < r.length; i++) metrics.chronAppend(ms);
      const last = r.at(-1);
      if (last !== undefined) metrics.setChronTreeSize(last.index + 1);
      return r;
    } catch (err) {
      health.writable = false;
      throw err;
    }
  };
  const append = async (record: Readonly<Record<string, unknown>>, opts?: AppendOptions): ReturnType<Chron['append']> =>
    (await observed(async () => [await opened.append(record, opts)]))[0] as AppendResult;
  const appendAll = (records: readonly Readonly<Record<string, unknown>>[], opts?: AppendOptions): ReturnType<Chron['appendAll']> =>
    observed(() => opened.appendAll(records, opts));
  const chron = new Proxy(opened, {
    get(target, prop) {
      if (prop === 'append') return append;
      if (prop === 'appendAll') return appendAll;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { chron, writeFirst: async () => { await writeFirst().then(() => { health.writable = true; }, (err: unknown) => { health.writable = false; throw err; }); } };
}
