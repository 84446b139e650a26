/**
 * nginx as the reference reverse proxy: its own generated config in a temp prefix, one worker process
 * (one event loop, like the single Node process it is compared with), access log off, HTTP/1.1
 * keep-alive to the upstream (`keepalive 128`). Started in the foreground so this run owns its pid
 * and stops exactly it.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { BenchStartError, type BenchChild } from './procs.js';
import { freePort } from './tools.js';

/** The nginx.conf this bench uses: a plain keep-alive reverse proxy for `upstream` (host:port). */
export function nginxConfig(prefix: string, listenPort: number, upstream: URL): string {
  return `worker_processes 1;
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  upstream bench_upstream { server ${upstream.host}; keepalive 128; }
  server {
    listen 127.0.0.1:${listenPort};
    keepalive_requests 1000000;
    location / {
      proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

/** Starts `nginxPath` with a generated config under `dir`; resolves once it accepts connections. */
export async function startNginx(nginxPath: string, dir: string, upstream: URL): Promise<BenchChild> {
  const prefix = join(dir, 'nginx');
  mkdirSync(join(prefix, 'tmp'), { recursive: true });
  const port = await freePort();
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(conf, nginxConfig(prefix, port, upstream));
  const child = spawn(nginxPath, ['-p', prefix, '-c', conf, '-e', join(prefix, 'error.log')], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (child.pid === undefined) throw new BenchStartError('nginx did not start');
  const pid = child.pid;
  let exited = false;
  child.once('exit', () => { exited = true; });
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (exited || Date.now() > deadline) { child.kill('SIGKILL'); throw new BenchStartError(`nginx did not listen on ${port} (see ${prefix}/error.log)`); }
    await new Promise((r) => setTimeout(r, 50));
  }
  let done: Promise<void> | undefined;
  return {
    name: 'nginx', url: `http://127.0.0.1:${port}`, pid,
    stop: (graceMs = 5_000) => (done ??= new Promise<void>((resolve) => {
      if (exited) { resolve(); return; }
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.once('exit', () => { clearTimeout(timer); resolve(); });
      child.kill('SIGTERM');
    })),
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}
