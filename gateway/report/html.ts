import { createHash } from 'node:crypto';
import { CLIENT_SCRIPT } from './client-script.js';
import { assertInlineable, html, scriptJson, show, visible } from './escape.js';
import type { LoadedExport } from './export-reader.js';
import type { AgentView, ReportModel, SessionView } from './model.js';
import { pathOf } from './model.js';

/** The bundled charting library, read from node_modules when the report is built. */
export interface ReportAssets { readonly chartJs: string; readonly chartCss: string }

/**
 * Renders the auditor's report as one self-contained HTML document: styles and scripts inline, a
 * Content-Security-Policy that allows only those exact scripts (by SHA-256) and no network at all
 * (default-src 'none', connect-src 'none'). Verification status comes first; when it failed, a red
 * banner names the failure and every data section is headed UNVERIFIED. Every export-derived string
 * is escaped (escape.ts). `generatedAt` is the only clock input (ISO 8601).
 */
export function renderReport(loaded: LoadedExport, model: ReportModel, assets: ReportAssets, generatedAt: string): string {
  const v = loaded.verification;
  const charts = model.agents.map((a, i) => ({ id: `chart-${i}`, allow: a.series.allow, deny: a.series.deny }));
  const data = {
    verified: v.ok, from: loaded.from, treeSize: v.ok ? v.treeSize : null, checkpoint: v.ok ? v.checkpointNote : null,
    buckets: model.bucketStarts.map((t) => t / 1000), charts,
    rows: loaded.entries.map((e) => {
      const r = e.record ?? {};
      const s = (k: string): string => visible(r[k] === null || r[k] === undefined ? '' : typeof r[k] === 'string' ? r[k] as string : JSON.stringify(r[k]));
      return [e.index, s('time'), e.record === null ? '(not JSON)' : s('type'), s('agent'), s('effect'), s('rule_id'), s('reason'), s('method'), visible(pathOf(r)), s('status'), e.covered ? 1 : 0];
    }),
    raw: loaded.entries.map((e) => e.raw), shown: loaded.entries.map((e) => (visible(e.raw) === e.raw ? null : visible(e.raw))), leaf: loaded.entries.map((e) => e.leafHash),
    proof: loaded.entries.map((e) => e.proof ?? null), lossless: loaded.entries.map((e) => e.lossless),
  };
  const chartJs = assertInlineable(assets.chartJs, 'the chart library');
  const client = assertInlineable(CLIENT_SCRIPT, 'the report script');
  const csp = `default-src 'none'; script-src ${sri(chartJs)} ${sri(client)}; style-src 'unsafe-inline'; img-src data: blob:; connect-src 'none'; base-uri 'none'; form-action 'none'`;
  const unverified = v.ok ? '' : ' <span class="tag bad">UNVERIFIED</span>';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${html(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CLAIIM audit report</title>
<style>${assets.chartCss}</style>
<style>${STYLE}</style>
</head><body>
<h1>CLAIIM audit report</h1>
<p class="meta">Generated ${html(generatedAt)} from an export of entries [${loaded.from}, ${loaded.from + loaded.entries.length}).</p>
${verificationSection(loaded)}
<section id="summary"><h2>Summary${unverified}</h2>
<table class="kv"><tr><th>entries</th><td data-count="entries">${model.totals.entries}</td></tr>
<tr><th>decisions</th><td data-count="decisions">${model.totals.decisions}</td></tr>
<tr><th>ALLOW</th><td data-count="allow">${model.totals.allow}</td></tr>
<tr><th>DENY</th><td data-count="deny">${model.totals.deny}</td></tr>
<tr><th>outcomes</th><td data-count="outcomes">${model.totals.outcomes}</td></tr>
<tr><th>approval steps</th><td data-count="approvals">${model.totals.approvals}</td></tr></table></section>
<section id="agents"><h2>Agents${unverified}</h2>
<p class="meta">Chart buckets: ${bucketLabel(model.bucketMs)}.</p>
${model.agents.map((a, i) => agentSection(a, i)).join('\n') || '<p>No decisions.</p>'}</section>
<section id="approvals"><h2>Approval sessions${unverified}</h2>
${model.sessions.map(sessionSection).join('\n') || '<p>No approval sessions in this export.</p>'}</section>
<section id="policies"><h2>Policy versions${unverified}</h2>
<h4>Policy loads</h4>
${model.policyEvents.length === 0 ? '<p>No policy load entries.</p>' : `<table><thead><tr><th>entry</th><th>time</th><th>event</th><th>policy digest</th><th>previous digest</th><th>problems</th></tr></thead><tbody>
${model.policyEvents.map((p) => `<tr><td>${link(p.index)}</td><td>${show(p.time)}</td><td>${show(p.event)}</td><td class="mono">${show(p.digest)}</td><td class="mono">${show(p.previous) || '—'}</td><td>${p.problems}</td></tr>`).join('\n')}</tbody></table>`}
<h4>Digests the decisions carried</h4>
<table><thead><tr><th>policy digest</th><th>first entry</th><th>first seen</th><th>last entry</th><th>last seen</th><th>decisions</th></tr></thead><tbody>
${model.policies.map((p) => `<tr><td class="mono">${show(p.digest)}</td><td>${link(p.firstIndex)}</td><td>${show(p.firstTime)}</td><td>${link(p.lastIndex)}</td><td>${show(p.lastTime)}</td><td>${p.count}</td></tr>`).join('\n')}
</tbody></table></section>
${otherSection(model)}
<section id="entries"><h2>Entries${unverified}</h2>
<div class="filters"><input id="f-text" type="search" placeholder="search every column" aria-label="search">
<select id="f-type" aria-label="type"><option value="*">every type</option></select>
<select id="f-agent" aria-label="agent"><option value="*">every agent</option></select>
<select id="f-effect" aria-label="effect"><option value="*">every effect</option></select>
<span id="entries-count"></span></div>
<table id="entries-table"><thead><tr><th>index</th><th>time</th><th>type</th><th>agent</th><th>effect</th><th>rule</th><th>reason</th><th>method</th><th>path</th><th>status</th><th>proof</th></tr></thead>
<tbody id="entries-body"></tbody></table>
<div id="proof" class="proof"><p>Follow an entry's index to see its bytes and inclusion proof.</p></div></section>
<script id="report-data" type="application/json">${scriptJson(data)}</script>
<script>${chartJs}</script>
<script>${client}</script>
</body></html>
`;
}

function verificationSection(loaded: LoadedExport): string {
  const v = loaded.verification;
  if (!v.ok) {
    return `<section id="verification" class="banner fail" role="alert" data-status="failed"><h2>VERIFICATION FAILED</h2>
<p><strong>${show(v.code)}</strong>: ${show(v.message)}${v.index === undefined ? '' : ` (entry ${v.index})`}</p>
<p>Nothing below is verified. It shows what the export claims, so that the failure can be investigated; do not rely on it.</p></section>`;
  }
  const uncovered = loaded.entries.filter((e) => !e.covered).length;
  const newest = [...loaded.entries].reverse().find((e) => e.covered && typeof e.record?.time === 'string');
  return `<section id="verification" class="banner ok" data-status="verified"><h2>Verified</h2>
<table class="kv"><tr><th>origin</th><td>${show(v.origin)}</td></tr>
<tr><th>tree size</th><td data-count="tree-size">${v.treeSize}</td></tr>
<tr><th>root hash</th><td class="mono">${html(v.rootHash)}</td></tr>
<tr><th>checkpoint time</th><td>${newest ? `${show(newest.record?.time as string)} (time of the newest entry it covers; signed checkpoints carry no clock)` : 'n/a'}</td></tr>
<tr><th>key id</th><td class="mono">${v.keyIds.map(show).join('<br>')}</td></tr>
<tr><th>checkpoints checked</th><td>${v.checkpoints}</td></tr></table>
<p>The bytes of every entry before index ${v.treeSize} hash to the leaves of the tree whose root is signed above; every exported checkpoint is a prefix of the same log.</p>
${uncovered > 0 ? `<p class="bad" data-count="uncovered">${uncovered} entr${uncovered === 1 ? 'y lies' : 'ies lie'} after the newest signed checkpoint and ${uncovered === 1 ? 'is' : 'are'} NOT verified; ${uncovered === 1 ? 'it is' : 'they are'} left out of the summary, agent, approval-session and policy sections below and marked in the entries table.</p>` : ''}
</section>`;
}

function agentSection(a: AgentView, i: number): string {
  const rules = [...a.byRule.entries()].sort((x, y) => x[0].localeCompare(y[0]));
  const caps = [...a.capabilities.values()].sort((x, y) => `${x.upstream} ${x.pattern} ${x.method}`.localeCompare(`${y.upstream} ${y.pattern} ${y.method}`));
  return `<article class="agent" data-agent="${show(a.id)}"><h3>${show(a.id)}</h3>
<table class="kv"><tr><th>anchor</th><td>${[...a.anchors].map(show).join(', ') || '—'}</td></tr>
<tr><th>aiorg</th><td>${[...a.aiorgs].map(show).join(', ') || '—'}</td></tr>
<tr><th>skill versions</th><td>${[...a.skills].map(show).join(', ') || '—'}</td></tr>
<tr><th>ALLOW / DENY</th><td><span data-agent-allow>${a.allow}</span> / <span data-agent-deny>${a.deny}</span></td></tr></table>
<h4>By rule</h4><table><thead><tr><th>rule</th><th>ALLOW</th><th>DENY</th></tr></thead><tbody>
${rules.map(([r, c]) => `<tr><td>${show(r)}</td><td>${c.allow}</td><td>${c.deny}</td></tr>`).join('\n')}</tbody></table>
<h4>Decisions over time</h4><div class="chart" id="chart-${i}"></div>
<h4>Capability matrix</h4><table><thead><tr><th>upstream</th><th>method</th><th>path pattern</th><th>did (ALLOW)</th><th>refused (DENY)</th><th>refusal reasons</th></tr></thead><tbody>
${caps.map((c) => `<tr class="${c.allowed > 0 ? 'can' : 'cannot'}"><td>${show(c.upstream)}</td><td>${show(c.method)}</td><td class="mono">${show(c.pattern)}</td><td>${c.allowed}</td><td>${c.denied}</td><td>${[...c.reasons].map(show).join(', ')}</td></tr>`).join('\n')}</tbody></table>
<h4>Denied attempts (${a.denied.length})</h4><table class="denied"><thead><tr><th>entry</th><th>time</th><th>method</th><th>path</th><th>rule</th><th>reason</th><th>status</th></tr></thead><tbody>
${a.denied.map((d) => `<tr><td>${link(d.index)}</td><td>${show(d.time)}</td><td>${show(d.method)}</td><td class="mono">${show(d.path)}</td><td>${show(d.rule)}</td><td>${show(d.reason)}</td><td>${show(d.status)}</td></tr>`).join('\n')}</tbody></table></article>`;
}

function sessionSection(s: SessionView): string {
  return `<article class="session" data-session="${show(s.id)}"><h3>Session ${show(s.id)}</h3>
<table class="kv"><tr><th>agent</th><td>${show(s.agent) || '—'}</td></tr>
<tr><th>requester</th><td>${show(s.requester) || '—'}</td></tr>
<tr><th>approvers</th><td>${s.approvers.map(show).join(', ') || '—'}${s.approvers.length < 2 ? ' <span class="tag bad">fewer than two approvers recorded</span>' : ''}</td></tr>
<tr><th>scope</th><td>${s.scope.map(show).join(', ') || '—'}</td></tr>
<tr><th>reason</th><td>${show(s.reason) || '—'}${s.changeRef ? ` (change order ${show(s.changeRef)})` : ''}</td></tr>
<tr><th>expires</th><td>${show(s.expiresAt) || '—'}</td></tr></table>
<h4>Steps</h4><table><thead><tr><th>entry</th><th>time</th><th>step</th><th>by</th></tr></thead><tbody>
${s.steps.map((st) => `<tr><td>${link(st.index)}</td><td>${show(st.time)}</td><td>${show(st.event)}</td><td>${show(st.actor)}</td></tr>`).join('\n')}</tbody></table>
<h4>Actions inside the session (${s.actions.length})</h4><table><thead><tr><th>entry</th><th>time</th><th>method</th><th>path</th><th>effect</th><th>rule</th><th>reason</th></tr></thead><tbody>
${s.actions.map((x) => `<tr><td>${link(x.index)}</td><td>${show(x.time)}</td><td>${show(x.method)}</td><td class="mono">${show(x.path)}</td><td>${x.effect}</td><td>${show(x.rule)}</td><td>${show(x.reason)}</td></tr>`).join('\n')}</tbody></table></article>`;
}

function otherSection(model: ReportModel): string {
  if (model.otherTypes.length === 0 && model.unparseable.length === 0) return '';
  const rows = model.otherTypes.map((o) => `<tr><td>${show(o.type) || '(no type)'}</td><td>${o.indices.length}</td><td>${o.indices.slice(0, 50).map(link).join(' ')}${o.indices.length > 50 ? ' …' : ''}</td></tr>`);
  if (model.unparseable.length > 0) rows.push(`<tr><td>(not a JSON object)</td><td>${model.unparseable.length}</td><td>${model.unparseable.slice(0, 50).map(link).join(' ')}</td></tr>`);
  return `<section id="other"><h2>Other entries</h2><p>Entry types this report does not interpret; they are in the log and in the table below.</p>
<table><thead><tr><th>type</th><th>count</th><th>entries</th></tr></thead><tbody>${rows.join('\n')}</tbody></table></section>`;
}

function link(index: number): string {
  return `<a href="#proof-${index}">${index}</a>`;
}

function sri(script: string): string {
  return `'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`;
}

function bucketLabel(ms: number): string {
  return ms >= 86_400_000 ? `${ms / 86_400_000} day(s)` : ms >= 3_600_000 ? `${ms / 3_600_000} hour(s)` : ms >= 60_000 ? `${ms / 60_000} minute(s)` : `${ms / 1000} second(s)`;
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem auto;max-width:1200px;padding:0 1rem;color:#1d1d1f}
h1{margin:.2rem 0}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.4rem 0;font-size:13px}th,td{border:1px solid #ddd;padding:.2rem .45rem;text-align:left;vertical-align:top}
th{background:#f4f4f6}.kv th{width:11rem}.mono,pre{font-family:ui-monospace,monospace;word-break:break-all;white-space:pre-wrap}
.banner{padding:.6rem 1rem;border-radius:6px;margin:1rem 0}.banner.ok{background:#e8f5ee;border:2px solid #1b7f4b}
.banner.fail{background:#b00020;color:#fff;border:2px solid #700014}.banner.fail h2{color:#fff;border:0}
.bad{color:#b00020;font-weight:600}.ok{color:#1b7f4b}.banner.fail .bad{color:#fff}.tag{font-size:12px;border:1px solid;border-radius:4px;padding:0 .3rem}
.meta{color:#666}.agent,.session{border:1px solid #ddd;border-radius:6px;padding:.4rem 1rem;margin:1rem 0}
tr.deny td{background:#fff3f4}tr.cannot td{background:#fff3f4}.chart{min-height:120px}
.filters{display:flex;gap:.5rem;align-items:center;margin:.5rem 0}.filters input{flex:1;padding:.3rem}
.proof{border:1px solid #ccc;border-radius:6px;padding:.4rem 1rem;margin:1rem 0;background:#fafafa}
`;
