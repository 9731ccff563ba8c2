/**
 * Evaluation results as terminal text: `formatEval` for one result, `formatCompare` for two side
 * by side with the difference. Undefined metrics show as "—".
 */
import Table from 'cli-table3';
import pc from 'picocolors';
import { higherIsBetter } from './metrics.js';
import type { EvalResult, FairnessReport, MetricValues, SliceReport } from './types.js';

export interface FormatOptions {
  /** ANSI colours (bold headers; in comparisons, green/red differences). Default false. */
  color?: boolean;
}

type Colors = ReturnType<typeof pc.createColors>;
type Align = 'left' | 'right';

const DASH = '—';

/** A metric value: 4 decimals, exponent form when very small or large, "—" when undefined. */
export function formatMetric(v: number | null | undefined): string {
  if (v === null || v === undefined) return DASH;
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e7)) return v.toExponential(3);
  return v.toFixed(4);
}

/** A difference b − a with its sign ("+0.0125", "-0.0300", "0.0000"); "—" when either side is undefined. */
export function formatDifference(a: number | null | undefined, b: number | null | undefined): string {
  if (a === null || a === undefined || b === null || b === undefined) return DASH;
  const d = b - a;
  const s = formatMetric(d);
  return d > 0 ? `+${s}` : d < 0 ? s : formatMetric(0);
}

function table(c: Colors, head: string[], rows: string[][], align: Align[]): string {
  const t = new Table({
    head: head.map((h) => c.bold(h)),
    style: { head: [], border: [] },
    // No rule between body rows: comparisons run to dozens of rows.
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    colAligns: head.map((_, i) => align[i] ?? 'right'),
  });
  t.push(...rows);
  return t.toString();
}

const TASK_NAMES = {
  binary: 'binary classification',
  multiclass: 'multiclass classification',
  regression: 'regression',
};

function summary(r: EvalResult): string {
  const skipped = r.skipped > 0 ? ` (${r.skipped} skipped: missing actual)` : '';
  return `${TASK_NAMES[r.task]}, ${r.rows} rows${skipped}`;
}

/** Metric keys of both results, the first's order first. */
function keysOf(...ms: (MetricValues | undefined)[]): string[] {
  const keys = new Set<string>();
  for (const m of ms) if (m) for (const k of Object.keys(m)) keys.add(k);
  return [...keys];
}

/** One result as tables: metrics, confusion matrix, slices, fairness. */
export function formatEval(result: EvalResult, opts: FormatOptions = {}): string {
  const c = pc.createColors(opts.color ?? false);
  const out: string[] = [c.bold(`Evaluation: ${summary(result)}`)];
  out.push(
    table(
      c,
      ['metric', 'value'],
      Object.entries(result.metrics).map(([k, v]) => [k, formatMetric(v)]),
      ['left', 'right'],
    ),
  );
  if (result.confusion && result.confusion.labels.length > 0) {
    const { labels, matrix } = result.confusion;
    out.push(c.bold('Confusion matrix (rows: actual, columns: predicted)'));
    out.push(
      table(
        c,
        ['actual \\ predicted', ...labels.map(String)],
        labels.map((l, i) => [String(l), ...(matrix[i] ?? []).map(String)]),
        ['left'],
      ),
    );
  }
  if (result.slices) out.push(...formatSlices(c, result.slices));
  if (result.fairness) out.push(...formatFairness(c, result.fairness));
  return `${out.join('\n')}\n`;
}

function formatSlices(c: Colors, s: SliceReport): string[] {
  const keys = keysOf(...s.groups.map((g) => g.metrics));
  return [
    c.bold(`Slices by ${s.column}`),
    table(
      c,
      [s.column, 'rows', ...keys],
      s.groups.map((g) => [g.value, String(g.rows), ...keys.map((k) => formatMetric(g.metrics[k]))]),
      ['left'],
    ),
  ];
}

function formatFairness(c: Colors, f: FairnessReport): string[] {
  return [
    c.bold(`Fairness by ${f.attribute} (positive class: ${String(f.positiveClass)})`),
    table(
      c,
      [f.attribute, 'rows', 'selection rate', 'true positive rate'],
      f.groups.map((g) => [
        g.value,
        String(g.rows),
        formatMetric(g.selectionRate),
        formatMetric(g.truePositiveRate),
      ]),
      ['left'],
    ),
    `demographic parity difference: ${formatMetric(f.demographicParityDifference)}   ` +
      `equal opportunity difference: ${formatMetric(f.equalOpportunityDifference)}`,
  ];
}

/** A difference, green when it is an improvement and red when it is a regression (with colour). */
function coloredDifference(
  c: Colors,
  key: string,
  a: number | null | undefined,
  b: number | null | undefined,
): string {
  const s = formatDifference(a, b);
  const better = higherIsBetter(key);
  if (better === null || a === null || a === undefined || b === null || b === undefined || a === b) return s;
  return b > a === better ? c.green(s) : c.red(s);
}

/**
 * Two results side by side with the difference (second − first): overall metrics with fairness
 * gaps, then per slice (matched by value) and per fairness group.
 */
export function formatCompare(
  a: EvalResult,
  b: EvalResult,
  labels: [string, string],
  opts: FormatOptions = {},
): string {
  const c = pc.createColors(opts.color ?? false);
  const [la, lb] = labels;
  const diff = `Δ (${lb} − ${la})`;
  const out: string[] = [
    c.bold(`Comparison: ${la} vs ${lb}`),
    `${la}: ${summary(a)}`,
    `${lb}: ${summary(b)}`,
  ];
  const ma: MetricValues = { ...a.metrics, ...fairnessMetrics(a.fairness) };
  const mb: MetricValues = { ...b.metrics, ...fairnessMetrics(b.fairness) };
  out.push(
    table(
      c,
      ['metric', la, lb, diff],
      keysOf(ma, mb).map((k) => [
        k,
        formatMetric(ma[k]),
        formatMetric(mb[k]),
        coloredDifference(c, k, ma[k], mb[k]),
      ]),
      ['left'],
    ),
  );
  if (a.slices || b.slices) out.push(...compareSlices(c, a.slices, b.slices, la, lb, diff));
  if (a.fairness || b.fairness) out.push(...compareFairness(c, a.fairness, b.fairness, la, lb, diff));
  return `${out.join('\n')}\n`;
}

function fairnessMetrics(f: FairnessReport | undefined): MetricValues {
  if (!f) return {};
  return {
    demographic_parity_difference: f.demographicParityDifference,
    equal_opportunity_difference: f.equalOpportunityDifference,
  };
}

/** Group values of both sides, the first's order first. */
function groupValues(...lists: ({ value: string }[] | undefined)[]): string[] {
  const seen = new Set<string>();
  for (const l of lists) if (l) for (const g of l) seen.add(g.value);
  return [...seen];
}

function compareSlices(
  c: Colors,
  sa: SliceReport | undefined,
  sb: SliceReport | undefined,
  la: string,
  lb: string,
  diff: string,
): string[] {
  if (sa && sb && sa.column !== sb.column)
    return [`Slices differ (${la} by ${sa.column}, ${lb} by ${sb.column}): not compared.`];
  const column = (sa ?? sb)!.column;
  const rows: string[][] = [];
  for (const value of groupValues(sa?.groups, sb?.groups)) {
    const ga = sa?.groups.find((g) => g.value === value);
    const gb = sb?.groups.find((g) => g.value === value);
    rows.push([value, 'rows', ga ? String(ga.rows) : DASH, gb ? String(gb.rows) : DASH, '']);
    for (const k of keysOf(ga?.metrics, gb?.metrics)) {
      const va = ga?.metrics[k];
      const vb = gb?.metrics[k];
      rows.push(['', k, formatMetric(va), formatMetric(vb), coloredDifference(c, k, va, vb)]);
    }
  }
  return [c.bold(`Slices by ${column}`), table(c, [column, 'metric', la, lb, diff], rows, ['left', 'left'])];
}

function compareFairness(
  c: Colors,
  fa: FairnessReport | undefined,
  fb: FairnessReport | undefined,
  la: string,
  lb: string,
  diff: string,
): string[] {
  if (fa && fb && fa.attribute !== fb.attribute)
    return [`Fairness attributes differ (${la}: ${fa.attribute}, ${lb}: ${fb.attribute}): not compared.`];
  const f = (fa ?? fb)!;
  const rows: string[][] = [];
  for (const value of groupValues(fa?.groups, fb?.groups)) {
    const ga = fa?.groups.find((g) => g.value === value);
    const gb = fb?.groups.find((g) => g.value === value);
    rows.push([value, 'rows', ga ? String(ga.rows) : DASH, gb ? String(gb.rows) : DASH, '']);
    rows.push([
      '',
      'selection rate',
      formatMetric(ga?.selectionRate),
      formatMetric(gb?.selectionRate),
      formatDifference(ga?.selectionRate, gb?.selectionRate),
    ]);
    rows.push([
      '',
      'true positive rate',
      formatMetric(ga?.truePositiveRate),
      formatMetric(gb?.truePositiveRate),
      formatDifference(ga?.truePositiveRate, gb?.truePositiveRate),
    ]);
  }
  return [
    c.bold(`Fairness by ${f.attribute} (positive class: ${String(f.positiveClass)})`),
    table(c, [f.attribute, 'measure', la, lb, diff], rows, ['left', 'left']),
  ];
}
