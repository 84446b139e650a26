/**
 * Chron benchmarks (issue 3 item 8). Not a test: run `npx tsc -p tsconfig.json && node dist/bench/chron-bench.js [--entries N]`.
 * Measures, on a fresh temp database each run:
 *  1. durable appends/s with group commit (64, 256, 4,096 appends in flight; CPU per entry split by thread: main,
 *     Chron writer, the rest) vs one transaction per entry (each append awaited);
 *  2. at N entries (default 1,000,000): database bytes per entry, inclusion and consistency proof generation time;
 *  3. export + offline verify throughput over the whole log.
 * Results go to stdout as a Markdown table; bench/README.md ("Chron") records a run.
 */
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateSigningKey, openChron, parseVerifierKeys, type Chron } from '../chron/index.js';
import { exportLog } from '../chron/export.js';
import { StoreReader } from '../chron/store-reader.js';
import { threadCpuSeconds } from './procs.js';
import { verifyExport } from '../chron/verify-export.js';

const ORIGIN = 'bench.claiim.local/chron';
const { values } = parseArgs({ options: { entries: { type: 'string', default: '1000000' }, keep: { type: 'boolean' } } });
const N = Number(values.entries);
const dir = mkdtempSync(join(tmpdir(), 'chron-bench-'));
const rows: [string, string][] = [];
const json: Record<string, number> = {};
const record = (i: number): Record<string, unknown> => ({
  type: 'chron.decision/v1', decision_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, request_id: `r-${i}`,
  time: new Date(1_767_225_600_000 + i).toISOString(), agent: 'devops-bot', aiorg: 'engineering', anchor: 'eng-lead@acme.com',
  skill: 'deploy@1.4.2', upstream: 'github', method: 'GET', path: `/repos/acme/api/pulls/${i % 5000}`, effect: i % 7 === 0 ? 'deny' : 'allow',
  rule_id: i % 7 === 0 ? 'default_deny' : 'github-read', reason: i % 7 === 0 ? 'no_matching_rule' : 'allowed_by_rule',
  policy_digest: 'a3f1c0de9b7e4f2a8c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b', body_sha256: null, status: null, approval: null,
});

/**
 * CPU µs per entry by thread between two /proc snapshots: this (main) thread, the busiest other thread
 * (the Chron writer: each log has its own, started after the first snapshot's log was opened), and the
 * rest (V8 and libuv helpers).
 */
function perThread(before: Map<number, number>, after: Map<number, number>, entries: number): { main: number; writer: number; rest: number } {
  const used = [...after].map(([tid, cpu]) => [tid, cpu - (before.get(tid) ?? 0)] as const);
  const us = (seconds: number): number => (seconds * 1e6) / entries;
  const others = used.filter(([tid]) => tid !== process.pid).map(([, cpu]) => cpu).sort((a, b) => b - a);
  return {
    main: us(used.find(([tid]) => tid === process.pid)?.[1] ?? 0),
    writer: us(others[0] ?? 0),
    rest: us(others.slice(1).reduce((a, b) => a + b, 0)),
  };
}

async function open(name: string): Promise<Chron> {
  const key = join(dir, 'key.jwk');
  await generateSigningKey(key, ORIGIN);
  return openChron({ path: join(dir, `${name}.db`), origin: ORIGIN, signingKeyFile: key, checkpointIntervalMs: 0 });
}

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function dbBytes(name: string): number {
  return readdirSync(dir).filter((f) => f.startsWith(`${name}.db`)).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
}

async function main(): Promise<void> {
  // 1a. One transaction per entry: each append awaited before the next.
  {
    const log = await open('serial');
    const n = 2000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await log.append(record(i));
    const el = ms(t0);
    rows.push(['durable appends/s, one transaction per entry (serial, 2,000)', `${Math.round(n / (el / 1000)).toLocaleString('en-US')} /s (${(el / n).toFixed(2)} ms each)`]);
    await log.close();
  }
  // 1b. Group commit: 64 (what a gateway at 64 connections keeps in flight), 256 and 4,096 appends in flight.
  for (const inFlight of [64, 256, 4096]) {
    const log = await open(`group-${inFlight}`);
    const n = 50_000;
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    const threads0 = threadCpuSeconds(process.pid);
    let next = 0;
    const worker = async (): Promise<void> => { while (next < n) await log.append(record(next++)); };
    await Promise.all(Array.from({ length: inFlight }, worker));
    const el = ms(t0);
    const cpu = process.cpuUsage(cpu0);
    const split = perThread(threads0, threadCpuSeconds(process.pid), n);
    const st = log.stats();
    const perS = n / (el / 1000);
    const cpuUs = (cpu.user + cpu.system) / n;
    json[`groupCommit${inFlight}CpuUs`] = cpuUs;
    json[`groupCommit${inFlight}PerS`] = perS;
    json[`groupCommit${inFlight}WriterUs`] = split.writer;
    json[`groupCommit${inFlight}MainUs`] = split.main;
    rows.push([`durable appends/s, group commit (${inFlight.toLocaleString('en-US')} in flight, 50,000)`, `${Math.round(perS).toLocaleString('en-US')} /s (${st.transactions.toLocaleString('en-US')} transactions, ${(st.appends / st.transactions).toFixed(1)} entries each; CPU ${cpuUs.toFixed(1)} µs per entry, all threads: main ${split.main.toFixed(1)}, Chron writer ${split.writer.toFixed(1)}, other threads ${split.rest.toFixed(1)})`]);
    await log.close();
  }
  // 2. A log of N entries.
  const log = await open('big');
  const t0 = process.hrtime.bigint();
  const chunk = 8192;
  for (let base = 0; base < N; base += chunk) {
    await Promise.all(Array.from({ length: Math.min(chunk, N - base) }, (_, i) => log.append(record(base + i))));
  }
  json.fillPerS = N / (ms(t0) / 1000);
  rows.push([`fill ${N.toLocaleString('en-US')} entries (8,192 in flight)`, `${(ms(t0) / 1000).toFixed(1)} s, ${Math.round(N / (ms(t0) / 1000)).toLocaleString('en-US')} /s`]);
  await log.checkpoint();
  const sample = Buffer.byteLength(JSON.stringify(record(N >> 1)));
  const times: number[] = [];
  for (let k = 0; k < 200; k++) {
    const idx = Math.floor((k * 7919 * 104729) % N);
    const t = process.hrtime.bigint();
    await log.proveInclusion(idx);
    times.push(ms(t));
  }
  times.sort((a, b) => a - b);
  json.inclusionMedianMs = times[100] ?? Number.NaN;
  rows.push([`inclusion proof at ${N.toLocaleString('en-US')} (200 random indices)`, `median ${times[100]?.toFixed(3)} ms, p99 ${times[198]?.toFixed(3)} ms`]);
  const ct: number[] = [];
  for (let k = 1; k <= 100; k++) {
    const t = process.hrtime.bigint();
    log.proveConsistency(Math.max(1, Math.floor((N * k) / 101)), N);
    ct.push(ms(t));
  }
  ct.sort((a, b) => a - b);
  rows.push([`consistency proof to ${N.toLocaleString('en-US')} (100 sizes)`, `median ${ct[50]?.toFixed(3)} ms, p99 ${ct[98]?.toFixed(3)} ms`]);
  const vkeys = log.vkeys();
  await log.close();
  const bytes = dbBytes('big');
  rows.push([`database bytes per entry at ${N.toLocaleString('en-US')}`, `${(bytes / N).toFixed(1)} B (entry JSON ≈ ${sample} B; overhead ≈ ${(bytes / N - sample).toFixed(1)} B)`]);
  // 3. Export + verify.
  const out = join(dir, 'export');
  const reader = new StoreReader(join(dir, 'big.db'));
  const te = process.hrtime.bigint();
  await exportLog(reader, out);
  const exportMs = ms(te);
  reader.close();
  rows.push([`export ${N.toLocaleString('en-US')} entries`, `${(exportMs / 1000).toFixed(1)} s, ${Math.round(N / (exportMs / 1000)).toLocaleString('en-US')} entries/s`]);
  const tv = process.hrtime.bigint();
  await verifyExport(out, { verifiers: parseVerifierKeys(vkeys.join('\n')), expectedOrigin: ORIGIN });
  const verifyMs = ms(tv);
  rows.push([`verify ${N.toLocaleString('en-US')} entries offline`, `${(verifyMs / 1000).toFixed(1)} s, ${Math.round(N / (verifyMs / 1000)).toLocaleString('en-US')} entries/s`]);

  process.stdout.write(`| measurement | result |\n|---|---|\n${rows.map(([a, b]) => `| ${a} | ${b} |`).join('\n')}\n`);
  process.stdout.write(`\nnode ${process.version}, ${process.platform}/${process.arch}, temp dir ${values.keep === true ? dir : '(removed)'}\nBENCH_JSON ${JSON.stringify(json)}\n`);
}

main().finally(() => {
  if (values.keep !== true) rmSync(dir, { recursive: true, force: true });
}).catch((err: unknown) => {
  process.stderr.write(`chron-bench failed: ${String(err)}\n`);
  process.exitCode = 1;
});
