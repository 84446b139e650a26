import { dirname, isAbsolute, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { compilePolicySet, type PolicySet, type RuleSpec } from '../../rules/index.js';
import { configSchema, ruleListFileSchema, ruleMapFileSchema } from './schema.js';
import { approvalsConfigFromRaw, type ApprovalsConfig } from '../approvals/config.js';
import { checkReferences } from './references.js';
import { resolveSecrets } from './secrets.js';
import type { GatewayConfig, PolicyConfig, UpstreamConfig } from './types.js';
import { readYamlSource, type ConfigProblem, type SourcePosition, type YamlSource } from './yaml-source.js';

/** The result of loading: a frozen config plus what was built from it, or every problem found. */
export type LoadResult =
  | { ok: true; config: GatewayConfig; policySet: PolicySet; secrets: ReadonlyMap<string, string>; sources: readonly string[] }
  | { ok: false; problems: readonly ConfigProblem[] };

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validateConfig = ajv.compile(configSchema);
const validateRuleList = ajv.compile(ruleListFileSchema);
const validateRuleMap = ajv.compile(ruleMapFileSchema);
const LITERAL_SECRET_KEYS = new Set(['value', 'secret', 'token', 'password', 'api_key', 'key', 'literal']);

/**
 * Loads claiim.yaml once: parse → validate (schema, references, secrets, rules) → defaults → freeze.
 * Every problem in the file and in the rule files it includes is reported together with file:line:column.
 * Relative paths in the config are resolved against the config file's folder. Never throws for bad input.
 */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadResult {
  const read = readYamlSource(file);
  if (!read.ok) return { ok: false, problems: read.problems };
  const src = read.source;
  if (!validateConfig(src.value)) return { ok: false, problems: schemaProblems(src, validateConfig.errors ?? [], []) };
  const raw = src.value as RawConfig;
  const base = dirname(resolve(file));
  const path = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  const problems: ConfigProblem[] = [];

  const upstreams: UpstreamConfig[] = raw.upstreams.map((u) => ({
    name: u.name, mount: u.mount, target: new URL(u.target), aiorgs: u.aiorgs,
    pathCase: u.path_case ?? 'sensitive', timeoutMs: u.timeout_ms ?? 30_000, connectTimeoutMs: u.connect_timeout_ms ?? 5_000,
    hosts: u.hosts ?? [],
    websocket: u.websocket ?? false,
    pathEncodedSlash: u.path_encoded_slash ?? 'reject',
    ...(u.listen_port !== undefined ? { listenPort: u.listen_port } : {}),
    ...(u.ca_file ? { caFile: path(u.ca_file) } : {}),
    credential: {
      header: u.credential.header.toLowerCase(), format: u.credential.format,
      source: u.credential.env !== undefined ? { env: u.credential.env } : { file: path(u.credential.file ?? '') },
    },
  }));
  raw.upstreams.forEach((u, i) => {
    const c = u.credential;
    if ((c.env === undefined) === (c.file === undefined)) {
      problems.push({ ...src.locate(['upstreams', i, 'credential']), code: 'ERR_CONFIG_SECRET_SOURCE', message: '"credential" needs exactly one of "env" or "file"' });
    }
  });
  const { policies, origins, includes } = expandPolicies(src, raw, path, problems);
  problems.push(...checkReferences(src, raw));
  const secrets = problems.length === 0 ? resolveSecrets(src, upstreams, env, problems) : new Map<string, string>();

  const compiled = compilePolicySet(policies, upstreams.map((u) => ({ name: u.name, pathCase: u.pathCase })));
  if (!compiled.ok) {
    for (const p of compiled.problems) {
      const origin = p.rule === undefined ? undefined : origins[p.policy]?.[p.rule];
      const at: SourcePosition = origin ? origin.src.locate([...origin.path, ...p.path]) : src.locate(['policies', p.policy]);
      problems.push({ ...at, code: p.code, message: p.message });
    }
  }
  raw.identity.issuers.forEach((iss, i) => {
    if ((iss.key_files === undefined) === (iss.jwks === undefined)) {
      problems.push({ ...src.locate(['identity', 'issuers', i]), code: 'ERR_CONFIG_VALUE', message: 'an issuer needs exactly one of "key_files" or "jwks"' });
    }
  });
  let approvals: ApprovalsConfig | undefined;
  if (raw.approvals !== undefined) {
    try {
      approvals = approvalsConfigFromRaw(raw.approvals, path);
    } catch (err) {
      problems.push({ ...src.locate(['approvals', 'default_ttl_s']), code: 'ERR_CONFIG_VALUE', message: err instanceof Error ? err.message : 'invalid approvals section' });
    }
  }
  if (problems.length > 0 || !compiled.ok) return { ok: false, problems: sortProblems(problems) };

  const tolerance = raw.identity.clock_tolerance_s ?? 30;
  const agentTls = raw.listeners?.agent?.tls;
  const config: GatewayConfig = {
    file: resolve(file),
    listeners: {
      agent: {
        host: raw.listeners?.agent?.host ?? '127.0.0.1', port: raw.listeners?.agent?.port ?? 8443,
        ...(agentTls ? { tls: {
          certFile: path(agentTls.cert_file), keyFile: path(agentTls.key_file), watchIntervalMs: agentTls.watch_interval_ms ?? 5_000,
          ...(agentTls.client_ca_file ? { clientCaFile: path(agentTls.client_ca_file) } : {}),
          ...(agentTls.trust_domain ? { trustDomain: agentTls.trust_domain } : {}),
        } } : {}),
      },
      admin: { host: raw.listeners?.admin?.host ?? '127.0.0.1', port: raw.listeners?.admin?.port ?? 9443 },
    },
    chron: {
      dbPath: path(raw.chron?.db_path ?? 'data/chron.db'),
      origin: raw.chron?.origin ?? 'claiim.local/gateway',
      signingKeyFile: path(raw.chron?.signing_key_file ?? 'data/keys/chron-signing.jwk'),
      checkpointIntervalMs: (raw.chron?.checkpoint_interval_s ?? 60) * 1000,
    },
    ...(approvals ? { approvals } : {}),
    reload: { watchIntervalMs: raw.reload?.watch_interval_ms ?? 2_000 },
    limits: {
      maxHeaderBytes: raw.limits?.max_header_bytes ?? 16_384,
      maxBodyBytes: raw.limits?.max_body_bytes ?? 1_048_576,
      requestTimeoutMs: raw.limits?.request_timeout_ms ?? 60_000,
      maxTokenBytes: raw.limits?.max_token_bytes ?? 8_192,
      maxConcurrentPerAgent: raw.limits?.max_concurrent_per_agent ?? 64,
      shutdownGraceMs: raw.limits?.shutdown_grace_ms ?? 10_000,
    },
    identity: {
      issuers: raw.identity.issuers.map((iss) => ({
        issuer: iss.issuer,
        audience: typeof iss.audience === 'string' ? [iss.audience] : iss.audience,
        algorithms: iss.algorithms,
        ...(iss.key_files ? { keyFiles: iss.key_files.map(path) } : {}),
        ...(iss.jwks ? { jwks: { url: iss.jwks.url, cooldownMs: iss.jwks.cooldown_ms ?? 30_000, cacheMaxAgeMs: iss.jwks.cache_max_age_ms ?? 600_000, timeoutMs: iss.jwks.timeout_ms ?? 5_000 } } : {}),
        clockToleranceS: tolerance,
        ...(iss.max_token_age_s !== undefined ? { maxTokenAgeS: iss.max_token_age_s } : {}),
      })),
    },
    aiorgs: raw.aiorgs,
    upstreams,
    agents: raw.agents.map((a) => ({ id: a.id, aiorg: a.aiorg, anchor: a.anchor, skills: a.skills ?? [], requireClientCert: a.require_client_cert ?? false })),
    policies,
  };
  return { ok: true, config: deepFreeze(config), policySet: compiled.policySet, secrets, sources: [resolve(file), ...includes] };
}

interface RuleOrigin { src: YamlSource; path: (string | number)[] }

function expandPolicies(src: YamlSource, raw: RawConfig, path: (p: string) => string, problems: ConfigProblem[]): { policies: PolicyConfig[]; origins: RuleOrigin[][]; includes: string[] } {
  const groups = raw.groups ?? {};
  const policies: PolicyConfig[] = [];
  const origins: RuleOrigin[][] = [];
  const includes = new Set<string>();
  raw.policies.forEach((p, i) => {
    const rules: RuleSpec[] = [];
    const ruleOrigins: RuleOrigin[] = [];
    (p.rules ?? []).forEach((r, j) => { rules.push(r); ruleOrigins.push({ src, path: ['policies', i, 'rules', j] }); });
    (p.include ?? []).forEach((inc, k) => {
      includes.add(path(inc));
      const read = readYamlSource(path(inc));
      if (!read.ok) {
        const at = src.locate(['policies', i, 'include', k]);
        problems.push(...read.problems.map((q) => (q.code === 'ERR_CONFIG_READ' ? { ...q, ...at, message: `include "${inc}": ${q.message}` } : q)));
        return;
      }
      const inner = read.source;
      // Pick the schema by shape so one mistake gives one message, not one per alternative.
      const validate = Array.isArray(inner.value) ? validateRuleList : validateRuleMap;
      if (!validate(inner.value)) {
        problems.push(...schemaProblems(inner, validate.errors ?? [], []));
        return;
      }
      const list = Array.isArray(inner.value) ? (inner.value as RuleSpec[]) : (inner.value as { rules: RuleSpec[] }).rules;
      const prefix = Array.isArray(inner.value) ? [] : ['rules'];
      list.forEach((r, j) => { rules.push(r); ruleOrigins.push({ src: inner, path: [...prefix, j] }); });
    });
    const seen = new Map<string, number>();
    rules.forEach((r, j) => {
      if (seen.has(r.id)) {
        const o = ruleOrigins[j];
        if (o) problems.push({ ...o.src.locate([...o.path, 'id']), code: 'ERR_CONFIG_DUPLICATE', message: `rule id "${r.id}" appears twice in policy ${i}` });
      }
      seen.set(r.id, j);
    });
    const agents = [...new Set(p.agents.flatMap((a) => groups[a] ?? [a]))];
    policies.push({ agents, upstream: p.upstream, rules });
    origins.push(ruleOrigins);
  });
  return { policies, origins, includes: [...includes] };
}

function schemaProblems(src: YamlSource, errors: readonly ErrorObject[], out: ConfigProblem[]): ConfigProblem[] {
  for (const e of errors) {
    const path = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    if (e.keyword === 'additionalProperties') {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const secretish = path.at(-1) === 'credential' && LITERAL_SECRET_KEYS.has(key.toLowerCase());
      out.push({
        ...src.locate(path, key),
        code: secretish ? 'ERR_CONFIG_LITERAL_SECRET' : 'ERR_CONFIG_UNKNOWN_KEY',
        message: secretish ? `"${key}": a literal secret is not allowed in config; use "env" or "file"` : `unknown key "${key}"`,
      });
      continue;
    }
    if (e.keyword === 'anyOf' || e.keyword === 'if') continue;
    const where = path.length > 0 ? `"${path.join('.')}"` : 'the document';
    out.push({ ...src.locate(path), code: 'ERR_CONFIG_SCHEMA', message: `${where} ${e.message ?? 'is invalid'}${allowed(e)}` });
  }
  return sortProblems(out);
}

function allowed(e: ErrorObject): string {
  const p = e.params as { allowedValues?: unknown[] };
  return Array.isArray(p.allowedValues) ? ` (${p.allowedValues.map(String).join(', ')})` : '';
}

function sortProblems(ps: ConfigProblem[]): ConfigProblem[] {
  const key = (p: ConfigProblem): string => `${p.file}\u0000${String(p.line).padStart(8, '0')}\u0000${String(p.col).padStart(6, '0')}\u0000${p.message}`;
  const uniq = new Map(ps.map((p) => [key(p), p]));
  return [...uniq.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, p]) => p);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value) && !(value instanceof URL)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** The shape Ajv has checked; only load.ts, references.ts and secrets.ts read it. */
export interface RawConfig {
  listeners?: { agent?: { host?: string; port: number; tls?: { cert_file: string; key_file: string; client_ca_file?: string; trust_domain?: string; watch_interval_ms?: number } }; admin?: { host?: string; port: number } };
  chron?: { db_path?: string; origin?: string; signing_key_file?: string; checkpoint_interval_s?: number };
  approvals?: unknown;
  reload?: { watch_interval_ms?: number };
  limits?: { max_header_bytes?: number; max_body_bytes?: number; request_timeout_ms?: number; max_token_bytes?: number; max_concurrent_per_agent?: number; shutdown_grace_ms?: number };
  identity: { clock_tolerance_s?: number; issuers: { issuer: string; audience: string | string[]; algorithms: string[]; key_files?: string[]; max_token_age_s?: number; jwks?: { url: string; cooldown_ms?: number; cache_max_age_ms?: number; timeout_ms?: number } }[] };
  aiorgs: { id: string; description?: string }[];
  upstreams: { name: string; mount: string; target: string; plaintext?: boolean; aiorgs: string[]; path_case?: 'sensitive' | 'insensitive'; timeout_ms?: number; connect_timeout_ms?: number; ca_file?: string; hosts?: string[]; listen_port?: number; websocket?: boolean; path_encoded_slash?: 'reject' | 'decode'; credential: { header: string; format: string; env?: string; file?: string } }[];
  agents: { id: string; aiorg: string; anchor: string; description?: string; require_client_cert?: boolean; skills?: { name: string; range: string }[] }[];
  groups?: Record<string, string[]>;
  policies: { description?: string; agents: string[]; upstream: string; rules?: RuleSpec[]; include?: string[] }[];
}
