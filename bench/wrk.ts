/**
 * One load run with wrk: fixed connections and duration, one client thread, a Lua script for method,
 * headers and body, `--latency` for the percentile table. Returns the parsed numbers; a run whose
 * output cannot be parsed rejects with ERR_BENCH_WRK (never a made-up zero).
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';

/** What one request of a scenario looks like. `path` is appended to the target's base URL. */
export interface RequestSpec {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** Parsed result of one wrk run. Latencies in microseconds. */
export interface WrkResult {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50us: number;
  readonly p99us: number;
  /** Responses outside 2xx/3xx. */
  readonly non2xx: number;
  /** connect + read + write + timeout socket errors. */
  readonly socketErrors: number;
}

/** wrk output that does not parse. */
export class WrkError extends Error {
  readonly code = 'ERR_BENCH_WRK';
}

/** Writes the Lua script that makes wrk send `spec` (strings escaped as Lua long-bracket-free literals). */
export function writeScript(file: string, spec: RequestSpec): void {
  const lua = (s: string): string => JSON.stringify(s); // a JSON string literal is a valid Lua string literal for ASCII
  const lines = [`wrk.method = ${lua(spec.method)}`];
  for (const [k, v] of Object.entries(spec.headers)) lines.push(`wrk.headers[${lua(k)}] = ${lua(v)}`);
  if (spec.body !== undefined) lines.push(`wrk.body = ${lua(spec.body)}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
}

/** Runs wrk against `url` (full URL incl. path) for `seconds` with `connections`. */
export function runWrk(wrkPath: string, url: string, script: string, connections: number, seconds: number): Promise<WrkResult> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '--latency', '-s', script, url];
  return new Promise((resolve, reject) => {
    execFile(wrkPath, args, { timeout: (seconds + 20) * 1000, encoding: 'utf8' }, (err, stdout) => {
      if (err) { reject(new WrkError(`wrk failed: ${err.message}`)); return; }
      try {
        resolve(parseWrk(stdout));
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** Parses wrk's text report. Throws WrkError when a required line is missing. */
export function parseWrk(out: string): WrkResult {
  const need = (re: RegExp, what: string): RegExpExecArray => {
    const m = re.exec(out);
    if (!m) throw new WrkError(`wrk output has no ${what}`);
    return m;
  };
  const total = need(/(\d+) requests in ([\d.]+)(us|ms|s|m)/, 'request count');
  const rps = need(/Requests\/sec:\s+([\d.]+)/, 'Requests/sec');
  const p50 = need(/\n\s+50%\s+([\d.]+)(us|ms|s)/, '50% latency');
  const p99 = need(/\n\s+99%\s+([\d.]+)(us|ms|s)/, '99% latency');
  const non = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requests: Number(total[1]),
    seconds: toUs(Number(total[2]), total[3] as string) / 1e6,
    rps: Number(rps[1]),
    p50us: toUs(Number(p50[1]), p50[2] as string),
    p99us: toUs(Number(p99[1]), p99[2] as string),
    non2xx: non ? Number(non[1]) : 0,
    socketErrors: sock ? sock.slice(1).reduce((s, x) => s + Number(x), 0) : 0,
  };
}

function toUs(v: number, unit: string): number {
  switch (unit) {
    case 'us': return v;
    case 'ms': return v * 1e3;
    case 's': return v * 1e6;
    case 'm': return v * 60e6;
    default: throw new WrkError(`unknown wrk unit ${unit}`);
  }
}
