/**
 * The side-by-side macro benchmark (issue 9 item 1): starts the fake upstream, nginx, the bare undici
 * proxy and the gateway (durable Chron, and Chron disabled) as separate processes on 127.0.0.1, checks
 * every row answers what it should, then loads each row with wrk at each connection count, in
 * interleaved rounds (the order rotates every round), and keeps the median of each cell.
 * CPU µs per request is the server process tree's user+system time during the run ÷ requests.
 * Stops only what it started (by pid), also when a step fails.
 */
import { join } from 'node:path';
import { startNginx } from './nginx.js';
import { BenchStartError, startChild, treeCpuSeconds, type BenchChild } from './procs.js';
import { CREDENTIAL_ENV, openApprovalSession, scenarios, writeGatewaySetup, type Scenario, type TargetKind } from './scenarios.js';
import { runWrk, writeScript, type WrkResult } from './wrk.js';

/** Options of one side-by-side run. */
export interface SideBySideOptions {
  readonly dir: string;
  readonly wrkPath: string;
  /** undefined: nginx missing, its rows are skipped (and said so). */
  readonly nginxPath: string | undefined;
  readonly connections: readonly number[];
  readonly rounds: number;
  readonly seconds: number;
  readonly say: (line: string) => void;
}

/** The median of one row at one connection count. */
export interface Cell {
  readonly scenario: Scenario;
  readonly connections: number;
  readonly rps: number;
  readonly p50us: number;
  readonly p99us: number;
  readonly cpuUsPerRequest: number;
  readonly unexpected: number;
}

/** Result of a run: medians per cell, plus rows that could not run and why. */
export interface SideBySideResult { readonly cells: Cell[]; readonly skipped: { label: string; why: string }[] }

const dist = (name: string): URL => new URL(`./${name}.js`, import.meta.url);

/** Runs the whole side-by-side benchmark. */
export async function runSideBySide(o: SideBySideOptions): Promise<SideBySideResult> {
  const started: BenchChild[] = [];
  const track = async (p: Promise<BenchChild>): Promise<BenchChild> => { const c = await p; started.push(c); return c; };
  try {
    const upstream = await track(startChild('upstream', dist('fake-upstream'), []));
    const env = { ...process.env, [CREDENTIAL_ENV]: 'bench-upstream-credential' };
    const setupA = await writeGatewaySetup(o.dir, upstream.url, 'gateway-durable');
    const setupB = await writeGatewaySetup(o.dir, upstream.url, 'gateway-disabled');
    const servers = new Map<TargetKind, BenchChild>([['direct', upstream]]);
    servers.set('bare', await track(startChild('bare-proxy', dist('bare-proxy'), [upstream.url])));
    const gateway = await track(startChild('gateway', dist('gateway-host'), [setupA.configFile, 'durable'], { env }));
    servers.set('gateway', gateway);
    servers.set('gateway-disabled', await track(startChild('gateway-disabled', dist('gateway-host'), [setupB.configFile, 'disabled'], { env })));
    // The approval-session row: request → two approvals → active, over the durable gateway's admin API.
    if (gateway.adminUrl === undefined) throw new BenchStartError('the gateway child reported no admin URL');
    const sessionId = await openApprovalSession(gateway.adminUrl, setupA.admins);
    const skipped: { label: string; why: string }[] = [];
    if (o.nginxPath !== undefined) servers.set('nginx', await track(startNginx(o.nginxPath, o.dir, new URL(upstream.url))));
    // Each gateway has its own dev issuer key: a row uses the token minted for its gateway.
    const rows = scenarios(setupA.token, sessionId).map((s) => (s.kind === 'gateway-disabled' ? scenarios(setupB.token).find((x) => x.id === s.id) ?? s : s));
    const runnable: { s: Scenario; server: BenchChild; script: string }[] = [];
    for (const s of rows) {
      const server = servers.get(s.kind);
      if (server === undefined) { skipped.push({ label: s.label, why: 'nginx not installed (apt-get install -y nginx)' }); continue; }
      await probe(server.url, s);
      const script = join(o.dir, `${s.id}.lua`);
      writeScript(script, s.spec);
      runnable.push({ s, server, script });
    }
    o.say(`warm-up: ${runnable.length} rows × 2 s at 16 connections`);
    for (const r of runnable) await runWrk(o.wrkPath, r.server.url + r.s.spec.path, r.script, 16, 2);
    const samples = new Map<string, { r: WrkResult; cpuUs: number; unexpected: number }[]>();
    for (let round = 0; round < o.rounds; round++) {
      for (const c of o.connections) {
        // Rotate the order each round so no row always runs right after the same neighbour.
        const order = runnable.map((_, i) => runnable[(i + round) % runnable.length] as typeof runnable[number]);
        for (const r of order) {
          const cpu0 = treeCpuSeconds(r.server.pid);
          const res = await runWrk(o.wrkPath, r.server.url + r.s.spec.path, r.script, c, o.seconds);
          const cpuUs = ((treeCpuSeconds(r.server.pid) - cpu0) * 1e6) / Math.max(1, res.requests);
          const unexpected = (r.s.expectStatus === 200 ? res.non2xx : res.requests - res.non2xx) + res.socketErrors;
          const key = `${r.s.id}@${c}`;
          samples.set(key, [...(samples.get(key) ?? []), { r: res, cpuUs, unexpected }]);
          o.say(`round ${round + 1}/${o.rounds}  c=${String(c).padStart(2)}  ${r.s.id.padEnd(17)} ${Math.round(res.rps).toString().padStart(6)} req/s  p50 ${fmtUs(res.p50us)}  p99 ${fmtUs(res.p99us)}  cpu ${cpuUs.toFixed(0)} µs/req${unexpected ? `  UNEXPECTED ${unexpected}` : ''}`);
        }
      }
    }
    const cells: Cell[] = [];
    for (const r of runnable) {
      for (const c of o.connections) {
        const xs = samples.get(`${r.s.id}@${c}`) ?? [];
        cells.push({
          scenario: r.s, connections: c,
          rps: median(xs.map((x) => x.r.rps)), p50us: median(xs.map((x) => x.r.p50us)), p99us: median(xs.map((x) => x.r.p99us)),
          cpuUsPerRequest: median(xs.map((x) => x.cpuUs)), unexpected: xs.reduce((s, x) => s + x.unexpected, 0),
        });
      }
    }
    return { cells, skipped };
  } finally {
    // Reverse start order: proxies first, the upstream last.
    for (const c of started.reverse()) await c.stop();
  }
}

/** Sends one request of `s` and checks its status; throws ERR_BENCH_PROBE so a broken row never produces numbers. */
async function probe(base: string, s: Scenario): Promise<void> {
  const res = await fetch(base + s.spec.path, { method: s.spec.method, headers: s.spec.headers, ...(s.spec.body !== undefined ? { body: s.spec.body } : {}) });
  const text = await res.text();
  if (res.status !== s.expectStatus) throw Object.assign(new Error(`row ${s.id} answered ${res.status}, expected ${s.expectStatus}: ${text.slice(0, 200)}`), { code: 'ERR_BENCH_PROBE' });
}

/** Median of a non-empty list (NaN for an empty one). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Microseconds as "85 µs" or "1.24 ms". */
export function fmtUs(us: number): string {
  return us < 1000 ? `${us.toFixed(0)} µs` : `${(us / 1000).toFixed(2)} ms`;
}
