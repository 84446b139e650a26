/**
 * `node dist/bench/cpu-profile.js [--row gw-allow] [--connections 16] [--seconds 10] [--mode durable|disabled] [--top 25]`
 * Starts the fake upstream and the gateway under `node --cpu-prof`, loads one row of the side-by-side
 * table with wrk, stops the gateway (which writes its .cpuprofile on exit), and prints the top frames
 * by self time, aggregated per function, plus a per-area split (JCS, jose, undici, http, rules, …).
 * This is how bench/README.md's "where the time goes" was produced.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startChild, type BenchChild } from './procs.js';
import { CREDENTIAL_ENV, openApprovalSession, scenarios, writeGatewaySetup } from './scenarios.js';
import { findTool } from './tools.js';
import { runWrk, writeScript } from './wrk.js';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

/** Self time per function (percent of all samples, idle included), largest first. */
export function topFrames(p: Profile): { frame: string; pct: number }[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const d = p.timeDeltas[i] ?? 0;
    total += d;
    const cf = byId.get(id)?.callFrame;
    const key = cf ? `${cf.functionName || '(anonymous)'} ${shorten(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ''}` : '?';
    self.set(key, (self.get(key) ?? 0) + d);
  });
  return [...self].map(([frame, t]) => ({ frame, pct: (100 * t) / total })).sort((a, b) => b.pct - a.pct);
}

const AREAS: [string, RegExp][] = [
  ['idle', /^\(idle\)/], ['garbage collector', /^\(garbage collector\)/],
  ['JCS (canonicalize + checkPlainJson)', /canonicalize|chron\/jcs/], ['Chron client (queue, postMessage)', /chron\/|postMessage/],
  ['jose / token', /node_modules\/jose|gateway\/identity/], ['undici (upstream client)', /node_modules\/undici|wasm/],
  ['pino (logging)', /node_modules\/(pino|sonic-boom|fast-redact|quick-format)/], ['rules', /rules\//],
  ['gateway request path', /gateway\//], ['node:http server', /_http_|node:net|node:stream|internal\/streams/],
  ['crypto (randomUUID, sha256)', /crypto|randomUUID|Hash|digest/],
];

/** Self time grouped into coarse areas by frame name/URL (first matching area wins; the rest is "other"). */
export function byArea(frames: readonly { frame: string; pct: number }[]): { area: string; pct: number }[] {
  const out = new Map<string, number>();
  for (const f of frames) {
    const area = AREAS.find(([, re]) => re.test(f.frame))?.[0] ?? 'other (native, V8, libuv)';
    out.set(area, (out.get(area) ?? 0) + f.pct);
  }
  return [...out].map(([area, pct]) => ({ area, pct })).sort((a, b) => b.pct - a.pct);
}

function shorten(url: string): string {
  return url.replace(/^file:\/\/.*?\/(node_modules\/|dist\/)/, '$1').replace(/^node:internal\//, 'node:');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { row: { type: 'string', default: 'gw-allow' }, connections: { type: 'string', default: '16' }, seconds: { type: 'string', default: '10' }, mode: { type: 'string', default: 'durable' }, top: { type: 'string', default: '25' } } });
  const wrk = findTool('wrk');
  if (!wrk.found) { process.stderr.write(`${wrk.hint}\n`); process.exitCode = 1; return; }
  const dir = mkdtempSync(join(tmpdir(), 'claiim-prof-'));
  const started: BenchChild[] = [];
  try {
    const upstream = await startChild('upstream', new URL('./fake-upstream.js', import.meta.url), []);
    started.push(upstream);
    const setup = await writeGatewaySetup(dir, upstream.url, 'gateway');
    const profDir = join(dir, 'prof');
    const gw = await startChild('gateway', new URL('./gateway-host.js', import.meta.url), [setup.configFile, values.mode === 'disabled' ? 'disabled' : 'durable'], {
      env: { ...process.env, [CREDENTIAL_ENV]: 'bench-upstream-credential' }, execArgv: ['--cpu-prof', `--cpu-prof-dir=${profDir}`],
    });
    started.push(gw);
    const sessionId = values.row === 'gw-approval' && gw.adminUrl !== undefined ? await openApprovalSession(gw.adminUrl, setup.admins) : undefined;
    const s = scenarios(setup.token, sessionId).find((x) => x.id === values.row);
    if (!s) throw new Error(`no row ${values.row}`);
    const script = join(dir, 'row.lua');
    writeScript(script, s.spec);
    const r = await runWrk(wrk.path, gw.url + s.spec.path, script, Number(values.connections), Number(values.seconds));
    await gw.stop(15_000);
    if (process.env.CLAIIM_BENCH_KEEP_PROFILE) for (const f of readdirSync(profDir)) writeFileSync(join(process.env.CLAIIM_BENCH_KEEP_PROFILE, f), readFileSync(join(profDir, f)));
    process.stdout.write(`${values.row} (${values.mode}) at ${values.connections} connections: ${Math.round(r.rps)} req/s, p50 ${r.p50us} µs, p99 ${r.p99us} µs\n`);
    for (const f of readdirSync(profDir)) {
      const frames = topFrames(JSON.parse(readFileSync(join(profDir, f), 'utf8')) as Profile);
      process.stdout.write(`\n${f.includes('.0.') ? 'main thread' : 'worker thread'} (${f}) — self time:\n`);
      for (const x of frames.slice(0, Number(values.top))) process.stdout.write(`${x.pct.toFixed(1).padStart(5)} %  ${x.frame}\n`);
      process.stdout.write('by area:\n');
      for (const a of byArea(frames)) process.stdout.write(`${a.pct.toFixed(1).padStart(5)} %  ${a.area}\n`);
    }
  } finally {
    for (const c of started.reverse()) await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/dist\//, '/dist/'))) await main();
