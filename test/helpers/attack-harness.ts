import { createPrivateKey, sign, type JsonWebKey as NodeJwk, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { generateSigningKey, leafHash, parseVerifierKeys, verifyTlogProof } from '../../chron/index.js';
import { loadConfig } from '../../gateway/config/load.js';
import { startFakeUpstream, type FakeUpstream, type FakeUpstreamOptions } from '../../gateway/demo/fake-upstreams/index.js';
import { startGateway, type RunningGateway } from '../../gateway/gateway.js';
import { createLogger } from '../../gateway/log.js';
import { connect } from 'node:net';
import { tempDir } from './tmp.js';

/**
 * The attack-suite harness: the gateway running the fixture policy of shared/security/CASES.md
 * (`test/fixtures/attack-policy.yaml`, loaded through the real config loader) in front of recording fakes of
 * GitHub, Zendesk and Stripe, with agent a1's RS256 test key (`test/fixtures/attack-keys/`, kid k1).
 */
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));
export const ATTACK_ISSUER = 'https://idp.test';
export const ATTACK_AUDIENCE = 'gw';

export type UpstreamName = 'github' | 'zendesk' | 'stripe';
export type Entry = Record<string, unknown>;

export interface AttackHarness {
  readonly gw: RunningGateway;
  readonly fakes: Readonly<Record<UpstreamName, FakeUpstream>>;
  /** The k1 private key (RS256), for forging tokens with chosen headers and claims. */
  readonly key: KeyObject;
  /** A valid token for a1 (`sub=a1, aud=gw, iss=https://idp.test`, RS256, kid k1, 10 minutes). */
  readonly token: string;
  /** Sends `raw` as bytes (a string as UTF-8); `TOKEN` in it is replaced by the valid token first. */
  send(raw: string | Buffer, timeoutMs?: number): Promise<Reply>;
  /** Total requests the three fakes have received. */
  received(): number;
  /** Parsed Chron entries from index `from` on. */
  entriesFrom(from: number): Entry[];
  /** Raw bytes of every Chron entry, as UTF-8 text, joined by newlines. */
  rawEntries(): string;
  /** Checkpoints the log and verifies the C2SP inclusion proof of entry `index` against the log's own vkey. */
  verifyEntry(index: number): Promise<void>;
}

export interface Reply { readonly status: number; readonly headers: Record<string, string>; readonly body: string; readonly json: Record<string, unknown> | null; readonly raw: string }

/** Starts the three fakes (`opts.github` passed to the GitHub fake) and the gateway on port 0; everything is stopped in `t.after`. */
export async function startAttackHarness(t: TestContext, opts: { github?: FakeUpstreamOptions } = {}): Promise<AttackHarness> {
  const tmp = tempDir(t);
  const chronKey = `${tmp.dir}/chron.jwk`;
  await generateSigningKey(chronKey, 'claiim.test/attacks');
  const fakes = {
    github: await startFakeUpstream('github', opts.github),
    zendesk: await startFakeUpstream('zendesk'),
    stripe: await startFakeUpstream('stripe'),
  };
  t.after(() => Promise.all(Object.values(fakes).map((f) => f.close())));
  const fill: Record<string, string> = {
    chron_db: `${tmp.dir}/chron.db`, chron_key: chronKey, issuer_key: `${FIXTURES}attack-keys/k1.public.jwk`,
    github: fakes.github.url, zendesk: fakes.zendesk.url, stripe: fakes.stripe.url,
  };
  const text = readFileSync(`${FIXTURES}attack-policy.yaml`, 'utf8').replace(/\{\{(\w+)\}\}/g, (_m, k: string) => {
    const v = fill[k];
    if (v === undefined) throw new Error(`attack-policy.yaml: unknown placeholder ${k}`);
    return v;
  });
  const file = tmp.write('claiim.yaml', text);
  const loaded = loadConfig(file, { ATTACK_GITHUB_TOKEN: fakes.github.credentialSecret, ATTACK_ZENDESK_TOKEN: fakes.zendesk.credentialSecret, ATTACK_STRIPE_KEY: fakes.stripe.credentialSecret });
  if (!loaded.ok) throw new Error(`attack-policy.yaml invalid: ${JSON.stringify(loaded.problems)}`);
  const gw = await startGateway(loaded.config, loaded.policySet, loaded.secrets, createLogger('silent'), {});
  t.after(() => gw.close());

  const key = attackKey();
  const token = signJwt(key, { alg: 'RS256', typ: 'JWT', kid: 'k1' }, claims());
  const entryText = (i: number): string | undefined => gw.chron.entry(i)?.data.toString('utf8');
  return {
    gw, fakes, key, token,
    send: (raw, timeoutMs) => exchange(gw.agentUrl, typeof raw === 'string'
      ? Buffer.from(raw.replaceAll('TOKEN', token), 'utf8')
      : Buffer.from(raw.toString('latin1').replaceAll('TOKEN', token), 'latin1'), timeoutMs),
    received: () => fakes.github.received.length + fakes.zendesk.received.length + fakes.stripe.received.length,
    entriesFrom: (from) => {
      const out: Entry[] = [];
      for (let i = from; i < gw.chron.treeSize(); i++) { const s = entryText(i); if (s !== undefined) out.push(JSON.parse(s) as Entry); }
      return out;
    },
    rawEntries: () => {
      const out: string[] = [];
      for (let i = 0; i < gw.chron.treeSize(); i++) out.push(entryText(i) ?? '');
      return out.join('\n');
    },
    verifyEntry: async (index) => {
      await gw.chron.checkpoint();
      const proof = await gw.chron.proveInclusion(index);
      const data = gw.chron.entry(index)?.data;
      if (!data) throw new Error(`no entry ${index}`);
      verifyTlogProof(proof.tlogProof, leafHash(data), parseVerifierKeys(gw.chron.vkeys().join('\n')), gw.chron.origin);
    },
  };
}

/**
 * Writes `bytes` on a fresh TCP connection and reads one response (until its Content-Length is complete, the
 * peer closes, or `timeoutMs`). Resolves with status 0 when the connection closed without any response.
 */
export function exchange(baseUrl: string, bytes: Buffer, timeoutMs = 5000): Promise<Reply> {
  const u = new URL(baseUrl);
  return new Promise((resolve) => {
    const sock = connect(Number(u.port), u.hostname);
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      // Interim 1xx answers (100 Continue) precede the final response.
      const raw = Buffer.concat(chunks).toString('utf8').replace(/^(HTTP\/1\.1 1\d\d [^\r]*\r\n(?:[^\r]+\r\n)*\r\n)+/, '');
      const end = raw.indexOf('\r\n\r\n');
      const head = end === -1 ? raw : raw.slice(0, end);
      const body = end === -1 ? '' : raw.slice(end + 4);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) { const i = l.indexOf(':'); if (i > 0) headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim(); }
      let json: Record<string, unknown> | null = null;
      try { json = JSON.parse(body) as Record<string, unknown>; } catch { json = null; }
      resolve({ status: Number(statusLine.split(' ')[1] ?? 0) || 0, headers, body, json, raw });
    };
    const timer = setTimeout(finish, timeoutMs);
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      let all = Buffer.concat(chunks);
      while (/^HTTP\/1\.1 1\d\d /.test(all.subarray(0, 13).toString('latin1'))) {
        const e = all.indexOf('\r\n\r\n');
        if (e === -1) return;
        all = all.subarray(e + 4);
      }
      const end = all.indexOf('\r\n\r\n');
      if (end === -1) return;
      const m = /\r\ncontent-length: *(\d+)/i.exec(all.subarray(0, end).toString('latin1'));
      if (m && all.length - end - 4 >= Number(m[1])) finish();
    });
    sock.on('end', finish);
    sock.on('close', finish);
    sock.on('error', finish);
    sock.write(bytes);
  });
}

/** The k1 test private key (RS256). */
export function attackKey(): KeyObject {
  return createPrivateKey({ key: JSON.parse(readFileSync(`${FIXTURES}attack-keys/k1.private.jwk`, 'utf8')) as NodeJwk, format: 'jwk' });
}

/** a1's standard claims, valid for ten minutes from now; `extra` overrides or adds claims (undefined removes). */
export function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  const c: Record<string, unknown> = { iss: ATTACK_ISSUER, aud: ATTACK_AUDIENCE, sub: 'a1', iat: now, exp: now + 600, ...extra };
  for (const k of Object.keys(c)) if (c[k] === undefined) delete c[k];
  return c;
}

/** base64url of UTF-8 JSON. */
export function b64json(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

/**
 * A compact JWS over the given header and claims, signed with RSASSA-PKCS1-v1_5 SHA-256 by `key`
 * whatever `header.alg` says (so a test can lie about the algorithm). A string payload is used as the exact JSON text.
 */
export function signJwt(key: KeyObject, header: Record<string, unknown>, payload: Record<string, unknown> | string): string {
  const input = `${b64json(header)}.${typeof payload === 'string' ? Buffer.from(payload).toString('base64url') : b64json(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

/** A raw HTTP/1.1 request with Host gw.test and a bearer `TOKEN` placeholder; `body` adds its Content-Length. */
export function req(method: string, target: string, extra = '', body = '', auth = 'Authorization: Bearer TOKEN\r\n'): string {
  return `${method} ${target} HTTP/1.1\r\nHost: gw.test\r\n${auth}${extra}${body ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : ''}\r\n${body}`;
}

/** A raw JSON request (`Content-Type: application/json`). */
export function jsonReq(method: string, target: string, body: string, extra = ''): string {
  return req(method, target, `Content-Type: application/json\r\n${extra}`, body);
}

/**
 * One CASES.md row against the running gateway. `attack` must get `status` (and `reason`/`rule` when
 * given) without any fake receiving a byte, and be recorded as exactly one DENY decision entry carrying
 * the same reason and status. `twin` (same shape, benign) must be recorded as ALLOW and reach the upstream;
 * with `twinTarget`, the upstream must have received exactly that request-target (the canonical bytes).
 */
export interface AttackCase {
  readonly id: string;
  readonly attack: string | Buffer;
  readonly status: number;
  readonly reason?: string;
  readonly rule?: string;
  readonly twin?: string;
  readonly twinTarget?: string;
  readonly twinUpstream?: UpstreamName;
}

/** Runs `cases` in order, asserting as described on `AttackCase`; returns the decision entries of the attacks. */
export async function runCases(h: AttackHarness, cases: readonly AttackCase[], eq: (a: unknown, b: unknown, msg: string) => void): Promise<Entry[]> {
  const denies: Entry[] = [];
  for (const c of cases) {
    const before = h.received();
    const from = h.gw.chron.treeSize();
    const r = await h.send(c.attack);
    eq(r.status, c.status, `${c.id}: status (${r.body.slice(0, 300)})`);
    if (c.reason !== undefined) eq(r.json?.reason, c.reason, `${c.id}: reason`);
    if (c.rule !== undefined) eq(r.json?.rule_id, c.rule, `${c.id}: rule`);
    eq(h.received(), before, `${c.id}: the attack reached an upstream`);
    // One entry per request, except that Node may report a framing error twice (the handler's reject and
    // the parser's clientError): every entry the attack left must be a DENY, and the answered one must match.
    const decisions = h.entriesFrom(from).filter((e) => e.type === 'chron.decision/v1');
    eq(decisions.length >= 1 && decisions.length <= 2, true, `${c.id}: decision entries recorded (${decisions.length})`);
    eq(decisions.every((e) => e.effect === 'deny'), true, `${c.id}: every recorded effect is deny`);
    const d = (r.json ? decisions.find((e) => e.decision_id === r.json?.decision_id) : decisions[0]) as Entry;
    eq(d?.status, c.status, `${c.id}: recorded status`);
    if (r.json) eq(d?.reason, r.json.reason, `${c.id}: recorded reason`);
    denies.push(d);
    if (c.twin === undefined) continue;
    const tFrom = h.gw.chron.treeSize();
    const tBefore = h.received();
    const tw = await h.send(c.twin);
    const allows = h.entriesFrom(tFrom).filter((e) => e.type === 'chron.decision/v1' && e.effect === 'allow');
    eq(allows.length, 1, `${c.id} twin: one ALLOW recorded (${tw.status} ${tw.body.slice(0, 300)})`);
    eq(h.received(), tBefore + 1, `${c.id} twin: reached the upstream`);
    eq(tw.status < 500, true, `${c.id} twin: status ${tw.status}`);
    if (c.twinTarget !== undefined) {
      const fake = h.fakes[c.twinUpstream ?? 'github'];
      eq(fake.received.at(-1)?.target, c.twinTarget, `${c.id} twin: canonical target forwarded`);
    }
  }
  return denies;
}
