import { dirname, isAbsolute, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { validRange } from 'semver';
import type { RawConfig } from './load.js';
import type { ConfigProblem, YamlSource } from './yaml-source.js';

/**
 * Cross-reference checks the schema cannot express: unique names and mounts, every aiorg / agent / group /
 * upstream reference resolves, semver ranges parse, issuer key files exist, and no policy binds an agent
 * to an upstream outside its aiorg (the aiorg wall is absolute: no rule may lift it).
 */
export function checkReferences(src: YamlSource, raw: RawConfig): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const dup = (section: string, key: string, values: readonly string[]): void => {
    const seen = new Set<string>();
    values.forEach((v, i) => {
      if (seen.has(v)) out.push({ ...src.locate([section, i, key]), code: 'ERR_CONFIG_DUPLICATE', message: `${section}: "${v}" is defined twice` });
      seen.add(v);
    });
  };
  dup('aiorgs', 'id', raw.aiorgs.map((a) => a.id));
  dup('upstreams', 'name', raw.upstreams.map((u) => u.name));
  dup('upstreams', 'mount', raw.upstreams.map((u) => u.mount));
  dup('agents', 'id', raw.agents.map((a) => a.id));
  const hostSeen = new Set<string>();
  raw.upstreams.forEach((u, i) => (u.hosts ?? []).forEach((h, j) => {
    if (hostSeen.has(h)) out.push({ ...src.locate(['upstreams', i, 'hosts', j]), code: 'ERR_CONFIG_DUPLICATE', message: `host "${h}" routes to two upstreams` });
    hostSeen.add(h);
  }));
  const ports = new Set([raw.listeners?.agent?.port ?? 8443, raw.listeners?.admin?.port ?? 9443].filter((p) => p !== 0));
  raw.upstreams.forEach((u, i) => {
    if (u.listen_port === undefined || u.listen_port === 0) return;
    if (ports.has(u.listen_port)) out.push({ ...src.locate(['upstreams', i, 'listen_port']), code: 'ERR_CONFIG_DUPLICATE', message: `listen_port ${u.listen_port} is already used by another listener` });
    ports.add(u.listen_port);
  });

  const ref = (path: (string | number)[], message: string): void => { out.push({ ...src.locate(path), code: 'ERR_CONFIG_REFERENCE', message }); };
  const aiorgs = new Set(raw.aiorgs.map((a) => a.id));
  const agents = new Map(raw.agents.map((a) => [a.id, a]));
  const upstreams = new Map(raw.upstreams.map((u) => [u.name, u]));
  const groups = raw.groups ?? {};

  raw.upstreams.forEach((u, i) => u.aiorgs.forEach((o, j) => { if (!aiorgs.has(o)) ref(['upstreams', i, 'aiorgs', j], `unknown aiorg "${o}"`); }));
  raw.agents.forEach((a, i) => {
    if (!aiorgs.has(a.aiorg)) ref(['agents', i, 'aiorg'], `unknown aiorg "${a.aiorg}"`);
    (a.skills ?? []).forEach((s, j) => {
      if (validRange(s.range) === null) out.push({ ...src.locate(['agents', i, 'skills', j, 'range']), code: 'ERR_CONFIG_VALUE', message: `"range" must be a semver range, got "${s.range}"` });
    });
  });
  for (const [g, members] of Object.entries(groups)) {
    if (agents.has(g)) out.push({ ...src.locate(['groups'], g), code: 'ERR_CONFIG_DUPLICATE', message: `group "${g}" has the same name as an agent` });
    members.forEach((m, j) => { if (!agents.has(m)) ref(['groups', g, j], `group "${g}": unknown agent "${m}"`); });
  }
  raw.policies.forEach((p, i) => {
    const upstream = upstreams.get(p.upstream);
    if (!upstream) ref(['policies', i, 'upstream'], `unknown upstream "${p.upstream}"`);
    p.agents.forEach((name, j) => {
      const ids = groups[name] ?? [name];
      if (!groups[name] && !agents.has(name)) { ref(['policies', i, 'agents', j], `unknown agent or group "${name}"`); return; }
      for (const id of ids) {
        const agent = agents.get(id);
        if (agent && upstream && !upstream.aiorgs.includes(agent.aiorg)) {
          out.push({ ...src.locate(['policies', i, 'agents', j]), code: 'ERR_CONFIG_REFERENCE', message: `agent "${id}" (aiorg "${agent.aiorg}") cannot be granted upstream "${upstream.name}" (aiorgs ${upstream.aiorgs.join(', ')}): aiorg boundary` });
        }
      }
    });
    if ((p.rules ?? []).length === 0 && (p.include ?? []).length === 0) {
      out.push({ ...src.locate(['policies', i]), code: 'ERR_CONFIG_VALUE', message: 'a policy needs "rules" or "include"' });
    }
  });
  raw.agents.forEach((a, i) => {
    if (a.require_client_cert && !raw.listeners?.agent?.tls?.client_ca_file) {
      out.push({ ...src.locate(['agents', i, 'require_client_cert']), code: 'ERR_CONFIG_VALUE', message: '"require_client_cert" needs listeners.agent.tls.client_ca_file (mTLS)' });
    }
  });
  raw.upstreams.forEach((u, i) => {
    let t: URL;
    try { t = new URL(u.target); } catch { return; } // reported by the loader
    // Over plain http the injected credential would cross the network in clear.
    if (t.protocol === 'http:' && !isLoopback(t.hostname) && u.plaintext !== true) {
      out.push({ ...src.locate(['upstreams', i, 'target']), code: 'ERR_CONFIG_VALUE', message: '"target" must be https: over plain http the injected credential travels in clear (http only to a loopback host, or set "plaintext: true" for a network you trust)' });
    }
  });
  const approvalIssuer = (raw as { approvals?: { admins?: { issuer?: unknown } } }).approvals?.admins?.issuer;
  raw.identity.issuers.forEach((iss, i) => {
    // An agent token must never pass as an admin token: the two issuers must differ.
    if (approvalIssuer !== undefined && iss.issuer === approvalIssuer) {
      out.push({ ...src.locate(['approvals', 'admins', 'issuer']), code: 'ERR_CONFIG_VALUE', message: `the admin issuer "${iss.issuer}" is also an agent issuer (identity.issuers[${i}]): admin tokens must come from an issuer that never signs agent tokens` });
    }
  });
  raw.identity.issuers.forEach((iss, i) => {
    if (!iss.jwks) return;
    const u = new URL(iss.jwks.url);
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
    if (u.protocol !== 'https:' && !loopback) out.push({ ...src.locate(['identity', 'issuers', i, 'jwks', 'url']), code: 'ERR_CONFIG_VALUE', message: '"jwks.url" must be https (plain http only to a loopback host)' });
  });
  const base = dirname(resolve(src.file));
  raw.identity.issuers.forEach((iss, i) => (iss.key_files ?? []).forEach((f, j) => {
    if (!existsSync(isAbsolute(f) ? f : resolve(base, f))) out.push({ ...src.locate(['identity', 'issuers', i, 'key_files', j]), code: 'ERR_CONFIG_KEY_FILE', message: `key file "${f}" does not exist` });
  }));
  const adminKeys = (raw as { approvals?: { admins?: { key_files?: unknown } } }).approvals?.admins?.key_files;
  if (Array.isArray(adminKeys)) adminKeys.forEach((f, j) => {
    if (typeof f === 'string' && !existsSync(isAbsolute(f) ? f : resolve(base, f))) out.push({ ...src.locate(['approvals', 'admins', 'key_files', j]), code: 'ERR_CONFIG_KEY_FILE', message: `key file "${f}" does not exist` });
  });
  return out;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}
