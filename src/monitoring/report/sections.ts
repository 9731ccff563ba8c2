/**
 * The monitoring report's body sections (drift, quality, performance) and the shared reading of
 * a `MonitorReport` they and the header use: windows per route, drift shares, the key metric.
 */
import type { DriftMethod } from '../../stats/drift/index.js';
import type { ColumnDrift, MetricMap, MonitorReport, WindowResult } from '../types.js';
import { color, esc, fmt, fmtTime, histogramChart, type LineSeries, lineChart, pct } from './svg.js';

export interface Ctx {
  report: MonitorReport;
  /** Routes with windows, primary first. */
  routes: string[];
  /** Each route's windows by start. */
  byRoute: Map<string, WindowResult[]>;
  multi: boolean;
}

export function readReport(report: MonitorReport): Ctx {
  const byRoute = new Map<string, WindowResult[]>();
  for (const r of report.routes) byRoute.set(r, []);
  for (const w of report.windows) {
    if (!byRoute.has(w.route)) byRoute.set(w.route, []);
    byRoute.get(w.route)!.push(w);
  }
  for (const [r, ws] of byRoute) {
    if (ws.length === 0) byRoute.delete(r);
    else ws.sort((a, b) => a.windowStart - b.windowStart);
  }
  const listed = report.routes.filter((r) => byRoute.has(r));
  const others = [...byRoute.keys()].filter((r) => !listed.includes(r)).sort();
  const routes = [...listed, ...others];
  return { report, routes, byRoute, multi: routes.length > 1 };
}

/** A series name: the base alone for one route, qualified by the route when several are overlaid. */
const sname = (ctx: Ctx, base: string, route: string): string =>
  ctx.multi ? (base ? `${base} · ${route}` : route) : base || route;

const routeColor = (ctx: Ctx, route: string, slot = 0, slots = 1): string =>
  color(ctx.routes.indexOf(route) * slots + slot);

const P_VALUE_METHODS: ReadonlySet<DriftMethod> = new Set(['ks', 'chisquare', 'ztest']);
export const isPValue = (m: DriftMethod): boolean => P_VALUE_METHODS.has(m);

/** What the drift chart plots: the p-value for tests, the statistic for distances. */
const plotted = (d: ColumnDrift): number | null => (isPValue(d.method) ? (d.pValue ?? null) : d.statistic);

/** How far past its threshold a result is (> 1 means drift for distances): the worst window has the highest. */
export function driftSeverity(d: ColumnDrift): number {
  if (isPValue(d.method)) return d.pValue === undefined ? 0 : d.threshold / Math.max(d.pValue, 1e-300);
  return d.threshold > 0 ? d.statistic / d.threshold : d.statistic > 0 ? Number.POSITIVE_INFINITY : 0;
}

/** The dataset drift share of a window: drifted features over tested ones, else the stored metric. */
export function driftShare(w: WindowResult): number | null {
  const features = w.drift.filter((d) => !d.prediction);
  if (features.length === 0) return w.metrics['drift_share'] ?? null;
  return features.filter((d) => d.drifted).length / features.length;
}

const PRIORITY = [
  'accuracy',
  'f1',
  'roc_auc',
  'precision',
  'recall',
  'pr_auc',
  'f1_macro',
  'f1_weighted',
  'precision_macro',
  'recall_macro',
  'roc_auc_ovr',
  'pr_auc_macro',
  'log_loss',
  'ece',
  'rmse',
  'mae',
  'r2',
];

const strip = (m: MetricMap | null): MetricMap =>
  Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k.replace(/^estimated_/, ''), v]));

/** A window's realised and estimated metrics under the same names (`estimated_` prefix dropped). */
export const perf = (w: WindowResult): { realised: MetricMap; estimated: MetricMap } => ({
  realised: w.performance.realised ?? {},
  estimated: strip(w.performance.estimated),
});

/** The reference value of a metric: realised on the reference, else its estimate. */
export const referenceValue = (w: WindowResult, key: string): number | null =>
  w.performance.reference[key] ?? w.performance.reference[`estimated_${key}`] ?? null;

/** Performance metrics with a value anywhere, the usual headline ones first. */
export function metricKeys(windows: WindowResult[]): string[] {
  const keys = new Set<string>();
  for (const w of windows) {
    const { realised, estimated } = perf(w);
    for (const [k, v] of [...Object.entries(realised), ...Object.entries(estimated)])
      if (v !== null) keys.add(k);
  }
  const rank = (k: string) => (PRIORITY.includes(k) ? PRIORITY.indexOf(k) : PRIORITY.length);
  return [...keys].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** The latest window of a list where `value` is not null, with that value. */
export function latest(ws: WindowResult[], value: (w: WindowResult) => number | null | undefined) {
  for (let i = ws.length - 1; i >= 0; i--) {
    const v = value(ws[i]!);
    if (v !== null && v !== undefined) return { w: ws[i]!, v };
  }
  return null;
}

interface ColumnHistory {
  column: string;
  entries: { w: WindowResult; d: ColumnDrift }[];
  drifted: number;
  worst: { w: WindowResult; d: ColumnDrift };
  /** The latest result on the first route (the primary's when it has one). */
  last: ColumnDrift;
}

/** Drift results per column, worst first: most drifted windows, then the highest severity. */
function columnHistories(ctx: Ctx, prediction: boolean): ColumnHistory[] {
  const map = new Map<string, { w: WindowResult; d: ColumnDrift }[]>();
  for (const r of ctx.routes)
    for (const w of ctx.byRoute.get(r)!)
      for (const d of w.drift) {
        if (d.prediction !== prediction) continue;
        if (!map.has(d.column)) map.set(d.column, []);
        map.get(d.column)!.push({ w, d });
      }
  const out = [...map].map(([column, entries]): ColumnHistory => {
    let worst = entries[0]!;
    for (const e of entries) if (driftSeverity(e.d) > driftSeverity(worst.d)) worst = e;
    const first = entries.filter((e) => e.w.route === entries[0]!.w.route);
    const last = first[first.length - 1]!.d;
    return { column, entries, drifted: entries.filter((e) => e.d.drifted).length, worst, last };
  });
  return out.sort(
    (a, b) =>
      b.drifted - a.drifted ||
      driftSeverity(b.worst.d) - driftSeverity(a.worst.d) ||
      a.column.localeCompare(b.column),
  );
}

const where = (ctx: Ctx, w: WindowResult): string =>
  `${fmtTime(w.windowStart)}${ctx.multi ? ` (${w.route})` : ''}`;

const valueText = (d: ColumnDrift): string =>
  isPValue(d.method) ? `p = ${fmt(d.pValue)}` : `${d.method} = ${fmt(d.statistic)}`;

function columnSection(ctx: Ctx, h: ColumnHistory, id: string): string {
  const last = h.last;
  const methods = [...new Set(h.entries.map((e) => e.d.method))];
  const p = isPValue(last.method);
  const what = p ? 'p-value' : 'statistic';
  const series: LineSeries[] = ctx.routes
    .filter((r) => h.entries.some((e) => e.w.route === r))
    .map((r) => ({
      name: sname(ctx, `${methods.join('/')} ${what}`, r),
      color: routeColor(ctx, r),
      points: h.entries
        .filter((e) => e.w.route === r)
        .map((e) => ({
          x: e.w.windowStart,
          y: plotted(e.d),
          breach: e.d.drifted,
          note: e.d.drifted ? 'drifted' : '',
        })),
    }));
  const thresholds = [...new Set(h.entries.map((e) => e.d.threshold))].sort((a, b) => a - b);
  const chart = lineChart({
    label: `${h.column}: ${methods.join('/')} ${what} over time`,
    series,
    from: ctx.report.from,
    to: ctx.report.to,
    lines: thresholds.map((t) => ({ value: t, label: `threshold ${fmt(t)}`, kind: 'threshold' as const })),
    yInclude: [0],
  });
  const { w, d } = h.worst;
  const hist = histogramChart({
    label: `${h.column}: reference vs current, window ${where(ctx, w)}`,
    labels: d.bins.labels,
    reference: d.bins.reference,
    current: d.bins.current,
  });
  const rule = p
    ? `drift when p ${last.method === 'ks' ? '≤' : '&lt;'} ${fmt(last.threshold)}`
    : `drift when ≥ ${fmt(last.threshold)}`;
  const approx = h.entries.some((e) => e.d.approximate) ? ' · approximate (binned/sketched)' : '';
  return `<section class="feature" id="${id}"><h3>${esc(h.column)} <small>${esc(last.type)} · ${esc(methods.join('/'))} ${what}, ${rule} · drifted in ${h.drifted} of ${h.entries.length} windows${approx}</small></h3>
<div class="pair"><figure>${chart}</figure><figure>${hist}<figcaption>Worst window ${esc(where(ctx, w))}: ${esc(valueText(d))} vs threshold ${fmt(d.threshold)} — ${d.drifted ? '<b class="bad-text">drifted</b>' : 'not drifted'}</figcaption></figure></div></section>`;
}

function columnTable(ctx: Ctx, hs: ColumnHistory[], prefix: string): string {
  const rows = hs.map((h, i) => {
    const last = h.last;
    return `<tr class="${h.drifted ? 'drift' : ''}"><td><a href="#${prefix}-${i}">${esc(h.column)}</a></td><td>${esc(last.type)}</td><td>${esc(last.method)}</td><td>${h.drifted} / ${h.entries.length}</td><td>${esc(valueText(h.worst.d))} in ${esc(where(ctx, h.worst.w))}</td><td>${esc(valueText(last))}</td><td>${fmt(last.threshold)}</td></tr>`;
  });
  return `<table><thead><tr><th>column</th><th>type</th><th>test</th><th>drifted windows</th><th>worst</th><th>latest</th><th>threshold</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Dataset drift share over time, then every feature worst first, then the prediction outputs. */
export function driftSection(ctx: Ctx): string {
  const { report } = ctx;
  const share = report.monitor.spec.checks.drift.share;
  const shareChart = lineChart({
    label: 'dataset drift share over time',
    series: ctx.routes.map((r) => ({
      name: sname(ctx, 'drift share', r),
      color: routeColor(ctx, r),
      points: ctx.byRoute.get(r)!.map((w) => {
        const s = driftShare(w);
        return { x: w.windowStart, y: s, breach: s !== null && s >= share };
      }),
    })),
    from: report.from,
    to: report.to,
    lines: [{ value: share, label: `dataset drift threshold ${pct(share, 0)}`, kind: 'threshold' }],
    yInclude: [0, 1],
    percent: true,
  });
  const features = columnHistories(ctx, false);
  const predictions = columnHistories(ctx, true);
  const feat = features.length
    ? columnTable(ctx, features, 'f') + features.map((h, i) => columnSection(ctx, h, `f-${i}`)).join('\n')
    : '<p class="muted">No feature drift results in this range.</p>';
  const pred = predictions.length
    ? columnTable(ctx, predictions, 'p') +
      predictions.map((h, i) => columnSection(ctx, h, `p-${i}`)).join('\n')
    : '<p class="muted">No prediction drift results in this range.</p>';
  return `<h2 id="drift">Data drift</h2><figure>${shareChart}</figure>
<h3>Features <small>worst first: most often drifted</small></h3>${feat}
<h2 id="prediction-drift">Prediction drift</h2>${pred}`;
}

/** Missing and out-of-range rates over time, new categories, missing and extra features. */
export function qualitySection(ctx: Ctx): string {
  const { report } = ctx;
  const ws = ctx.routes.flatMap((r) => ctx.byRoute.get(r)!);
  const columns = [...new Set(ws.flatMap((w) => w.quality.columns.map((c) => c.column)))];
  const rateChart = (label: string, rate: (w: WindowResult, col: string) => number | null | undefined) => {
    const cols = columns.filter((c) => ws.some((w) => (rate(w, c) ?? 0) > 0));
    if (cols.length === 0) return `<p class="muted">No ${esc(label)} in any feature.</p>`;
    const series: LineSeries[] = ctx.routes.flatMap((r, ri) =>
      cols.map((c, ci) => ({
        name: sname(ctx, c, r),
        color: color(ci),
        dashed: ri > 0,
        points: ctx.byRoute.get(r)!.map((w) => ({ x: w.windowStart, y: rate(w, c) ?? null })),
      })),
    );
    return `<figure>${lineChart({ label: `${label} over time`, series, from: report.from, to: report.to, yInclude: [0], percent: true })}</figure>`;
  };
  const col = (w: WindowResult, c: string) => w.quality.columns.find((q) => q.column === c);
  const newCats = columns
    .map((c) => {
      const hits = ws.flatMap((w) => {
        const q = col(w, c);
        return q?.newCategories.length ? [{ w, q }] : [];
      });
      if (!hits.length) return '';
      const cats = [...new Set(hits.flatMap((h) => h.q.newCategories))].sort();
      const rate = Math.max(...hits.map((h) => h.q.newCategoryRate ?? 0));
      return `<tr><td>${esc(c)}</td><td>${cats.map((x) => `<code>${esc(x)}</code>`).join(' ')}</td><td>${hits.length}</td><td>${esc(where(ctx, hits[0]!.w))}</td><td>${pct(rate)}</td></tr>`;
    })
    .join('');
  const schema = (['missing', 'extra'] as const)
    .flatMap((kind) => {
      const of = (w: WindowResult) =>
        kind === 'missing' ? w.quality.missingFeatures : w.quality.extraFeatures;
      const names = [...new Set(ws.flatMap(of))].sort();
      return names.map((n) => {
        const hits = ws.filter((w) => of(w).includes(n));
        return `<tr><td>${esc(n)}</td><td>${kind}</td><td>${hits.length}</td><td>${esc(where(ctx, hits[0]!))}</td></tr>`;
      });
    })
    .join('');
  return `<h2 id="quality">Data quality</h2>
<h3>Missing values</h3>${rateChart('missing values', (w, c) => col(w, c)?.missingRate)}
<h3>Out-of-range values <small>outside the reference's [min, max]</small></h3>${rateChart('out-of-range values', (w, c) => col(w, c)?.outOfRangeRate)}
<h3>New categories</h3>${newCats ? `<table><thead><tr><th>column</th><th>categories</th><th>windows</th><th>first seen</th><th>max share</th></tr></thead><tbody>${newCats}</tbody></table>` : '<p class="muted">No categories unseen in the reference.</p>'}
<h3>Missing and extra features</h3>${schema ? `<table><thead><tr><th>feature</th><th>kind</th><th>windows</th><th>first seen</th></tr></thead><tbody>${schema}</tbody></table>` : '<p class="muted">Every window had exactly the model\'s features.</p>'}`;
}

/** Per metric, realised and estimated series on one chart with the reference dashed; then label coverage. */
export function performanceSection(ctx: Ctx): string {
  const { report } = ctx;
  const ws = ctx.routes.flatMap((r) => ctx.byRoute.get(r)!);
  const keys = metricKeys(ws);
  const charts = keys.map((k) => {
    const series: LineSeries[] = ctx.routes.flatMap((r) => {
      const rws = ctx.byRoute.get(r)!;
      const make = (kind: 'realised' | 'estimated', slot: number): LineSeries[] =>
        rws.some((w) => perf(w)[kind][k] != null)
          ? [
              {
                name: sname(ctx, kind === 'realised' ? k : `estimated ${k}`, r),
                color: routeColor(ctx, r, slot, 2),
                dashed: kind === 'estimated',
                points: rws.map((w) => ({ x: w.windowStart, y: perf(w)[kind][k] ?? null })),
              },
            ]
          : [];
      return [...make('realised', 0), ...make('estimated', 1)];
    });
    const ref = latest(ctx.byRoute.get(ctx.routes[0]!)!, (w) => referenceValue(w, k));
    const chart = lineChart({
      label: `${k}: realised and estimated over time`,
      series,
      from: report.from,
      to: report.to,
      lines: ref ? [{ value: ref.v, label: `reference ${k} ${fmt(ref.v)}`, kind: 'reference' }] : [],
    });
    return `<section class="metric" id="metric-${esc(k)}"><h3>${esc(k)}</h3><figure>${chart}</figure></section>`;
  });
  const coverage = lineChart({
    label: 'label coverage over time',
    series: ctx.routes.map((r) => ({
      name: sname(ctx, 'label coverage', r),
      color: routeColor(ctx, r),
      points: ctx.byRoute.get(r)!.map((w) => ({
        x: w.windowStart,
        y: w.performance.labelCoverage,
        note: `${w.labelled} of ${w.rows} rows labelled`,
      })),
    })),
    from: report.from,
    to: report.to,
    yInclude: [0, 1],
    percent: true,
  });
  return `<h2 id="performance">Performance</h2>
${charts.length ? charts.join('\n') : '<p class="muted">No performance results: no labelled rows and no estimate in this range.</p>'}
<h3>Label coverage <small>share of rows with a label so far</small></h3><figure>${coverage}</figure>`;
}
