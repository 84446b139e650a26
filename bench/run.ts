/**
 * `npm run bench` (issue 9): the side-by-side table (nginx, bare undici proxy, the gateway in several
 * configurations, under wrk at 1/16/64 connections, interleaved rounds, medians), the micro-benchmarks,
 * the target checks, and — with --soak-s — an RSS soak. Prints everything and rewrites the generated
 * section of bench/README.md (other sections are kept). Not a test: nothing here fails on a slow machine.
 *
 *   node dist/bench/run.js [--seconds 4] [--rounds 3] [--connections 1,16,64] [--chron-entries 1000000]
 *                          [--skip-http] [--skip-micro] [--soak-s 0] [--no-readme]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { machineLines, writeReadmeSection } from './readme.js';
import { runMicro } from './micro.js';
import { macroTargets, sideBySideTable, targetsTable, type TargetCheck } from './report.js';
import { runSideBySide } from './side-by-side.js';
import { runSoak } from './soak.js';
import { findTool } from './tools.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '1,16,64' },
    'chron-entries': { type: 'string', default: '1000000' },
    'skip-http': { type: 'boolean', default: false },
    'skip-micro': { type: 'boolean', default: false },
    'soak-s': { type: 'string', default: '0' },
    'no-readme': { type: 'boolean', default: false },
  },
});
const say = (l: string): void => { process.stdout.write(`${l}\n`); };
const t0 = Date.now();
const load0 = loadavg();
const dir = mkdtempSync(join(tmpdir(), 'claiim-bench-'));
const sections: string[] = [];
const checks: TargetCheck[] = [];
const wrk = findTool('wrk');
const nginx = findTool('nginx');
for (const t of [wrk, nginx]) say(t.found ? `found ${t.path}: ${t.version}` : `MISSING: ${t.hint}`);

try {
  if (!values['skip-http']) {
    if (!wrk.found) {
      sections.push(`### Side by side\n\nSkipped: ${wrk.hint}`);
    } else {
      const seconds = Number(values.seconds);
      const rounds = Number(values.rounds);
      const connections = values.connections.split(',').map(Number);
      say(`side by side: ${rounds} rounds × ${connections.join('/')} connections × ${seconds} s per cell`);
      const r = await runSideBySide({ dir, wrkPath: wrk.path, nginxPath: nginx.found ? nginx.path : undefined, connections, rounds, seconds, say });
      const table = sideBySideTable(r);
      const macro = macroTargets(r);
      checks.push(...macro);
      sections.push(`### Side by side\n\nwrk, 1 thread, ${seconds} s per cell, ${rounds} interleaved rounds (order rotated each round), medians. `
        + 'Every row sends the same GET (or body) with the same `Authorization` header; the gateway rows go through `/api` and a real policy. '
        + 'CPU µs/req = user+system time of the server process tree (the gateway process with its Chron writer thread; nginx master+worker) ÷ requests; the fake upstream is not counted except in the "direct" row.\n\n'
        + `${table}`);
      say(`\n${table}\n`);
    }
  }
  if (!values['skip-micro']) {
    const m = await runMicro({ chronEntries: Number(values['chron-entries']), say });
    checks.push(...m.checks);
    sections.push(`### Micro-benchmarks\n\n${m.markdown}`);
  }
  const soakS = Number(values['soak-s']);
  if (soakS > 0 && wrk.found) {
    const s = await runSoak({ dir, wrkPath: wrk.path, seconds: soakS, say });
    checks.push(s.check);
    sections.push(`### Soak\n\n${s.markdown}`);
  }
  if (checks.length > 0) sections.push(`### Targets (issue 9 item 3)\n\n${targetsTable(checks)}`);
  const load1 = loadavg();
  const header = machineLines({ load0, load1, cpus: cpus(), totalmem: totalmem(), wrk, nginx, minutes: (Date.now() - t0) / 60_000 });
  const text = `${header}\n\n${sections.join('\n\n')}`;
  say(`\n${text}`);
  if (!values['no-readme']) say(`\nwrote ${writeReadmeSection(text)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
