import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** A fresh temporary folder removed after the test; `write` puts a file in it and returns its path. */
export function tempDir(t: TestContext): { dir: string; write(name: string, text: string): string } {
  const dir = mkdtempSync(join(tmpdir(), 'claiim-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, write: (name, text) => { const p = join(dir, name); writeFileSync(p, text); return p; } };
}
