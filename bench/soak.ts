/**
 * The RSS soak (issue 9 item 3, "RSS flat over a 10-minute soak"): the gateway with durable Chron under
 * wrk at 16 connections (allow by path rule) for the given time, RSS sampled every 10 s. Flat means the
 * largest sample of the last third is at most 10 % above the largest of the middle third.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { rssBytes, startChild, type BenchChild } from './procs.js';
import { CREDENTIAL_ENV, scenarios, writeGatewaySetup } from './scenarios.js';
import type { TargetCheck } from './report.js';
import { runWrk, writeScript } from './wrk.js';

const MiB = 2 ** 20;

/** Runs the soak; returns a Markdown summary and the target check. */
export async function runSoak(o: { dir: string; wrkPath: string; seconds: number; say: (l: string) => void }): Promise<{ markdown: string; check: TargetCheck }> {
  const dir = join(o.dir, 'soak');
  mkdirSync(dir, { recursive: true });
  const started: BenchChild[] = [];
  try {
    const upstream = await startChild('upstream', new URL('./fake-upstream.js', import.meta.url), []);
    started.push(upstream);
    const setup = await writeGatewaySetup(dir, upstream.url, 'gateway');
    const gw = await startChild('gateway', new URL('./gateway-host.js', import.meta.url), [setup.configFile, 'durable'], { env: { ...process.env, [CREDENTIAL_ENV]: 'bench-upstream-credential' } });
    started.push(gw);
    const s = scenarios(setup.token).find((x) => x.id === 'gw-allow');
    if (!s) throw new Error('no gw-allow scenario');
    const script = join(dir, 'soak.lua');
    writeScript(script, s.spec);
    const url = gw.url + s.spec.path;
    await runWrk(o.wrkPath, url, script, 16, 10);
    const samples: { t: number; rss: number }[] = [];
    const t0 = Date.now();
    const sample = (): void => { const r = rssBytes(gw.pid); if (r !== undefined) samples.push({ t: (Date.now() - t0) / 1000, rss: r }); };
    sample();
    const timer = setInterval(() => { sample(); o.say(`soak ${Math.round((Date.now() - t0) / 1000)} s: RSS ${((samples.at(-1)?.rss ?? 0) / MiB).toFixed(1)} MiB`); }, 10_000);
    const res = await runWrk(o.wrkPath, url, script, 16, o.seconds).finally(() => clearInterval(timer));
    sample();
    const first = samples[0]?.rss ?? 0;
    const last = samples.at(-1)?.rss ?? 0;
    // Warm-up growth (V8 heap sizing, SQLite page cache) is expected; a leak shows as growth from the
    // middle third to the last third of the samples.
    const third = Math.max(1, Math.floor(samples.length / 3));
    const middleMax = Math.max(...samples.slice(third, 2 * third).map((x) => x.rss));
    const tailMax = Math.max(...samples.slice(2 * third).map((x) => x.rss));
    const growth = (tailMax - middleMax) / middleMax;
    const markdown = `Gateway (durable Chron), allow by path rule, wrk 16 connections for ${o.seconds} s after a 10 s warm-up: `
      + `${res.requests.toLocaleString('en-US')} requests (${Math.round(res.rps).toLocaleString('en-US')} req/s). `
      + `RSS before ${(first / MiB).toFixed(1)} MiB, after ${(last / MiB).toFixed(1)} MiB; max of the middle third ${(middleMax / MiB).toFixed(1)} MiB, of the last third ${(tailMax / MiB).toFixed(1)} MiB `
      + `(samples every 10 s: ${samples.map((x) => (x.rss / MiB).toFixed(0)).join(', ')} MiB).`;
    return { markdown, check: { target: `RSS flat over a ${Math.round(o.seconds / 60)}-minute soak (last third ≤ +10 % over the middle third)`, measured: `before ${(first / MiB).toFixed(1)} → after ${(last / MiB).toFixed(1)} MiB; middle → last third ${(growth * 100).toFixed(1)} %`, met: growth <= 0.1 } };
  } finally {
    for (const c of started.reverse()) await c.stop();
  }
}
