import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { generateSigningKey, openChron, type Chron, type ChronOptions } from '../../chron/index.js';
import { chronCommand, type CliIo } from '../../chron/cli.js';

export const ORIGIN = 'claiim.test/chron';

/** A fresh temp dir with a signing key (name = ORIGIN); removed in t.after. */
export async function scratch(t: TestContext): Promise<{ dir: string; key: string; db: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'chron-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = join(dir, 'keys', 'chron.jwk');
  await generateSigningKey(key, ORIGIN);
  return { dir, key, db: join(dir, 'data', 'chron.db') };
}

/** Opens a writable log without a schedule; closed in t.after if the test did not close it. */
export async function openLog(t: TestContext, s: { key: string; db: string }, extra: Partial<ChronOptions> = {}): Promise<Chron> {
  const log = await openChron({ path: s.db, origin: ORIGIN, signingKeyFile: s.key, checkpointIntervalMs: 0, ...extra });
  t.after(() => log.close().catch(() => undefined));
  return log;
}

/** A decision-like record. */
export function decision(i: number, agent = 'devops-bot'): Record<string, unknown> {
  return {
    type: 'chron.decision/v1', id: `d-${i}`, time: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    agent, effect: i % 3 === 0 ? 'deny' : 'allow', rule_id: i % 3 === 0 ? 'default_deny' : 'allow-reads', reason: 'test',
  };
}

/** Captures what a CLI command writes. */
export function captureIo(): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => { out += s; return true; } },
    stderr: { write: (s: string) => { err += s; return true; } },
    out: () => out,
    err: () => err,
  };
}

/** Runs `claiim chron verify <export> --vkey <file> [extra]` and returns its exit code and output. */
export async function verify(e: { out: string; vkey: string }, ...extra: string[]): Promise<{ code: number; err: string; out: string }> {
  const io = captureIo();
  const code = await chronCommand(['verify', e.out, '--vkey', e.vkey, ...extra], io);
  return { code, err: io.err(), out: io.out() };
}

/** The lines of a text file (each ended by a newline), and writing them back. */
export const lines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').slice(0, -1);
export const writeLines = (file: string, l: string[]): void => writeFileSync(file, l.map((x) => `${x}\n`).join(''));
