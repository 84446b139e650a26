/**
 * bench/README.md upkeep: the runner owns only the block between the two markers below (created
 * before the first "## " section if absent); every hand-written section, e.g. "Chron", is kept.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { CpuInfo } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Tool } from './tools.js';

const START = '<!-- bench:generated:start (written by `npm run bench`; edits inside are overwritten) -->';
const END = '<!-- bench:generated:end -->';
/** The source README (bench/README.md), resolved from dist/bench/. */
const README = fileURLToPath(new URL('../../bench/README.md', import.meta.url));

/** Replaces the generated block of bench/README.md with `## Latest run` + `body`; returns the file path. */
export function writeReadmeSection(body: string): string {
  const old = readFileSync(README, 'utf8');
  const block = `${START}\n## Latest run (\`npm run bench\`)\n\n${body}\n${END}`;
  let next: string;
  const a = old.indexOf(START);
  const b = old.indexOf(END);
  if (a !== -1 && b > a) next = old.slice(0, a) + block + old.slice(b + END.length);
  else {
    const firstSection = old.indexOf('\n## ');
    next = firstSection === -1 ? `${old.trimEnd()}\n\n${block}\n` : `${old.slice(0, firstSection + 1)}${block}\n\n${old.slice(firstSection + 1)}`;
  }
  writeFileSync(README, next);
  return README;
}

/** Machine, versions, load and the reproduce command, as Markdown lines. */
export function machineLines(m: { load0: number[]; load1: number[]; cpus: CpuInfo[]; totalmem: number; wrk: Tool; nginx: Tool; minutes: number }): string {
  const la = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' / ');
  const pkg = (name: string): string => {
    try {
      return (JSON.parse(readFileSync(fileURLToPath(new URL(`../../node_modules/${name}/package.json`, import.meta.url)), 'utf8')) as { version: string }).version;
    } catch {
      return 'unknown';
    }
  };
  return [
    `Run of ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${m.minutes.toFixed(1)} min. Reproduce: \`npm run bench\` (= \`npm run build && node dist/bench/run.js\`; flags in \`bench/run.ts\`).`,
    '',
    `- machine: ${m.cpus.length} × ${m.cpus[0]?.model.trim() ?? 'unknown CPU'}, ${(m.totalmem / 2 ** 30).toFixed(1)} GiB, ${process.platform}/${process.arch}; shared with other work — compare rows of this run only`,
    `- load average (1/5/15 min): ${la(m.load0)} at start, ${la(m.load1)} at end`,
    `- Node ${process.version}; undici ${pkg('undici')}, better-sqlite3 ${pkg('better-sqlite3')}, jose ${pkg('jose')}, graphql ${pkg('graphql')}`,
    `- ${m.nginx.found ? m.nginx.version : 'nginx: not installed'}; ${m.wrk.found ? m.wrk.version : 'wrk: not installed'}`,
  ].join('\n');
}
