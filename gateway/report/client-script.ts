/**
 * The report's in-page script (plain ES2019, no imports): draws the per-agent charts with the bundled
 * uPlot, runs the filterable entries table, and shows an entry's inclusion proof when its index is
 * followed (#proof-N). Reads its data only from `<script id="report-data" type="application/json">`
 * and writes export-derived text only through `textContent` — never innerHTML — so an entry cannot
 * become markup. Makes no network request: the page's CSP has connect-src 'none' anyway.
 */
export const CLIENT_SCRIPT = String.raw`(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('report-data').textContent);
  var LIMIT = 1000;
  function byId(id) { return document.getElementById(id); }
  function el(tag, text, cls) { var e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }

  D.charts.forEach(function (c) {
    var host = byId(c.id);
    if (!host || typeof uPlot === 'undefined') return;
    new uPlot({
      width: Math.max(320, Math.min(900, host.clientWidth || 640)), height: 170,
      scales: { x: { time: true } },
      series: [{}, { label: 'ALLOW', stroke: '#1b7f4b', fill: 'rgba(27,127,75,0.12)', width: 2 }, { label: 'DENY', stroke: '#b00020', fill: 'rgba(176,0,32,0.12)', width: 2 }],
    }, [D.buckets, c.allow, c.deny], host);
  });

  var q = byId('f-text'), ft = byId('f-type'), fa = byId('f-agent'), fe = byId('f-effect');
  var body = byId('entries-body'), count = byId('entries-count');
  function fill(sel, col) {
    var seen = {};
    D.rows.forEach(function (r) { seen[r[col]] = true; });
    Object.keys(seen).sort().forEach(function (v) { var o = el('option', v === '' ? '(none)' : v); o.value = v; sel.appendChild(o); });
  }
  fill(ft, 2); fill(fa, 3); fill(fe, 4);

  function render() {
    var text = q.value.toLowerCase(), type = ft.value, agent = fa.value, effect = fe.value;
    var matched = 0, frag = document.createDocumentFragment();
    D.rows.forEach(function (r) {
      if (type !== '*' && r[2] !== type) return;
      if (agent !== '*' && r[3] !== agent) return;
      if (effect !== '*' && r[4] !== effect) return;
      if (text && r.join(' ').toLowerCase().indexOf(text) < 0) return;
      matched += 1;
      if (matched > LIMIT) return;
      var tr = el('tr');
      if (r[4] === 'deny') tr.className = 'deny';
      var a = el('a', String(r[0])); a.href = '#proof-' + r[0];
      var td = el('td'); td.appendChild(a); tr.appendChild(td);
      for (var i = 1; i < 10; i++) tr.appendChild(el('td', String(r[i])));
      tr.appendChild(el('td', r[10] ? 'in checkpoint' : 'NOT VERIFIED', r[10] ? 'ok' : 'bad'));
      frag.appendChild(tr);
    });
    body.replaceChildren(frag);
    count.textContent = matched > LIMIT ? matched + ' matching (first ' + LIMIT + ' shown)' : matched + ' matching';
    count.setAttribute('data-matched', String(matched));
  }
  // Text: on input only. A 'change' on blur would re-render the rows under the pointer and swallow the click.
  q.addEventListener('input', render);
  [ft, fa, fe].forEach(function (x) { x.addEventListener('change', render); });
  render();

  function b64(s) {
    var bytes = new TextEncoder().encode(s), bin = '';
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin);
  }
  var panel = byId('proof'), url = null;
  function showProof(index) {
    var p = index - D.from, row = D.rows[p];
    panel.replaceChildren();
    if (!row) { panel.appendChild(el('p', 'No entry ' + index + ' in this export.', 'bad')); return; }
    panel.appendChild(el('h3', 'Entry ' + index));
    panel.appendChild(el('p', 'Leaf hash (SHA-256 of 0x00 || entry bytes): ' + D.leaf[p]));
    panel.appendChild(el('pre', D.shown[p] === null ? D.raw[p] : D.shown[p], 'raw'));
    var proof = D.proof[p];
    if (!D.verified) { panel.appendChild(el('p', 'Verification of this export FAILED: no inclusion proof is shown.', 'bad')); return; }
    if (!proof) { panel.appendChild(el('p', 'This entry is not covered by the newest signed checkpoint: it is NOT verified.', 'bad')); return; }
    panel.appendChild(el('p', 'Inclusion proof (RFC 9162 §2.1.3) against the signed checkpoint of size ' + D.treeSize + ', ' + proof.length + ' hash(es), sibling first:'));
    var ol = el('ol', undefined, 'hashes'); proof.forEach(function (h) { ol.appendChild(el('li', h)); }); panel.appendChild(ol);
    if (!D.lossless[p]) { panel.appendChild(el('p', 'The entry bytes are not valid UTF-8; make the proof file with "claiim chron prove".', 'bad')); return; }
    var text = 'c2sp.org/tlog-proof@v1\nextra ' + b64(D.raw[p]) + '\nindex ' + index + '\n' + proof.map(function (h) { return h + '\n'; }).join('') + '\n' + D.checkpoint;
    panel.appendChild(el('p', 'As a c2sp.org/tlog-proof@v1 file (verify with: claiim chron verify-proof FILE --vkey KEY):'));
    panel.appendChild(el('pre', text, 'tlog'));
    if (url) URL.revokeObjectURL(url);
    url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    var dl = el('a', 'Download entry-' + index + '.tlog-proof'); dl.href = url; dl.download = 'entry-' + index + '.tlog-proof';
    panel.appendChild(dl);
  }
  function route() {
    var m = /^#proof-(\d+)$/.exec(location.hash);
    if (m) { showProof(Number(m[1])); panel.scrollIntoView(); }
  }
  window.addEventListener('hashchange', route);
  route();
})();
`;
