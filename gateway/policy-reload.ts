import { statSync, unwatchFile, watchFile } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Chron } from '../chron/index.js';
import type { PolicyState } from './agent-handler.js';
import { loadConfig } from './config/load.js';
import type { GatewayConfig } from './config/types.js';
import type { ConfigProblem } from './config/yaml-source.js';
import type { Authenticator } from './identity/index.js';
import type { Logger } from './log.js';
import type { GatewayMetrics } from './metrics.js';

/** The result of one reload attempt. */
export type ReloadResult = { ok: true; digest: string; changed: boolean } | { ok: false; problems: readonly ConfigProblem[] };

/** Parts of the config a reload may not change: they are bound to sockets, pools, keys or the log. */
const RESTART_ONLY = ['listeners', 'chron', 'upstreams', 'identity', 'limits', 'approvals'] as const;

/**
 * Safe hot reload (issue 5): re-reads the config file and every rule file it includes, validates them
 * exactly like a start (loadConfig), runs the policy checks given in `verify`, and only then swaps the
 * new PolicyState in as one value, so a request sees either the old policy or the new one, never a mix.
 * A bad version keeps the last good policy; both outcomes are recorded in Chron (`chron.policy/v1`),
 * logged (problems with file:line:column) and counted (`claiim_policy_reloads_total`). Changes to
 * listeners, chron, upstreams, identity, limits or approvals are refused as a problem ("restart required").
 * Reloads run one at a time.
 */
export function createReloader(opts: {
  readonly file: string;
  readonly env: NodeJS.ProcessEnv;
  readonly current: () => PolicyState;
  readonly swap: (s: PolicyState) => void;
  readonly buildAuth: (config: GatewayConfig) => Promise<Authenticator>;
  readonly verify?: (state: PolicyState, sources: readonly string[]) => readonly ConfigProblem[];
  readonly chron: Chron;
  readonly metrics: GatewayMetrics;
  readonly log: Logger;
  readonly now: () => number;
}): { reload(): Promise<ReloadResult>; watch(files: readonly string[], intervalMs: number): void; close(): void } {
  let queue: Promise<unknown> = Promise.resolve();
  let watched: string[] = [];

  const attempt = async (): Promise<ReloadResult> => {
    const before = opts.current();
    const loaded = await loadSettled();
    let problems: ConfigProblem[] = loaded.ok ? [] : [...loaded.problems];
    let next: PolicyState | undefined;
    if (loaded.ok) {
      const fixed = RESTART_ONLY.filter((k) => JSON.stringify(loaded.config[k]) !== JSON.stringify(before.config[k]));
      if (fixed.length > 0) problems.push({ file: loaded.config.file, line: 0, col: 0, code: 'ERR_CONFIG_VALUE', message: `changes to ${fixed.join(', ')} need a restart; kept the running policy` });
      else {
        let auth: Authenticator | undefined = before.auth;
        if (JSON.stringify(loaded.config.agents) !== JSON.stringify(before.config.agents)) {
          try {
            auth = await opts.buildAuth(loaded.config);
          } catch (err) {
            // E.g. an issuer key file that no longer parses: a rejected reload like any other, recorded.
            auth = undefined;
            problems.push({ file: loaded.config.file, line: 0, col: 0, code: 'ERR_CONFIG_VALUE', message: `the agents' issuers could not be rebuilt (${(err as { code?: string }).code ?? (err instanceof Error ? err.name : 'error')}); kept the running policy` });
          }
        }
        if (auth) {
          next = { config: loaded.config, policySet: loaded.policySet, auth, agents: new Map(loaded.config.agents.map((a) => [a.id, a])) };
          problems = [...(opts.verify?.(next, loaded.sources) ?? [])];
          if (problems.length === 0) watchAll(loaded.sources);
        }
      }
    }
    const time = new Date(opts.now()).toISOString();
    if (problems.length > 0 || !next) {
      opts.metrics.policyReload(false, before.policySet.digest);
      for (const p of problems) opts.log.error({ msg: 'policy_reload_problem', file: p.file, line: p.line, col: p.col, code: p.code, problem: p.message });
      await opts.chron.append({ type: 'chron.policy/v1', event: 'rejected', time, policy_digest: before.policySet.digest, problems: problems.map((p) => ({ file: p.file, line: p.line, col: p.col, code: p.code, message: p.message })) });
      return { ok: false, problems };
    }
    const changed = next.policySet.digest !== before.policySet.digest || JSON.stringify(next.config) !== JSON.stringify(before.config);
    // Recorded before the swap: no decision is made under a policy whose load is not in the log.
    await opts.chron.append({ type: 'chron.policy/v1', event: 'loaded', time, policy_digest: next.policySet.digest, previous_digest: before.policySet.digest, changed });
    opts.swap(next);
    opts.metrics.policyReload(true, next.policySet.digest);
    opts.log.info({ msg: 'policy_reloaded', policy_digest: next.policySet.digest, changed });
    return { ok: true, digest: next.policySet.digest, changed };
  };

  /**
   * Loads the config once no file of it has changed for SETTLE_MS, and again if one changed while it was
   * read: a file still being written in place is not taken for a new policy half-way (write config files
   * atomically all the same: a temporary file, then rename).
   */
  const loadSettled = async (): Promise<ReturnType<typeof loadConfig>> => {
    let files = [...new Set([opts.file, ...watched])];
    for (let tries = 0; ; tries++) {
      const young = Math.max(...files.map((f) => SETTLE_MS - (Date.now() - (stamp(f)?.mtimeMs ?? 0))));
      if (young > 0 && tries < MAX_SETTLE_TRIES) { await sleep(Math.min(young, SETTLE_MS)); continue; }
      const before = files.map(stamp);
      const loaded = loadConfig(opts.file, opts.env);
      const read = loaded.ok ? loaded.sources : [];
      const grew = read.some((f) => !files.includes(f));
      const changed = files.some((f, i) => !sameStamp(before[i], stamp(f)));
      if ((!changed && !grew) || tries >= MAX_SETTLE_TRIES) return loaded;
      files = [...new Set([...files, ...read])];
    }
  };

  const watchAll = (files: readonly string[]): void => {
    if (watchIntervalMs === undefined) return;
    for (const f of watched) unwatchFile(f);
    watched = [...files];
    for (const f of watched) watchFile(f, { interval: watchIntervalMs, persistent: false }, (cur, prev) => { if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size) void reload(); });
  };
  let watchIntervalMs: number | undefined;
  const reload = (): Promise<ReloadResult> => {
    const run = queue.then(attempt, attempt);
    queue = run.catch(() => undefined);
    return run.catch((err: unknown) => {
      opts.log.error({ msg: 'policy_reload_failed', error: err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.name) : 'unknown' });
      opts.metrics.policyReload(false, opts.current().policySet.digest);
      return { ok: false as const, problems: [] };
    });
  };
  return {
    reload,
    watch: (files, intervalMs) => { watchIntervalMs = intervalMs; watchAll(files); },
    close: () => { for (const f of watched) unwatchFile(f); watched = []; },
  };
}

/** A config file changed this recently may still be being written: wait until it is this old (ms). */
const SETTLE_MS = 300;
/** Give up waiting for quiet after this many rounds (a file rewritten all the time still gets loaded). */
const MAX_SETTLE_TRIES = 20;

function stamp(file: string): { mtimeMs: number; size: number } | undefined {
  try {
    const st = statSync(file);
    return { mtimeMs: st.mtimeMs, size: st.size };
  } catch {
    return undefined;
  }
}

function sameStamp(a: { mtimeMs: number; size: number } | undefined, b: { mtimeMs: number; size: number } | undefined): boolean {
  return a?.mtimeMs === b?.mtimeMs && a?.size === b?.size;
}
