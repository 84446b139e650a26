import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { leafHash, parseVerifierKeys, verifyTlogProof } from '../../chron/index.js';
import { reportCommand } from '../../gateway/report/command.js';
import { buildExport } from './report-fixture.js';

/** Debian's chromium: the binary itself (the /usr/bin wrapper script is not needed), or CHROMIUM_PATH. */
const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p): p is string => p !== undefined && p !== '' && existsSync(p));
const skip = CHROMIUM === undefined ? 'chromium is not installed (apt-get install -y chromium, or set CHROMIUM_PATH)' : false;
const silent = { stdout: { write: () => true }, stderr: { write: () => true } };

/** Opens `file` in a fresh page, collecting console errors, page errors, dialogs and every non-local request. */
async function open(browser: Browser, file: string): Promise<{ page: Page; problems: string[]; network: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems: string[] = [];
  const network: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); void d.dismiss(); });
  page.on('request', (r) => { if (!/^(file|data|blob):/.test(r.url())) network.push(r.url()); });
  await page.goto(pathToFileURL(file).href);
  return { page, problems, network };
}

test('report in headless Chromium – renders, numbers match the export, filter works, proof verifies, no network; tampered → red banner', { skip, timeout: 60_000 }, async (t) => {
  const f = await buildExport(t);
  const browser = await chromium.launch({ executablePath: CHROMIUM as string, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  t.after(() => browser.close());
  const lines = readFileSync(join(f.exportDir, 'entries.jsonl'), 'utf8').split('\n').slice(0, -1);
  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const decisions = records.filter((r) => r.type === 'chron.decision/v1');
  const out = join(f.dir, 'report.html');
  assert.equal(await reportCommand(['--export', f.exportDir, '--vkey', f.vkey, '--out', out], silent), 0);

  const { page, problems, network } = await open(browser, out);
  assert.equal(await page.getAttribute('#verification', 'data-status'), 'verified');
  assert.equal(await page.textContent('[data-count="entries"]'), String(lines.length));
  assert.equal(await page.textContent('[data-count="tree-size"]'), String(lines.length));
  const a1 = page.locator('article.agent[data-agent="a1"]');
  assert.equal(await a1.locator('[data-agent-allow]').textContent(), String(decisions.filter((d) => d.agent === 'a1' && d.effect === 'allow').length));
  assert.equal(await a1.locator('[data-agent-deny]').textContent(), String(decisions.filter((d) => d.agent === 'a1' && d.effect === 'deny').length));
  assert.equal(await page.locator('.chart canvas').count() >= await page.locator('article.agent').count(), true, 'every agent has a drawn chart');
  assert.equal(await page.locator('#entries-body tr').count(), lines.length);

  await page.selectOption('#f-effect', 'deny');
  assert.equal(await page.getAttribute('#entries-count', 'data-matched'), String(decisions.filter((d) => d.effect === 'deny').length));
  await page.fill('#f-text', 'gh-no-merge');
  assert.equal(await page.locator('#entries-body tr').count(), decisions.filter((d) => d.effect === 'deny' && d.rule_id === 'gh-no-merge').length);

  const index = records.findIndex((r) => r.rule_id === 'gh-no-merge');
  await page.click(`#entries-body a[href="#proof-${index}"]`);
  await page.waitForSelector('#proof pre.tlog', { timeout: 5000 });
  const proofText = await page.textContent('#proof pre.tlog');
  assert.ok(proofText);
  const bytes = Buffer.from(lines[index] as string, 'utf8');
  const verified = verifyTlogProof(proofText, leafHash(bytes), parseVerifierKeys(readFileSync(f.vkey, 'utf8')), 'claiim.test/it');
  assert.equal(verified.index, index, 'the proof shown in the page verifies offline');

  assert.equal(await page.locator('img[src="x"], svg[onload]').count(), 0, 'hostile markup stayed text');
  const shots = mkdtempSync(join(tmpdir(), 'claiim-report-screenshot-'));
  writeFileSync(join(shots, 'report.png'), await page.screenshot({ fullPage: true }));
  t.diagnostic(`screenshot: ${join(shots, 'report.png')}`);
  assert.deepEqual(problems, []);
  assert.deepEqual(network, []);

  const dir = join(f.dir, 'tampered');
  cpSync(f.exportDir, dir, { recursive: true });
  writeFileSync(join(dir, 'entries.jsonl'), readFileSync(join(dir, 'entries.jsonl'), 'utf8').replace('"effect":"deny"', '"effect":"allow"'));
  const bad = join(f.dir, 'tampered.html');
  assert.equal(await reportCommand(['--export', dir, '--vkey', f.vkey, '--out', bad], silent), 1);
  const tampered = await open(browser, bad);
  assert.equal(await tampered.page.getAttribute('#verification', 'data-status'), 'failed');
  assert.equal(await tampered.page.$eval('#verification', (e) => (globalThis as unknown as { getComputedStyle(x: unknown): { backgroundColor: string } }).getComputedStyle(e).backgroundColor), 'rgb(176, 0, 32)');
  assert.match(await tampered.page.textContent('#verification') ?? '', /ERR_CHRON_LEAF_MISMATCH/);
  writeFileSync(join(shots, 'tampered.png'), await tampered.page.screenshot());
  assert.deepEqual(tampered.problems, []);
  assert.deepEqual(tampered.network, []);
});
