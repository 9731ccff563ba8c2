import type { ColumnDiff, DataDiff } from '../diff-types.js';

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const fmt = (v: number | undefined): string =>
  v === undefined
    ? '–'
    : !Number.isFinite(v)
      ? String(v)
      : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3)
        ? v.toExponential(3)
        : v.toFixed(4);

const REF = '#4C78A8';
const CUR = '#F58518';

/** Overlaid bars of both distributions on shared bins, as inline SVG (no scripts, no network). */
function histogramSvg(c: ColumnDiff): string {
  const { labels, reference, current } = c.bins;
  const n = labels.length;
  if (n === 0) return '<p class="muted">no distribution to draw</p>';
  const W = 560;
  const H = 160;
  const pad = 28;
  const max = Math.max(...reference, ...current, 1e-12);
  const bw = (W - pad * 2) / n;
  const bar = (v: number, i: number, color: string, offset: number) => {
    const h = (v / max) * (H - pad * 2);
    return `<rect x="${(pad + i * bw + offset).toFixed(1)}" y="${(H - pad - h).toFixed(1)}" width="${Math.max(bw / 2 - 1, 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${color}"><title>${esc(labels[i] ?? '')}: ${(v * 100).toFixed(1)}%</title></rect>`;
  };
  const bars = labels
    .map((_, i) => bar(reference[i] ?? 0, i, REF, 0) + bar(current[i] ?? 0, i, CUR, bw / 2))
    .join('');
  const first = esc(labels[0] ?? '');
  const last = esc(labels[n - 1] ?? '');
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(c.column)} distribution">
<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="#999"/>${bars}
<text x="${pad}" y="${H - 8}" font-size="10" fill="#555">${first}</text>
<text x="${W - pad}" y="${H - 8}" font-size="10" fill="#555" text-anchor="end">${last}</text>
<text x="${pad}" y="14" font-size="10" fill="#555">max ${(max * 100).toFixed(1)}% of rows</text></svg>`;
}

/** A self-contained HTML drift report: verdict first, then one row and one chart per column. */
export function driftReportHtml(d: DataDiff): string {
  const verdict = d.dataset.drifted
    ? `<div class="verdict bad">Dataset drift detected: ${d.dataset.driftedColumns} of ${d.dataset.totalColumns} columns drifted (${(d.dataset.share * 100).toFixed(0)}% ≥ ${(d.dataset.threshold * 100).toFixed(0)}%)</div>`
    : `<div class="verdict ok">No dataset drift: ${d.dataset.driftedColumns} of ${d.dataset.totalColumns} columns drifted (${(d.dataset.share * 100).toFixed(0)}% &lt; ${(d.dataset.threshold * 100).toFixed(0)}%)</div>`;
  const schema = [
    ...d.schema.added.map((c) => `<li>added <b>${esc(c.name)}</b> (${c.type})</li>`),
    ...d.schema.removed.map((c) => `<li>removed <b>${esc(c.name)}</b> (${c.type})</li>`),
    ...d.schema.changed.map((c) => `<li><b>${esc(c.name)}</b>: ${c.from} → ${c.to}</li>`),
  ];
  const rows = d.columns
    .map(
      (
        c,
      ) => `<tr class="${c.drifted ? 'drift' : ''}"><td><a href="#col-${esc(c.column)}">${esc(c.column)}</a></td><td>${c.type}</td><td>${esc(c.method)}</td>
<td>${fmt(c.statistic)}</td><td>${fmt(c.pValue)}</td><td>${fmt(c.threshold)}</td><td>${c.drifted ? '<b>yes</b>' : 'no'}</td></tr>`,
    )
    .join('\n');
  const charts = d.columns
    .map(
      (c) =>
        `<section id="col-${esc(c.column)}"><h3>${esc(c.column)} <small>${esc(c.method)} = ${fmt(c.statistic)}${c.pValue !== undefined ? `, p = ${fmt(c.pValue)}` : ''} — ${c.drifted ? '<span class="bad">drifted</span>' : 'stable'}</small></h3>${histogramSvg(c)}</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Drift report: ${esc(d.from)} → ${esc(d.to)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:960px;color:#222}
h1{font-size:20px}.muted{color:#777}.verdict{padding:12px 16px;border-radius:6px;font-weight:600;margin:12px 0}
.ok{background:#e6f4ea;color:#1e6b34}.bad{background:#fde8e8;color:#9b1c1c}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left}
tr.drift td{background:#fff4f4}.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
section{margin:18px 0}h3 small{font-weight:normal;color:#555}
</style></head><body>
<h1>Drift report: ${esc(d.from)} (reference, ${d.rows.from} rows) → ${esc(d.to)} (current, ${d.rows.to} rows)</h1>
${verdict}
${schema.length ? `<h2>Schema changes</h2><ul>${schema.join('')}</ul>` : '<p class="muted">No schema changes.</p>'}
<h2>Columns</h2>
<table><thead><tr><th>column</th><th>type</th><th>test</th><th>statistic</th><th>p-value</th><th>threshold</th><th>drifted</th></tr></thead>
<tbody>${rows}</tbody></table>
<p class="legend"><span style="background:${REF}"></span>reference <span style="background:${CUR}"></span>current</p>
${charts}
<p class="muted">Computed from stored profiles by Keel (statistics marked approximate use binned or sketched distributions).</p>
</body></html>
`;
}
