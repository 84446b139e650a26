import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/**
 * Folders to remove when this test file's process exits — after every after-hook. Removing them in
 * t.after ran before the hooks registered later (node:test runs them in registration order), so a
 * gateway or Chron log closed there found its database deleted, which its writer rightly treats as a
 * fault (chron/open-files.ts), failing the close and skipping the hooks after it.
 */
const made: string[] = [];
process.once('exit', () => { for (const dir of made) rmSync(dir, { recursive: true, force: true }); });

/** A fresh temporary folder removed when the test file's process exits; `write` puts a file in it and returns its path. */
export function tempDir(_t: TestContext): { dir: string; write(name: string, text: string): string } {
  const dir = mkdtempSync(join(tmpdir(), 'claiim-test-'));
  made.push(dir);
  return { dir, write: (name, text) => { const p = join(dir, name); writeFileSync(p, text); return p; } };
}
