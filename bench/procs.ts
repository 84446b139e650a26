/**
 * Process plumbing for the side-by-side benchmark: start a bench child (a compiled bench/*.js entry
 * that reports its listening URL over IPC), read a process tree's CPU time from /proc, and stop only
 * what this run started, by pid. Linux only (CPU time comes from /proc/<pid>/stat).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** A child this run started, with the URL it listens on. */
export interface BenchChild {
  readonly name: string;
  readonly url: string;
  /** The admin listener's URL, for a child that has one (the gateway). */
  readonly adminUrl?: string;
  readonly pid: number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/** Why a bench child could not be started. */
export class BenchStartError extends Error {
  readonly code = 'ERR_BENCH_START';
}

/**
 * Forks `dist/bench/<entry>.js` with `args` (and optional env / node flags such as --cpu-prof); resolves once it sends `{ url }` over IPC, rejects with
 * ERR_BENCH_START if it exits or stays silent for `timeoutMs`. Its stdout goes to /dev/null (the
 * gateway logs one line per request there, as in production; CLAIIM_BENCH_VERBOSE=1 shows it), stderr is inherited.
 */
export function startChild(name: string, entry: URL, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; execArgv?: string[]; timeoutMs?: number } = {}): Promise<BenchChild> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    const child = fork(entry, [...args], { stdio: ['ignore', process.env.CLAIIM_BENCH_VERBOSE === '1' ? 'inherit' : 'ignore', 'inherit', 'ipc'], env: opts.env ?? process.env, execArgv: opts.execArgv ?? [] });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new BenchStartError(`${name} did not report a URL within ${timeoutMs} ms`)); }, timeoutMs);
    child.once('exit', (code) => { clearTimeout(timer); reject(new BenchStartError(`${name} exited with ${String(code)} while starting`)); });
    child.once('message', (m: { url?: unknown; adminUrl?: unknown }) => {
      clearTimeout(timer);
      if (typeof m.url !== 'string' || child.pid === undefined) { child.kill('SIGKILL'); reject(new BenchStartError(`${name} sent no URL`)); return; }
      resolve({ name, url: m.url, ...(typeof m.adminUrl === 'string' ? { adminUrl: m.adminUrl } : {}), pid: child.pid, stop: stopper(child) });
    });
  });
}

function stopper(child: ChildProcess): (graceMs?: number) => Promise<void> {
  let done: Promise<void> | undefined;
  return (graceMs = 5_000) => (done ??= new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) { resolve(); return; }
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  }));
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on every mainstream Linux build). */
const USER_HZ = 100;

/** User + system CPU seconds of `pid` and all its descendants (threads included), or 0 if gone. */
export function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of [pid, ...descendants(pid)]) ticks += ownTicks(p);
  return ticks / USER_HZ;
}

/** User + system CPU seconds of each thread of `pid`, by thread id (the main thread's id is `pid`). */
export function threadCpuSeconds(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) out.set(Number(t), ownTicks(pid, Number(t)) / USER_HZ);
  } catch {
    // gone: no threads
  }
  return out;
}

function ownTicks(pid: number, tid?: number): number {
  try {
    const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    // Fields after the ")" of the command name: state is field 3, utime 14, stime 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

function descendants(pid: number): number[] {
  const out: number[] = [];
  let kids: number[] = [];
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      kids.push(...readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
    }
  } catch {
    kids = [];
  }
  for (const k of kids) out.push(k, ...descendants(k));
  return out;
}

/** Resident set size of `pid` in bytes (VmRSS), or undefined if it is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Sends `{ url, adminUrl? }` to the parent over IPC (the child side of startChild). */
export function reportUrl(url: string, adminUrl?: string): void {
  if (!process.send) throw new BenchStartError('must be started by bench/run.js (no IPC channel)');
  process.send({ url, ...(adminUrl !== undefined ? { adminUrl } : {}) });
}

/** Exits cleanly on SIGTERM/SIGINT or when the parent goes away, after `close`. */
export function stopOnSignal(close: () => Promise<void>): void {
  let closing = false;
  const stop = (): void => {
    if (closing) return;
    closing = true;
    void close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
}
