/**
 * `node dist/bench/thread-cpu.js [--row gw-allow] [--mode durable|disabled] [--connections 16] [--seconds 5] [--rounds 3]`
 * Where the gateway's CPU goes, per thread: starts the fake upstream and the gateway, loads one row of the
 * side-by-side table with wrk, and reads /proc/<pid>/task/<tid>/stat and the gateway's /metrics around each
 * round. Prints req/s, CPU µs per request of the main thread, of the busiest other thread (the Chron writer
 * in durable mode) and of all other threads (V8 and libuv helpers), and Chron entries per transaction and
 * transactions per request. This is how bench/README.md's "Per thread" numbers were taken. Not a test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { threadCpuSeconds } from './procs.js';
import { startRowTarget, type RowTarget } from './scenarios.js';
import { findTool } from './tools.js';
import { runWrk } from './wrk.js';

const { values } = parseArgs({
  options: {
    row: { type: 'string', default: 'gw-allow' }, mode: { type: 'string', default: 'durable' },
    connections: { type: 'string', default: '16' }, seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '3' },
  },
});

/** Sum and count of the claiim_chron_batch_entries histogram (NaN without Chron). */
async function batches(adminUrl: string): Promise<{ count: number; sum: number }> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const read = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { count: read('claiim_chron_batch_entries_count'), sum: read('claiim_chron_batch_entries_sum') };
}

async function main(): Promise<void> {
  const wrk = findTool('wrk');
  if (!wrk.found) { process.stderr.write(`${wrk.hint}\n`); process.exitCode = 1; return; }
  const dir = mkdtempSync(join(tmpdir(), 'claiim-threads-'));
  let target: RowTarget | undefined;
  try {
    target = await startRowTarget(dir, values.row, values.mode === 'disabled' ? 'disabled' : 'durable');
    const { gateway: gw, url, script } = target;
    if (gw.adminUrl === undefined) throw new Error('the gateway reported no admin URL');
    await runWrk(wrk.path, url, script, Number(values.connections), 2);
    for (let round = 1; round <= Number(values.rounds); round++) {
      const b0 = await batches(gw.adminUrl);
      const t0 = threadCpuSeconds(gw.pid);
      const r = await runWrk(wrk.path, url, script, Number(values.connections), Number(values.seconds));
      const t1 = threadCpuSeconds(gw.pid);
      const b1 = await batches(gw.adminUrl);
      const requests = r.rps * Number(values.seconds);
      const perReq = (cpuS: number): string => `${Math.round((cpuS * 1e6) / requests)}`;
      const used = [...t1].map(([tid, cpu]) => [tid, cpu - (t0.get(tid) ?? 0)] as const);
      const main = used.find(([tid]) => tid === gw.pid)?.[1] ?? 0;
      const others = used.filter(([tid]) => tid !== gw.pid).sort((a, b) => b[1] - a[1]);
      const busiest = others[0]?.[1] ?? 0;
      const rest = others.slice(1).reduce((n, [, cpu]) => n + cpu, 0);
      const tx = b1.count - b0.count;
      process.stdout.write(`${values.row} (${values.mode}) at ${values.connections} connections, round ${round}: ${Math.round(r.rps)} req/s, p99 ${r.p99us} µs | `
        + `CPU µs/request: main ${perReq(main)}, busiest other thread ${perReq(busiest)}, other threads ${perReq(rest)}`
        + (tx > 0 ? ` | Chron: ${((b1.sum - b0.sum) / tx).toFixed(1)} entries/transaction, ${(tx / requests).toFixed(2)} transactions/request` : '') + '\n');
    }
  } finally {
    await target?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
