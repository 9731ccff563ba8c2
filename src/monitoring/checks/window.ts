/**
 * One window's evaluation: drift, quality, realised and estimated performance against the
 * baseline, flattened into the metric map alert rules read (`psi(salary)`, `accuracy`, …).
 * Pure: the caller reads the profiles and labels, and stores the result.
 */

import type { ModelIO } from '../../serving/types.js';
import { datasetDrift } from '../../stats/drift/index.js';
import type { DatasetProfile } from '../../stats/types.js';
import { estimatesOf } from '../baseline/build.js';
import type { Baseline, ColumnDrift, ColumnQuality, MetricMap, MonitorSpec, WindowResult } from '../types.js';
import { columnDrift } from './drift.js';
import { type LabelledRow, realisedMetrics } from './performance.js';
import { columnQuality } from './quality.js';

export interface WindowInput {
  monitor: string;
  route: string;
  windowStart: number;
  windowEnd: number;
  versions: number[];
  rows: number;
  profile: DatasetProfile;
  baseline: Baseline;
  io: Pick<ModelIO, 'task' | 'classes'>;
  labelled: readonly LabelledRow[];
  spec: MonitorSpec;
  computedAt: number;
}

const PREDICTION_PREFIXES = ['prediction.', 'output.'];
const isPrediction = (name: string) => PREDICTION_PREFIXES.some((p) => name.startsWith(p));
/** The prediction column whose drift is `prediction_drift`, in order of preference. */
const MAIN_PREDICTION = ['prediction.score', 'prediction.value', 'prediction.label', 'prediction.confidence'];

function driftMetrics(m: MetricMap, drift: ColumnDrift[], share: number): void {
  const features = drift.filter((d) => !d.prediction);
  const ds = datasetDrift(features, share);
  m.drift_share = features.length > 0 ? ds.share : null;
  m.drifted_columns = ds.driftedColumns;
  m.dataset_drift = features.length > 0 ? Number(ds.drifted) : null;
  for (const d of drift) {
    m[`drift(${d.column})`] = d.statistic;
    m[`drift_p(${d.column})`] = d.pValue ?? null;
    m[`drifted(${d.column})`] = Number(d.drifted);
    for (const [k, v] of Object.entries(d.extra)) m[`${k}(${d.column})`] = v;
  }
  const main = MAIN_PREDICTION.map((c) => drift.find((d) => d.column === c)).find((d) => d !== undefined);
  m.prediction_drift = main?.statistic ?? null;
  m.prediction_drifted = main ? Number(main.drifted) : null;
}

function qualityMetrics(
  m: MetricMap,
  q: ColumnQuality[],
  profile: DatasetProfile,
  missing: string[],
  extra: string[],
): void {
  let missingValues = 0;
  let values = 0;
  let outside = 0;
  let numeric = 0;
  for (const c of q) {
    const col = profile.columns.find((p) => p.name === c.column)!;
    m[`missing_rate(${c.column})`] = c.missingRate;
    missingValues += col.missing;
    values += col.count;
    if (c.outOfRangeRate !== null) {
      m[`out_of_range_rate(${c.column})`] = c.outOfRangeRate;
      outside += c.outOfRangeRate * (col.count - col.missing);
      numeric += col.count - col.missing;
    }
    if (c.newCategoryRate !== null) {
      m[`new_category_rate(${c.column})`] = c.newCategoryRate;
      m[`new_categories(${c.column})`] = c.newCategories.length;
    }
  }
  m.missing_rate = values > 0 ? missingValues / values : null;
  m.out_of_range_rate = numeric > 0 ? outside / numeric : null;
  m.missing_features = missing.length;
  m.extra_features = extra.length;
  m.schema_violations = missing.length + extra.length;
}

/** Evaluates one route's window. */
export function evaluateWindow(w: WindowInput): WindowResult {
  const { baseline, profile, spec } = w;
  const refCols = new Map(baseline.profile.columns.map((c) => [c.name, c]));
  const curCols = new Map(profile.columns.map((c) => [c.name, c]));
  const featureNames = new Set(baseline.features.map((f) => f.name));
  const drift: ColumnDrift[] = [];
  const quality: ColumnQuality[] = [];
  const missingFeatures: string[] = [];
  for (const f of baseline.features) {
    const ref = refCols.get(f.name);
    const cur = curCols.get(f.name);
    if (!cur || cur.count === cur.missing) {
      missingFeatures.push(f.name);
      continue;
    }
    if (!ref) continue;
    if (spec.checks.quality) quality.push(columnQuality(ref, cur));
    if (spec.checks.drift.enabled && !spec.checks.drift.exclude.includes(f.name)) {
      const d = columnDrift(ref, cur, spec.checks.drift.columns[f.name], false);
      if (d) drift.push(d);
    }
  }
  if (spec.checks.predictionDrift) {
    for (const cur of profile.columns) {
      const ref = refCols.get(cur.name);
      if (!isPrediction(cur.name) || !ref) continue;
      const d = columnDrift(ref, cur, spec.checks.drift.columns[cur.name], true);
      if (d) drift.push(d);
    }
  }
  const extraFeatures = profile.columns
    .map((c) => c.name)
    .filter((n) => !featureNames.has(n) && !isPrediction(n));
  const metrics: MetricMap = { rows: w.rows };
  driftMetrics(metrics, drift, spec.checks.drift.share);
  if (spec.checks.quality) qualityMetrics(metrics, quality, profile, missingFeatures, extraFeatures);
  const task = { task: w.io.task, classes: w.io.classes, positiveClass: spec.checks.positiveClass };
  const realised = spec.checks.performance ? realisedMetrics(w.labelled, task) : null;
  const estimated = spec.checks.estimation
    ? estimatesOf(profile, w.io, baseline.calibration, spec.checks.positiveClass)
    : null;
  const coverage = w.rows > 0 ? Math.min(1, w.labelled.length / w.rows) : 0;
  metrics.labelled_rows = w.labelled.length;
  metrics.label_coverage = coverage;
  Object.assign(metrics, realised ?? {}, estimated ?? {});
  return {
    monitor: w.monitor,
    route: w.route,
    windowStart: w.windowStart,
    windowEnd: w.windowEnd,
    versions: w.versions,
    rows: w.rows,
    labelled: w.labelled.length,
    reference: baseline.source,
    metrics,
    drift,
    quality: { columns: quality, missingFeatures, extraFeatures },
    performance: { realised, estimated, reference: baseline.metrics, labelCoverage: coverage },
    computedAt: w.computedAt,
  };
}
