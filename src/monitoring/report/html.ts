/**
 * `keel monitor report --html`: one self-contained page (inline CSS and SVG, no scripts, nothing
 * fetched) over a monitor's windows in a range — verdict first, then alerts, drift, quality and
 * performance, every route overlaid.
 */
import type { Alert, MonitorReport, ReferenceSpec, WindowResult } from '../types.js';
import {
  type Ctx,
  driftSection,
  driftShare,
  latest,
  metricKeys,
  perf,
  performanceSection,
  qualitySection,
  readReport,
  referenceValue,
} from './sections.js';
import { alertTimeline, esc, fmt, fmtTime, pct, type TimelineRow } from './svg.js';

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1320px;padding:0 16px;color:#222}
h1{font-size:20px;margin-bottom:4px}h2{font-size:17px;margin-top:32px;border-bottom:2px solid #eee;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}h3 small,h2 small{font-weight:normal;color:#666}.muted{color:#777}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0}dl.meta dt{color:#666}dl.meta dd{margin:0}
.verdicts{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}.verdict{flex:1 1 280px;padding:12px 16px;border-radius:6px}
.verdict b{display:block;font-size:15px}.ok{background:#e6f4ea;color:#1e6b34}.bad{background:#fde8e8;color:#9b1c1c}
.warn{background:#fff4e0;color:#8a4b00}.info{background:#eef3f9;color:#27466b}.bad-text{color:#9b1c1c}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
tr.drift td{background:#fff4f4}.sev{display:inline-block;padding:0 6px;border-radius:3px;color:#fff;font-size:12px}
.sev.info{background:#4C78A8}.sev.warning{background:#F2A30F}.sev.critical{background:#D62728}
.pair{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}figure{margin:0}figcaption{font-size:12px;color:#555;max-width:420px}
section{margin:14px 0}svg{max-width:100%;height:auto}code{background:#f4f4f4;padding:0 3px;border-radius:3px}`;

const describeReference = (r: ReferenceSpec): string =>
  r.kind === 'training'
    ? 'training data of the serving model version'
    : r.kind === 'dataset'
      ? `dataset ${r.ref}`
      : `windows ${fmtTime(r.from)} → ${fmtTime(r.to)}`;

function header(ctx: Ctx): string {
  const { report } = ctx;
  const m = report.monitor;
  const sources = [...new Set(report.windows.map((w) => w.reference))];
  const versions = [...new Set(report.windows.flatMap((w) => w.versions))].sort((a, b) => a - b);
  const rows: [string, string][] = [
    ['deployment', esc(m.deployment)],
    ['model', `${esc(report.model)}${versions.length ? ` (versions ${versions.join(', ')})` : ''}`],
    ['range', `${fmtTime(report.from)} → ${fmtTime(report.to)} UTC`],
    ['reference', sources.length ? sources.map(esc).join('; ') : esc(describeReference(m.spec.reference))],
    ['windows', `${report.windows.length} evaluated, every ${esc(m.spec.window.text)}`],
    ['routes', ctx.routes.length ? ctx.routes.map(esc).join(', ') : '–'],
    ['generated', `${fmtTime(report.generatedAt)} UTC${m.enabled ? '' : ' · monitor disabled'}`],
  ];
  return `<h1>Monitoring report: ${esc(m.name)}</h1>
<dl class="meta">${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

/** The key metric's latest realised and estimated values on a route, and the reference's. */
function headline(ctx: Ctx, route: string) {
  const ws = ctx.byRoute.get(route) ?? [];
  const key = metricKeys(ws)[0];
  if (key === undefined) return null;
  const realised = latest(ws, (w) => perf(w).realised[key]);
  const estimated = latest(ws, (w) => perf(w).estimated[key]);
  const reference = latest(ws, (w) => referenceValue(w, key));
  return { key, realised, estimated, reference: reference?.v ?? null };
}

function verdicts(ctx: Ctx): string {
  const { report } = ctx;
  const open = report.alerts.filter((a) => a.status === 'open');
  const worst = open.some((a) => a.severity === 'critical') ? 'bad' : open.length ? 'warn' : 'ok';
  const alertBox = `<div class="verdict ${worst}"><b>${open.length ? `${open.length} open alert${open.length > 1 ? 's' : ''}` : 'No open alerts'}</b>${open.map((a) => `${esc(a.rule)} on ${esc(a.route)} (${a.severity})`).join('<br>') || `${report.alerts.length} alert${report.alerts.length === 1 ? '' : 's'} in the range, all resolved`}</div>`;
  const threshold = report.monitor.spec.checks.drift.share;
  let top: { w: WindowResult; s: number } | null = null;
  for (const w of report.windows) {
    const s = driftShare(w);
    if (s !== null && (top === null || s > top.s)) top = { w, s };
  }
  const driftBox = top
    ? `<div class="verdict ${top.s >= threshold ? 'bad' : 'ok'}"><b>Worst drift share ${pct(top.s, 0)}</b>in ${fmtTime(top.w.windowStart)}${ctx.multi ? ` (${esc(top.w.route)})` : ''}; dataset drift at ≥ ${pct(threshold, 0)}</div>`
    : '<div class="verdict info"><b>No drift results</b>the drift check produced nothing in this range</div>';
  const h = ctx.routes[0] === undefined ? null : headline(ctx, ctx.routes[0]);
  const at = (x: { w: WindowResult; v: number } | null) =>
    x ? `${fmt(x.v)} (${fmtTime(x.w.windowStart)})` : '–';
  const perfBox = h
    ? `<div class="verdict info"><b>Latest ${esc(h.key)}: realised ${at(h.realised)}</b>${h.estimated ? `estimated ${at(h.estimated)}` : 'no label-free estimate'} · reference ${fmt(h.reference)}</div>`
    : '<div class="verdict info"><b>No performance results</b>no labelled rows and no estimate in this range</div>';
  return `<div class="verdicts">${alertBox}${driftBox}${perfBox}</div>`;
}

const windowText = (ms: number | null): string => (ms === null ? '–' : fmtTime(ms));

function alertsSection(ctx: Ctx): string {
  const { report } = ctx;
  const alerts = [...report.alerts].sort((a, b) => a.firstWindow - b.firstWindow || a.id - b.id);
  if (alerts.length === 0) return '<h2 id="alerts">Alerts</h2><p class="muted">No alerts in this range.</p>';
  const rows = new Map<string, TimelineRow>();
  for (const a of alerts) {
    const label = `${a.rule} · ${a.route}`;
    if (!rows.has(label)) rows.set(label, { label, bars: [] });
    rows.get(label)!.bars.push({
      start: a.firstWindow,
      end: a.status === 'open' ? null : (a.resolvedWindow ?? a.lastWindow),
      severity: a.severity,
      opened: a.openedWindow,
      tooltip: `${a.rule} (${a.route}, ${a.severity}): ${a.message}`,
    });
  }
  const when = new Map(report.monitor.spec.rules.map((r) => [r.name, r.when]));
  const events = (a: Alert) => report.events.filter((e) => e.alertId === a.id).length;
  const table = alerts
    .map((a) => {
      const expr = when.get(a.rule);
      return `<tr><td>${esc(a.rule)}${expr && expr !== a.rule ? `<br><code>${esc(expr)}</code>` : ''}</td><td>${esc(a.route)}</td><td><span class="sev ${a.severity}">${a.severity}</span></td><td>${a.status}</td><td>${windowText(a.firstWindow)}</td><td>${windowText(a.openedWindow)}</td><td>${windowText(a.resolvedWindow)}</td><td>${fmt(a.value)}</td><td>${esc(a.message)}</td><td>${events(a)}</td></tr>`;
    })
    .join('');
  return `<h2 id="alerts">Alerts</h2>
${alertTimeline({ label: 'alert timeline', from: report.from, to: report.to, rows: [...rows.values()] })}
<table class="alerts"><thead><tr><th>rule</th><th>route</th><th>severity</th><th>status</th><th>first breach</th><th>opened</th><th>resolved</th><th>value</th><th>message</th><th>events</th></tr></thead><tbody>${table}</tbody></table>`;
}

/** Canary/shadow comparison: the latest window of every route side by side. */
function comparison(ctx: Ctx): string {
  if (!ctx.multi) return '';
  const rows = ctx.routes.map((r) => {
    const ws = ctx.byRoute.get(r)!;
    const w = ws[ws.length - 1]!;
    const h = headline(ctx, r);
    const features = w.drift.filter((d) => !d.prediction);
    const pred = w.drift.filter((d) => d.prediction);
    const missing = Math.max(0, ...w.quality.columns.map((c) => c.missingRate));
    const open = ctx.report.alerts.filter((a) => a.route === r && a.status === 'open').length;
    return `<tr><td><b>${esc(r)}</b></td><td>${fmtTime(w.windowStart)}</td><td>${w.versions.join(', ') || '–'}</td><td>${w.rows}</td><td>${pct(driftShare(w), 0)} (${features.filter((d) => d.drifted).length}/${features.length})</td><td>${pred.length ? (pred.some((d) => d.drifted) ? '<b class="bad-text">yes</b>' : 'no') : '–'}</td><td>${h?.realised ? `${esc(h.key)} ${fmt(h.realised.v)} (${fmtTime(h.realised.w.windowStart)})` : '–'}</td><td>${h ? fmt(perf(w).estimated[h.key]) : '–'}</td><td>${pct(w.performance.labelCoverage, 0)}</td><td>${pct(missing)}</td><td>${open}</td></tr>`;
  });
  return `<h2 id="routes">Routes compared <small>latest window of each</small></h2>
<table class="routes"><thead><tr><th>route</th><th>window</th><th>versions</th><th>rows</th><th>drift share</th><th>prediction drift</th><th>latest realised</th><th>estimated</th><th>label coverage</th><th>max missing</th><th>open alerts</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The whole report as one HTML document; the same report always yields the same bytes. */
export function monitorReportHtml(report: MonitorReport): string {
  const ctx = readReport(report);
  const body =
    report.windows.length === 0
      ? `<div class="verdict info"><b>No monitoring results in this range.</b>The monitor has no evaluated windows between ${fmtTime(report.from)} and ${fmtTime(report.to)} UTC: the deployment may have had no traffic, or the windows are not evaluated yet.</div>
${alertsSection(ctx)}`
      : `${verdicts(ctx)}
<p class="muted">Sections: <a href="#alerts">alerts</a>${ctx.multi ? ' · <a href="#routes">routes</a>' : ''} · <a href="#drift">data drift</a> · <a href="#prediction-drift">prediction drift</a> · <a href="#quality">data quality</a> · <a href="#performance">performance</a></p>
${alertsSection(ctx)}
${comparison(ctx)}
${driftSection(ctx)}
${qualitySection(ctx)}
${performanceSection(ctx)}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Monitoring report: ${esc(report.monitor.name)} ${fmtTime(report.from)} → ${fmtTime(report.to)}</title>
<style>
${CSS}
</style></head><body>
${header(ctx)}
${body}
<p class="muted">Generated by Keel from stored window results. Times are event time in UTC; points sit at window starts; red dots mark breaching windows.</p>
</body></html>
`;
}
