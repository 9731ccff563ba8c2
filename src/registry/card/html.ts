/**
 * The model card as one self-contained HTML page: inline CSS and SVG, no scripts, no external
 * references (a Content-Security-Policy forbids them too), every registry value escaped.
 */
import {
  type EvalResult,
  formatMetric,
  higherIsBetter,
  METRICS,
  metricLabel,
} from '../../models/eval/index.js';
import {
  approvalsByTime,
  deployedText,
  evaluationsByTime,
  fmtShare,
  fmtTime,
  headlineMetrics,
  INTENDED_USE_NOT_STATED,
  metricKeys,
  rangeText,
  rowsText,
  shapeText,
  summarizeColumn,
  taskName,
} from './summary.js';
import { BLUE, barChart, esc, ORANGE, reliabilityChart } from './svg.js';
import type { ModelCardData } from './types.js';

/** Groups beyond this are tabled but not charted. */
const MAX_CHART_GROUPS = 40;

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:980px;color:#222;padding:0 12px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:28px}
h3{font-size:15px;margin-top:20px}.muted{color:#666}.meta{color:#555;margin:4px 0 12px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;background:#eee}
.badge.approved{background:#e6f4ea;color:#1e6b34}.badge.rejected{background:#fde8e8;color:#9b1c1c}.badge.pending{background:#fff4e0;color:#8a5a00}
.warn{background:#fff4e0;border-left:4px solid #e8a200;padding:10px 14px;font-weight:600}
.text{white-space:pre-wrap}table{border-collapse:collapse;margin:8px 0}td,th{border-bottom:1px solid #e3e3e3;padding:3px 10px;text-align:left;vertical-align:top}
th{background:#fafafa}td.num{text-align:right;font-variant-numeric:tabular-nums}code{font-size:12px;background:#f4f4f4;padding:0 3px;word-break:break-all}
table.cm td.num{min-width:44px}dl.defs dt{font-weight:600}dl.defs dd{margin:0 0 6px 16px;color:#444}`;

const text = (s: string): string => `<div class="text">${esc(s)}</div>`;
const code = (s: string): string => `<code>${esc(s)}</code>`;
const dash = '—';

type Cell = string | { html: string; num?: boolean; style?: string };

/** A table; string cells are escaped, {html} cells are trusted markup built here. */
function table(head: string[], rows: Cell[][], cls = ''): string {
  const td = (c: Cell) =>
    typeof c === 'string'
      ? `<td>${esc(c)}</td>`
      : `<td${c.num ? ' class="num"' : ''}${c.style ? ` style="${c.style}"` : ''}>${c.html}</td>`;
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>
<tbody>${rows.map((r) => `<tr>${r.map(td).join('')}</tr>`).join('\n')}</tbody></table>`;
}

const num = (v: number | null | undefined): Cell => ({ html: esc(formatMetric(v)), num: true });
const count = (n: number): Cell => ({ html: String(n), num: true });

const kv = (pairs: [string, string][]): string =>
  `<table>${pairs.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join('')}</table>`;

const tagsTable = (tags: Record<string, string>): string =>
  table(
    ['tag', 'value'],
    Object.keys(tags)
      .sort()
      .map((k) => [k, tags[k] ?? '']),
  );

const badge = (status: string): string => {
  const cls = ['approved', 'rejected', 'pending'].includes(status) ? ` ${status}` : '';
  return `<span class="badge${cls}">${esc(status)}</span>`;
};

/** Renders the model card as a self-contained HTML page. */
export function renderCardHtml(card: ModelCardData): string {
  const { model, version: v } = card;
  const title = `Model card: ${model.name} v${v.version}`;
  const a = v.approval;
  const body: string[] = [];
  body.push(`<h1>${esc(title)}</h1>`);
  body.push(
    `<p class="meta">${badge(a.status)}${a.actor ? ` by ${esc(a.actor)}` : ''}${a.time !== null ? `, ${esc(fmtTime(a.time))}` : ''} · aliases: ${v.aliases.length ? v.aliases.map(esc).join(', ') : 'none'} · created ${esc(fmtTime(v.createdAt))} by ${esc(v.createdBy)}</p>`,
  );
  if (model.description.trim()) body.push(text(model.description.trim()));
  if (v.description.trim()) body.push(text(v.description.trim()));

  body.push('<h2>Intended use</h2>');
  body.push(
    card.intendedUse?.trim()
      ? text(card.intendedUse.trim())
      : `<div class="warn" role="alert">⚠ ${esc(INTENDED_USE_NOT_STATED)}</div>`,
  );

  body.push('<h2>Model details</h2>');
  body.push(
    kv([
      ['Model', esc(model.name)],
      ['Version', String(v.version)],
      ['Created', `${esc(fmtTime(v.createdAt))} by ${esc(v.createdBy)}`],
      ['ONNX sha256', v.onnxSha256 ? code(v.onnxSha256) : 'no ONNX file'],
      ['Aliases', v.aliases.length ? v.aliases.map(esc).join(', ') : 'none'],
      [
        'Approval',
        `${badge(a.status)}${a.actor ? ` by ${esc(a.actor)}` : ''}${a.reason ? `: ${esc(a.reason)}` : ''}`,
      ],
    ]),
  );
  if (Object.keys(model.tags).length) body.push('<h3>Model tags</h3>', tagsTable(model.tags));
  if (Object.keys(v.tags).length) body.push('<h3>Version tags</h3>', tagsTable(v.tags));

  body.push('<h2>Inputs and outputs</h2>');
  if (card.signature) {
    const rows: Cell[][] = [
      ...card.signature.inputs.map((t) => [
        'input',
        t.name,
        t.type,
        t.shape ? shapeText(t.shape) : 'unknown',
      ]),
      ...card.signature.outputs.map((t) => [
        'output',
        t.name,
        t.type,
        t.shape ? shapeText(t.shape) : 'unknown',
      ]),
    ];
    body.push(table(['', 'name', 'type', 'shape'], rows));
  } else body.push('<p class="muted">No ONNX signature recorded.</p>');
  if (card.featureSchema?.length) {
    body.push('<h3>Features, with what training saw</h3>');
    body.push(
      table(
        ['feature', 'type', 'training range or categories'],
        card.featureSchema.map((f) => [f.name, f.type, rangeText(f)]),
      ),
    );
  }

  body.push('<h2>Training</h2>');
  const t = card.training;
  body.push(
    kv([
      ['Trainer', t.trainer ? esc(t.trainer) : dash],
      ['Task', t.task ? esc(t.task) : dash],
      ['Target', t.target ? esc(t.target) : dash],
    ]),
  );
  const params = Object.keys(t.params).sort();
  if (params.length)
    body.push(
      '<h3>Parameters</h3>',
      table(
        ['parameter', 'value'],
        params.map((k) => [k, t.params[k] ?? '']),
      ),
    );
  const tm = Object.keys(t.metrics).sort();
  if (tm.length)
    body.push(
      '<h3>Training metrics</h3>',
      table(
        ['metric', 'value'],
        tm.map((k) => [k, num(t.metrics[k])]),
      ),
    );

  body.push('<h2>Training data</h2>');
  if (card.datasets.length === 0) body.push('<p class="muted">No training dataset recorded.</p>');
  for (const d of card.datasets) {
    body.push(`<h3>${esc(d.ref)}</h3>`, `<p>${d.rows} rows · content sha256 ${code(d.contentHash)}</p>`);
    if (!d.profile) {
      body.push('<p class="muted">No profile stored for this dataset version.</p>');
      continue;
    }
    body.push(
      table(
        ['column', 'type', 'missing', 'distinct (≈)', 'summary'],
        d.profile.columns.map((c) => {
          const s = summarizeColumn(c);
          return [
            s.name,
            s.type,
            { html: fmtShare(s.missingShare), num: true },
            count(s.distinct),
            s.stats.map(([k, val]) => `${k} ${val}`).join(' · '),
          ];
        }),
      ),
    );
  }

  body.push('<h2>Evaluation</h2>');
  const evals = evaluationsByTime(card);
  if (evals.length === 0) body.push('<p class="muted">No evaluation recorded.</p>');
  for (const e of evals) body.push(evaluationHtml(e.datasetRef, e.createdAt, e.result));

  body.push('<h2>Lineage</h2>');
  const l = card.lineage;
  body.push(
    kv([
      ['Run', l.runId ? `${esc(l.runName ?? '')} ${code(l.runId)}` : dash],
      ['Experiment', l.experiment ? esc(l.experiment) : dash],
      ['Git commit', l.gitCommit ? code(l.gitCommit) : dash],
      ['Datasets', l.datasets.length ? l.datasets.map(esc).join(', ') : dash],
      ['Deployed', l.deployments?.length ? l.deployments.map((d) => esc(deployedText(d))).join(', ') : dash],
    ]),
  );

  body.push('<h2>Approvals</h2>');
  const approvals = approvalsByTime(card);
  body.push(
    approvals.length === 0
      ? '<p class="muted">No reviews recorded.</p>'
      : table(
          ['time', 'decision', 'by', 'reason'],
          approvals.map((x) => [fmtTime(x.time), { html: badge(x.status) }, x.actor, x.reason ?? dash]),
        ),
  );

  const keys = metricKeys(card).filter((k) => METRICS[k]);
  if (keys.length) {
    body.push('<h2>Metric definitions</h2>');
    body.push(
      '<p class="muted">Defined as scikit-learn (classification and regression metrics) and fairlearn (fairness) define them; “—” marks a metric undefined on the data (e.g. ROC AUC with one class).</p>',
    );
    body.push(
      `<dl class="defs">${keys.map((k) => `<dt>${esc(metricLabel(k))} <code>${esc(k)}</code></dt><dd>${esc(METRICS[k]!.definition)} (${METRICS[k]!.better} is better)</dd>`).join('')}</dl>`,
    );
  }

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
${CSS}
</style></head><body>
${body.join('\n')}
<p class="muted">Generated by Keel.</p>
</body></html>
`;
}

function evaluationHtml(datasetRef: string | null, createdAt: number, r: EvalResult): string {
  const out: string[] = [];
  out.push(
    `<h3>${datasetRef ? `On ${esc(datasetRef)}` : 'On unrecorded data'}, ${esc(fmtTime(createdAt))}</h3>`,
    `<p>${esc(taskName(r.task))}, ${esc(rowsText(r))}</p>`,
  );
  out.push(
    table(
      ['metric', 'key', 'value'],
      Object.entries(r.metrics ?? {}).map(([k, val]) => [metricLabel(k), { html: code(k) }, num(val)]),
    ),
  );
  if (r.confusion?.labels.length) out.push(confusionHtml(r.confusion.labels, r.confusion.matrix));
  const bins = r.calibration?.bins ?? [];
  if (bins.some((b) => b.count > 0)) {
    out.push(
      '<h4>Calibration</h4>',
      `<p class="muted">Bars: observed accuracy per confidence bin; dots: mean confidence; dashed: perfect calibration. ECE ${esc(formatMetric(r.metrics?.['ece']))}.</p>`,
      reliabilityChart(bins),
    );
  }
  if (r.slices) out.push(slicesHtml(r));
  if (r.fairness) {
    const f = r.fairness;
    out.push(
      `<h4>Fairness by ${esc(f.attribute)} <span class="muted">(positive class: ${esc(String(f.positiveClass))})</span></h4>`,
    );
    out.push(
      `<p>Demographic parity difference <b>${esc(formatMetric(f.demographicParityDifference))}</b> · equal opportunity difference <b>${esc(formatMetric(f.equalOpportunityDifference))}</b></p>`,
    );
    if (f.groups.length <= MAX_CHART_GROUPS)
      out.push(
        barChart(
          `selection and true-positive rates by ${f.attribute}`,
          f.groups.map((g) => g.value),
          [
            { name: 'selection rate', color: BLUE, values: f.groups.map((g) => g.selectionRate) },
            { name: 'true positive rate', color: ORANGE, values: f.groups.map((g) => g.truePositiveRate) },
          ],
          1,
        ),
      );
    out.push(
      table(
        [f.attribute, 'rows', 'selection rate', 'true positive rate'],
        f.groups.map((g) => [g.value, count(g.rows), num(g.selectionRate), num(g.truePositiveRate)]),
      ),
    );
  }
  return `<section>${out.join('\n')}</section>`;
}

/** The confusion matrix, each cell shaded by its share of the actual class's rows. */
function confusionHtml(labels: (string | number)[], matrix: number[][]): string {
  const rows: Cell[][] = labels.map((l, i) => {
    const row = matrix[i] ?? [];
    const total = row.reduce((s, x) => s + x, 0);
    return [
      { html: `<b>${esc(String(l))}</b>` },
      ...row.map((n, j): Cell => {
        const share = total === 0 ? 0 : n / total;
        const rgb = i === j ? '76,120,168' : '228,87,86';
        return {
          html: `${n}<span class="muted"> ${total === 0 ? '' : fmtShare(share)}</span>`,
          num: true,
          style: `background:rgba(${rgb},${(share * 0.6).toFixed(3)})`,
        };
      }),
    ];
  });
  return `<h4>Confusion matrix</h4><p class="muted">Rows: actual class; columns: predicted class; shading: share of the actual class.</p>${table(
    ['actual \\ predicted', ...labels.map(String)],
    rows,
    'cm',
  )}`;
}

function slicesHtml(r: EvalResult): string {
  const s = r.slices!;
  const keys = [...new Set(s.groups.flatMap((g) => Object.keys(g.metrics)))];
  const out: string[] = [`<h4>Slices by ${esc(s.column)}</h4>`];
  if (s.groups.length <= MAX_CHART_GROUPS) {
    const names = s.groups.map((g) => `${g.value} (${g.rows})`);
    for (const k of headlineMetrics(r)) {
      const bounded = higherIsBetter(k) !== null && k !== 'rmse' && k !== 'mae' && k !== 'log_loss';
      out.push(
        barChart(
          `${metricLabel(k)} by ${s.column}`,
          names,
          [{ name: metricLabel(k), color: BLUE, values: s.groups.map((g) => g.metrics[k] ?? null) }],
          bounded ? 1 : undefined,
        ),
      );
    }
  } else out.push(`<p class="muted">${s.groups.length} groups: too many to chart, see the table.</p>`);
  out.push(
    table(
      [s.column, 'rows', ...keys],
      s.groups.map((g) => [g.value, count(g.rows), ...keys.map((k) => num(g.metrics[k]))]),
    ),
  );
  return out.join('\n');
}
