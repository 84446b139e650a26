/**
 * Turns a side-by-side result into the Markdown the runner prints and writes: the per-row table with
 * ratios, added p50 and CPU per request, and the issue 9 target checks with their margins.
 */
import { fmtUs, type Cell, type SideBySideResult } from './side-by-side.js';

/** One target of issue 9 item 3: what was measured against what was required. */
export interface TargetCheck { readonly target: string; readonly measured: string; readonly met: boolean | undefined }

const find = (cells: readonly Cell[], id: string, c: number): Cell | undefined => cells.find((x) => x.scenario.id === id && x.connections === c);

/** The table: one line per row and connection count. Ratios compare with nginx / the bare proxy at the same connections. */
export function sideBySideTable(r: SideBySideResult): string {
  const lines = [
    '| configuration | conns | req/s | p50 | p99 | ÷ nginx | ÷ bare proxy | added p50 vs direct (1 conn) | CPU µs/req |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const x of r.cells) {
    const nginx = find(r.cells, 'nginx', x.connections);
    const bare = find(r.cells, 'bare', x.connections);
    const direct1 = find(r.cells, 'direct', 1);
    const self1 = find(r.cells, x.scenario.id, 1);
    const added = x.connections === 1 && direct1 && self1 && x.scenario.id !== 'direct' ? `${((self1.p50us - direct1.p50us) / 1000).toFixed(3)} ms` : '';
    lines.push(`| ${x.scenario.label}${x.unexpected ? ` ⚠ ${x.unexpected} unexpected` : ''} | ${x.connections} | ${Math.round(x.rps).toLocaleString('en-US')} | ${fmtUs(x.p50us)} | ${fmtUs(x.p99us)} | ${nginx ? (x.rps / nginx.rps).toFixed(2) : 'n/a'} | ${bare ? (x.rps / bare.rps).toFixed(2) : 'n/a'} | ${added} | ${x.cpuUsPerRequest.toFixed(0)} |`);
  }
  for (const s of r.skipped) lines.push(`| ${s.label} | — | skipped: ${s.why} | | | | | | |`);
  return lines.join('\n');
}

/** The macro targets of issue 9 item 3, from the gateway allow row with durable Chron. */
export function macroTargets(r: SideBySideResult): TargetCheck[] {
  const out: TargetCheck[] = [];
  const gw16 = find(r.cells, 'gw-allow', 16);
  const nginx16 = find(r.cells, 'nginx', 16);
  const bare16 = find(r.cells, 'bare', 16);
  const ratio = (a: Cell | undefined, b: Cell | undefined, need: number, what: string): void => {
    if (!a || !b) { out.push({ target: what, measured: 'not measured (row missing)', met: undefined }); return; }
    const q = a.rps / b.rps;
    out.push({ target: what, measured: `${q.toFixed(2)}× (${Math.round(a.rps).toLocaleString('en-US')} vs ${Math.round(b.rps).toLocaleString('en-US')} req/s)${q < need ? `, short by ${((need - q) * b.rps).toFixed(0)} req/s` : ''}`, met: q >= need });
  };
  ratio(gw16, nginx16, 0.5, 'gateway (durable Chron) ≥ 0.5× nginx throughput at 16 connections');
  ratio(gw16, bare16, 0.85, 'gateway (durable Chron) ≥ 0.85× bare undici proxy at 16 connections');
  for (const c of [16, 64]) {
    const g = find(r.cells, 'gw-allow', c);
    const n = find(r.cells, 'nginx', c);
    if (!g || !n) { out.push({ target: `loaded p99 ≤ 3× nginx p99 (${c} connections)`, measured: 'not measured', met: undefined }); continue; }
    const q = g.p99us / n.p99us;
    out.push({ target: `loaded p99 ≤ 3× nginx p99 (${c} connections)`, measured: `${q.toFixed(2)}× (${fmtUs(g.p99us)} vs ${fmtUs(n.p99us)})`, met: q <= 3 });
  }
  const g1 = find(r.cells, 'gw-allow', 1);
  const d1 = find(r.cells, 'direct', 1);
  if (g1 && d1) {
    const added = (g1.p50us - d1.p50us) / 1000;
    out.push({ target: 'unloaded added p50 ≤ 0.25 ms over direct', measured: `${added.toFixed(3)} ms (${fmtUs(g1.p50us)} vs ${fmtUs(d1.p50us)})${added > 0.25 ? `, over by ${(added - 0.25).toFixed(3)} ms` : ''}`, met: added <= 0.25 });
  }
  return out;
}

/** Target checks as a Markdown table. */
export function targetsTable(checks: readonly TargetCheck[]): string {
  const mark = (m: boolean | undefined): string => (m === undefined ? '—' : m ? 'met' : '**missed**');
  return ['| target | measured | |', '|---|---|---|', ...checks.map((c) => `| ${c.target} | ${c.measured} | ${mark(c.met)} |`)].join('\n');
}
