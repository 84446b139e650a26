import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Every .ts source file under `dir` (repository-relative), recursively. */
function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts'))
    .map((d) => relative(ROOT, join(d.parentPath, d.name)));
}

/** The module specifiers a file imports or re-exports (static and dynamic). */
function specifiers(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)].map((m) => m[1] as string);
}

test('module boundaries – gateway/ reaches chron/ only through chron/index.ts; chron/ and rules/ never import gateway/, rules/ never imports chron/', () => {
  const bad: string[] = [];
  for (const f of sources('gateway')) {
    for (const s of specifiers(f)) if (/(^|\/)chron\//.test(s) && !/(^|\/)chron\/index\.js$/.test(s)) bad.push(`${f} imports ${s}`);
  }
  for (const f of sources('chron')) {
    for (const s of specifiers(f)) if (/^\.\.\/(gateway|rules)\//.test(s)) bad.push(`${f} imports ${s}`);
  }
  for (const f of sources('rules')) {
    for (const s of specifiers(f)) if (/^\.\.\/(\.\.\/)?(gateway|chron)\//.test(s)) bad.push(`${f} imports ${s}`);
  }
  assert.deepEqual(bad, []);
  // The scan itself sees imports (guards against a pattern that matches nothing).
  assert.ok(specifiers('gateway/report/export-reader.ts').includes('../../chron/index.js'));
});
