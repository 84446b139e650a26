import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { isChronError } from '../../chron/index.js';
import { loadExport } from './export-reader.js';
import { renderReport, type ReportAssets } from './html.js';
import { buildModel, modelEntries } from './model.js';

/** Where the command writes (process streams in production, buffers in tests). */
export interface ReportIo { readonly stdout: { write(s: string): unknown }; readonly stderr: { write(s: string): unknown } }

/** Usage of `claiim report`. */
export const REPORT_HELP = `Usage: claiim report --export DIR --vkey FILE --out report.html

Builds the auditor's report from a Chron export (claiim chron export): verifies it first, offline,
with only the trusted verifier key, then writes one self-contained HTML file (no network access when
opened) with the verification status, per-agent activity, approval sessions, policy versions,
capability matrices and a searchable table of every entry with its inclusion proof.
If verification fails, the report is still written, opens with a red banner naming what failed,
and marks everything as unverified; the exit code is then 1. Entries after the newest signed
checkpoint (a live log has them until the next one) are covered by no signature: the report marks
them NOT VERIFIED and the exit code is 3, as for "claiim chron verify".

Options:
  --export DIR   the export directory
  --vkey FILE    trusted verifier key(s), "<name>+<id>+<key>" per line (bring your own; do not
                 use DIR/vkey, which proves nothing against the export's publisher)
  --out FILE     the HTML file to write
  -h, --help     this text

Exit codes: 0 written and every entry verified, 1 written but verification failed (or a Chron
error), 2 usage, 3 written, verified up to the newest checkpoint, with entries after it NOT verified.
`;

/**
 * `claiim report`: verify an export, then write the HTML report (docs/report.md). Returns the exit
 * code: 0 written and everything verified; 1 written with the failure banner, or a key/Chron error;
 * 2 usage; 3 written and verified, but some entries lie after the newest checkpoint (not verified).
 * `now` is injected for the "generated" line.
 */
export async function reportCommand(argv: readonly string[], io: ReportIo, now: () => Date = () => new Date()): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: { export: { type: 'string' }, vkey: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }));
  } catch (err) {
    io.stderr.write(`claiim report: ${(err as Error).message}\n\n${REPORT_HELP}`);
    return 2;
  }
  if (values.help === true) { io.stdout.write(REPORT_HELP); return 0; }
  for (const flag of ['export', 'vkey', 'out'] as const) {
    if (typeof values[flag] !== 'string' || values[flag] === '') { io.stderr.write(`claiim report: --${flag} is required\n\n${REPORT_HELP}`); return 2; }
  }
  const dir = values.export as string;
  const out = values.out as string;
  try {
    const loaded = await loadExport(dir, values.vkey as string);
    const html = renderReport(loaded, buildModel(modelEntries(loaded)), await chartAssets(), now().toISOString());
    await writeFile(out, html);
    const v = loaded.verification;
    if (v.ok) {
      const covered = loaded.entries.filter((e) => e.covered).length;
      io.stdout.write(`OK: verified ${covered} entries (tree size ${v.treeSize}); report written to ${out}\n`);
      if (covered === loaded.entries.length) return 0;
      io.stderr.write(`claiim report: ${loaded.entries.length - covered} entries lie after the newest signed checkpoint and are NOT verified (marked in the report)\n`);
      return 3;
    }
    io.stderr.write(`claiim report: VERIFICATION FAILED: ${v.code}: ${v.message}; report (with the failure banner) written to ${out}\n`);
    return 1;
  } catch (err) {
    if (isChronError(err)) {
      io.stderr.write(`claiim report: ${err.code}: ${err.message}\n`);
      return err.code === 'ERR_CHRON_USAGE' ? 2 : 1;
    }
    throw err;
  }
}

/**
 * The bundled chart library: uPlot's minified IIFE build and its stylesheet, read from node_modules
 * (the `uplot` dependency) each time a report is built, so the report needs nothing else when opened.
 */
export async function chartAssets(): Promise<ReportAssets> {
  const require = createRequire(import.meta.url);
  const [chartJs, chartCss] = await Promise.all([
    readFile(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    readFile(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  ]);
  return { chartJs, chartCss };
}
