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
import { startRowTarget, type RowTarget } from './scenarios.js';
import { findTool } from './tools.js';
import { runWrk } from './wrk.js';

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
  const profDir = join(dir, 'prof');
  let target: RowTarget | undefined;
  try {
    target = await startRowTarget(dir, values.row, values.mode === 'disabled' ? 'disabled' : 'durable', ['--cpu-prof', `--cpu-prof-dir=${profDir}`]);
    const r = await runWrk(wrk.path, target.url, target.script, Number(values.connections), Number(values.seconds));
    // Stopping the gateway makes it write its .cpuprofile.
    await target.gateway.stop(15_000);
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
    await target?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/dist\//, '/dist/'))) await main();
