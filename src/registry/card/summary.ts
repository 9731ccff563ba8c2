/**
 * What both card renderers derive from the card data: dates, numbers, per-column profile
 * summaries, the evaluations in display order and the metrics worth a chart.
 */
import type { EvalResult } from '../../models/eval/index.js';
import type { ColumnProfile } from '../../stats/types.js';
import type { ModelCardData } from './types.js';

/** The sentence shown in place of a missing intended-use statement. */
export const INTENDED_USE_NOT_STATED =
  'Intended use: not stated. Nobody has recorded what this model is for, who may rely on it, or ' +
  'where it must not be used; treat it as unvalidated outside the data it was evaluated on. ' +
  'Record it with the `intended_use` tag on the model or version.';

/** A deployment using the version: `loans (primary, shadow)`. */
export const deployedText = (d: { name: string; routes: string[] }): string =>
  `${d.name} (${d.routes.join(', ')})`;

/** An epoch-ms time as "YYYY-MM-DD HH:MM UTC"; "—" when absent. */
export const fmtTime = (ms: number | null | undefined): string =>
  ms === null || ms === undefined || !Number.isFinite(ms)
    ? '—'
    : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

const fmtDate = (ms: number): string =>
  Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 10) : String(ms);

/** A data value: integers as they are, others to 6 significant digits. */
export function fmtValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const p = v.toPrecision(6);
  return p.includes('.') && !p.includes('e') ? p.replace(/\.?0+$/, '') : p;
}

/** A share as a percentage with one decimal. */
export const fmtShare = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** A profiled column, reduced to what a reader of a card needs. */
export interface ColumnSummary {
  name: string;
  type: string;
  rows: number;
  missingShare: number;
  distinct: number;
  /** Label and preformatted value pairs: mean/std/min/max, or the top categories. */
  stats: [string, string][];
}

/**
 * Mean, population std and range of a numeric column; range of a datetime; share true of a
 * boolean; the three most frequent values of a categorical or text column.
 */
export function summarizeColumn(c: ColumnProfile): ColumnSummary {
  const present = c.count - c.missing;
  const stats: [string, string][] = [];
  const m = c.moments;
  if (m && m.count > 0) {
    if (c.type === 'integer' || c.type === 'float') {
      stats.push(['mean', fmtValue(m.mean)], ['std', fmtValue(Math.sqrt(m.m2 / m.count))]);
      stats.push(['min', fmtValue(m.min)], ['max', fmtValue(m.max)]);
    } else if (c.type === 'datetime') {
      stats.push(['min', fmtDate(m.min)], ['max', fmtDate(m.max)]);
    } else if (c.type === 'boolean') {
      stats.push(['true', fmtShare(m.mean)]);
    }
  }
  if (c.top && (c.type === 'categorical' || c.type === 'text') && present > 0 && c.top.items.length > 0) {
    const top = c.top.items
      .slice(0, 3)
      .map(([v, n]) => `${v} (${fmtShare(n / present)})`)
      .join(', ');
    stats.push(['top', top]);
  }
  return {
    name: c.name,
    type: c.type,
    rows: c.count,
    missingShare: c.count === 0 ? 0 : c.missing / c.count,
    distinct: c.distinctEstimate,
    stats,
  };
}

/** Evaluations, newest first. */
export const evaluationsByTime = (card: ModelCardData): ModelCardData['evaluations'] =>
  [...card.evaluations].sort((a, b) => b.createdAt - a.createdAt);

/** The few metrics charted per slice: the headline ones of the task, when present. */
export function headlineMetrics(r: EvalResult): string[] {
  const wanted =
    r.task === 'regression'
      ? ['rmse', 'mae', 'r2']
      : r.task === 'multiclass'
        ? ['accuracy', 'f1_macro', 'roc_auc_ovr']
        : ['accuracy', 'f1', 'roc_auc'];
  const present = new Set(r.slices?.groups.flatMap((g) => Object.keys(g.metrics)) ?? Object.keys(r.metrics));
  return wanted.filter((k) => present.has(k));
}

/** Every metric key the card's evaluations report (for the definitions section), in first-seen order. */
export function metricKeys(card: ModelCardData): string[] {
  const keys = new Set<string>();
  for (const e of card.evaluations) {
    for (const k of Object.keys(e.result.metrics ?? {})) keys.add(k);
    if (e.result.fairness) {
      keys.add('demographic_parity_difference');
      keys.add('equal_opportunity_difference');
    }
  }
  return [...keys];
}

/** Approvals oldest first. */
export const approvalsByTime = (card: ModelCardData): ModelCardData['approvals'] =>
  [...card.approvals].sort((a, b) => a.time - b.time);

/** A task name for prose. */
export const taskName = (task: string): string =>
  task === 'binary' ? 'binary classification' : task === 'multiclass' ? 'multiclass classification' : task;

/** "N rows (k skipped: missing actual)". */
export const rowsText = (r: EvalResult): string =>
  `${r.rows} rows${r.skipped > 0 ? ` (${r.skipped} skipped: missing actual)` : ''}`;

/** "[N, 3]" with symbolic and unknown dimensions as they are. */
export const shapeText = (shape: (number | string | null)[]): string =>
  `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;

/** A feature's training range or categories. */
export function rangeText(f: { min?: number; max?: number; categories?: string[] }): string {
  if (f.categories?.length) {
    const shown = f.categories.slice(0, 10).join(', ');
    return f.categories.length > 10 ? `${shown}, … (${f.categories.length} in all)` : shown;
  }
  if (f.min !== undefined && f.max !== undefined) return `${fmtValue(f.min)} to ${fmtValue(f.max)}`;
  return '—';
}
