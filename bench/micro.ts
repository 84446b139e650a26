/**
 * Runs the micro-benchmarks (issue 9 item 2) as separate processes — request-bench (tokens,
 * canonicalization), rules-bench (10 / 1,000 / 10,000 rules), chron-bench (group commit, proofs at
 * N entries) — collects their Markdown tables and their `BENCH_JSON` lines, and checks the micro
 * targets of item 3 (Chron ≥ 100k durable entries/s; evaluation at 10,000 rules within 2× of 10).
 */
import { execFile } from 'node:child_process';
import type { TargetCheck } from './report.js';

interface Ran { markdown: string; json: Record<string, unknown> }

function runBench(entry: string, args: readonly string[], timeoutMs: number): Promise<Ran> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [new URL(`./${entry}.js`, import.meta.url).pathname, ...args], { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => {
      if (err) { reject(Object.assign(new Error(`${entry} failed: ${stderr.slice(-500)}`), { code: 'ERR_BENCH_MICRO' })); return; }
      const lines = stdout.split('\n');
      const j = lines.find((l) => l.startsWith('BENCH_JSON '));
      resolve({ markdown: lines.filter((l) => !l.startsWith('BENCH_JSON ')).join('\n').trim(), json: j ? JSON.parse(j.slice('BENCH_JSON '.length)) as Record<string, unknown> : {} });
    });
  });
}

/** Runs all three; `chronEntries` sizes the proof-generation log (1,000,000 by default in run.ts). */
export async function runMicro(o: { chronEntries: number; say: (l: string) => void }): Promise<{ markdown: string; checks: TargetCheck[] }> {
  o.say('micro: request-bench (tokens, canonicalization)');
  const req = await runBench('request-bench', [], 300_000);
  o.say(req.markdown);
  o.say('micro: rules-bench (10 / 1,000 / 10,000 rules)');
  const rules = await runBench('rules-bench', [], 300_000);
  o.say(rules.markdown);
  o.say(`micro: chron-bench (--entries ${o.chronEntries})`);
  const chron = await runBench('chron-bench', ['--entries', String(o.chronEntries)], 900_000);
  o.say(chron.markdown);
  const checks: TargetCheck[] = [];
  const c = chron.json;
  const best = Math.max(Number(c.groupCommit256PerS), Number(c.groupCommit4096PerS));
  checks.push({ target: 'Chron ≥ 100,000 durable entries/s (append micro-benchmark, group commit)', met: best >= 100_000,
    measured: `${Math.round(Number(c.groupCommit4096PerS)).toLocaleString('en-US')} /s at 4,096 in flight, ${Math.round(Number(c.groupCommit256PerS)).toLocaleString('en-US')} /s at 256, ${Math.round(Number(c.groupCommit64PerS)).toLocaleString('en-US')} /s at 64${best < 100_000 ? ` — ${(100_000 / best).toFixed(1)}× short` : ''}` });
  const ev = (rules.json.evalUs ?? {}) as Record<string, Record<string, number>>;
  const small = ev['10'] ?? {};
  const big = ev['10000'] ?? {};
  const ratios = Object.keys(small).map((k) => [k, (big[k] ?? Number.NaN) / (small[k] ?? Number.NaN)] as const);
  const worst = ratios.reduce((a, b) => (b[1] > a[1] ? b : a), ['none', 0] as readonly [string, number]);
  checks.push({ target: 'rule evaluation at 10,000 rules within 2× of 10 rules', met: worst[1] <= 2,
    measured: `worst case "${worst[0]}": ${worst[1].toFixed(2)}× (${ratios.map(([k, q]) => `${k} ${q.toFixed(2)}×`).join(', ')})` });
  return {
    markdown: `Token verification and canonicalization (\`node dist/bench/request-bench.js\`):\n\n${req.markdown}\n\n`
      + `Rule evaluation (\`node dist/bench/rules-bench.js\`):\n\n${rules.markdown}\n\n`
      + `Chron append and proofs (\`node dist/bench/chron-bench.js --entries ${o.chronEntries}\`):\n\n${chron.markdown}`,
    checks,
  };
}
