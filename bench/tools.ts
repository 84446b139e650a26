/**
 * Finding the external tools the side-by-side benchmark drives (nginx, wrk), and a free loopback port.
 * A missing tool is a value, not an exception: the runner prints how to install it and skips only
 * the rows that need it.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';

/** A tool found on this machine, or why not. */
export type Tool = { found: true; path: string; version: string } | { found: false; name: string; hint: string };

const INSTALL = 'apt-get update && apt-get install -y nginx wrk';

/** Looks for `name` on PATH and in /usr/sbin (Debian installs nginx there); reads its version line. */
export function findTool(name: 'nginx' | 'wrk'): Tool {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/usr/local/sbin'];
  for (const d of dirs) {
    const path = `${d}/${name}`;
    try {
      accessSync(path, constants.X_OK);
    } catch {
      continue;
    }
    return { found: true, path, version: versionOf(path, name) };
  }
  return { found: false, name, hint: `${name} not found on PATH or in /usr/sbin; install it with: ${INSTALL}` };
}

function versionOf(path: string, name: 'nginx' | 'wrk'): string {
  // nginx -v prints to stderr; wrk -v prints its banner and exits 1.
  const r = spawnSync(path, ['-v'], { encoding: 'utf8', timeout: 5_000 });
  return firstLine(`${r.stderr ?? ''}${r.stdout ?? ''}`) || `${name} (version unknown)`;
}

function firstLine(s: string): string {
  return (s.split('\n').find((l) => l.trim() !== '') ?? '').trim();
}

/** A loopback port that was free a moment ago (for nginx, which cannot report a port-0 bind). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
