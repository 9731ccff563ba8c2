/**
 * Per-column drift with Evidently's default test selection (`_get_default_stattest`, see
 * reference/drift.md §1.1), every test and threshold overridable, and the dataset-level share rule.
 */
import { invalidParam } from '../../core/errors.js';
import type { ColumnProfile, ColumnType } from '../types.js';
import { categoryCounts, finiteNumbers, isNumericType, profileHistograms, sum, type Value } from './bins.js';
import { chiSquareFromProfiles, chiSquareTest } from './chisquare.js';
import { jensenShannon, jensenShannonFromProfiles } from './jensenshannon.js';
import { ksFromProfiles, ksTest } from './ks.js';
import { psi, psiFromProfiles } from './psi.js';
import { wassersteinFromProfiles, wassersteinNormed } from './wasserstein.js';
import { zTest, zTestFromProfiles } from './ztest.js';

/** The drift tests Keel implements. */
export type DriftMethod = 'ks' | 'chisquare' | 'ztest' | 'jensenshannon' | 'wasserstein' | 'psi';

/** Evidently's default thresholds: p-value level for ks/chisquare/ztest, distance for the rest. */
export const DEFAULT_THRESHOLDS: Readonly<Record<DriftMethod, number>> = {
  ks: 0.05,
  chisquare: 0.05,
  ztest: 0.05,
  jensenshannon: 0.1,
  wasserstein: 0.1,
  psi: 0.1,
};

/** Reference sizes up to this use the hypothesis tests; larger ones the distances (Evidently). */
export const SMALL_REFERENCE_ROWS = 1000;
/** Numeric columns with at most this many distinct values are tested as categories (Evidently). */
export const MAX_CATEGORICAL_NUMERIC_DISTINCT = 5;

/** Evidently's default test for a column: kind, non-missing reference rows, distinct values in ref ∪ cur. */
export function defaultMethod(numeric: boolean, referenceRows: number, distinct: number): DriftMethod {
  const asNumbers = numeric && distinct > MAX_CATEGORICAL_NUMERIC_DISTINCT;
  if (referenceRows <= SMALL_REFERENCE_ROWS) {
    if (asNumbers) return 'ks';
    return distinct > 2 ? 'chisquare' : 'ztest';
  }
  return asNumbers ? 'wasserstein' : 'jensenshannon';
}

/** Whether a result means drift; the comparison differs per test exactly as in Evidently. */
export function isDrift(
  method: DriftMethod,
  statistic: number,
  pValue: number | undefined,
  threshold: number,
): boolean {
  if (method === 'ks') return pValue! <= threshold;
  if (method === 'chisquare' || method === 'ztest') return pValue! < threshold;
  return statistic >= threshold;
}

/** Per-column overrides; `column`/`type` name and type raw arrays (profiles carry their own). */
export interface ColumnDriftOptions {
  column?: string;
  type?: ColumnType;
  method?: DriftMethod;
  threshold?: number;
}

/** One column's drift verdict. `approximate` when computed from binned/truncated profiles. */
export interface ColumnDriftResult {
  column: string;
  type: ColumnType;
  method: DriftMethod;
  statistic: number;
  pValue?: number;
  threshold: number;
  drifted: boolean;
  approximate: boolean;
}

// Type of raw values when not given: booleans, dates, integers, floats, else categorical.
function inferType(values: readonly Value[]): ColumnType {
  const present = values.filter((x) => x !== null && x !== undefined);
  if (present.length > 0 && present.every((x) => typeof x === 'boolean')) return 'boolean';
  if (present.length > 0 && present.every((x) => x instanceof Date)) return 'datetime';
  if (present.every((x) => typeof x === 'number')) {
    return present.every((x) => Number.isInteger(x) || !Number.isFinite(x)) ? 'integer' : 'float';
  }
  return 'categorical';
}

function checkMethod(method: DriftMethod, numeric: boolean, column: string): void {
  if (!numeric && (method === 'ks' || method === 'wasserstein')) {
    throw invalidParam(`column '${column}': ${method} needs a numeric column`, column);
  }
}

function verdict(
  base: { column: string; type: ColumnType; method: DriftMethod; threshold: number; approximate: boolean },
  statistic: number,
  pValue?: number,
): ColumnDriftResult {
  const drifted = isDrift(base.method, statistic, pValue, base.threshold);
  return pValue === undefined ? { ...base, statistic, drifted } : { ...base, statistic, pValue, drifted };
}

/** Drift of one column from raw reference and current values (missing and non-finite dropped). */
export function columnDrift(
  ref: readonly Value[],
  cur: readonly Value[],
  opts: ColumnDriftOptions = {},
): ColumnDriftResult {
  const column = opts.column ?? 'column';
  const type = opts.type ?? inferType([...ref, ...cur]);
  if (type === 'text') throw invalidParam(`column '${column}': text drift is not supported`, column);
  const numeric = isNumericType(type);
  // Evidently drops missing values first, so "reference rows" means non-missing ones.
  const refCounts = categoryCounts(ref);
  const curCounts = categoryCounts(cur);
  const refRows = numeric ? finiteNumbers(ref).length : sum([...refCounts.values()]);
  const curRows = numeric ? finiteNumbers(cur).length : sum([...curCounts.values()]);
  if (refRows === 0 || curRows === 0) throw invalidParam(`column '${column}': no values on one side`, column);
  const distinct = new Set([...refCounts.keys(), ...curCounts.keys()]).size;
  const method = opts.method ?? defaultMethod(numeric, refRows, distinct);
  checkMethod(method, numeric, column);
  const base = {
    column,
    type,
    method,
    threshold: opts.threshold ?? DEFAULT_THRESHOLDS[method],
    approximate: false,
  };
  switch (method) {
    case 'ks': {
      const r = ksTest(ref, cur);
      return verdict(base, r.statistic, r.pValue);
    }
    case 'chisquare': {
      const r = chiSquareTest(ref, cur);
      return verdict(base, r.statistic, r.pValue);
    }
    case 'ztest': {
      const r = zTest(ref, cur, column);
      return verdict(base, r.statistic, r.pValue);
    }
    case 'jensenshannon':
      return verdict(base, jensenShannon(ref, cur, { numeric }));
    case 'wasserstein':
      return verdict(base, wassersteinNormed(ref, cur));
    case 'psi':
      return verdict(base, psi(ref, cur, { numeric }));
  }
}

// Distinct values over both profiles: exact from exact top-k lists, otherwise a lower bound from
// the HLL estimates and the occupied histogram bins (each holds at least one distinct value).
function profileDistinct(ref: ColumnProfile, cur: ColumnProfile, numeric: boolean): number {
  const estimates = Math.max(Math.round(ref.distinctEstimate), Math.round(cur.distinctEstimate));
  if (numeric && !(ref.top?.exact && cur.top?.exact)) {
    const h = profileHistograms(ref, cur);
    return Math.max(estimates, h.ref.filter((r, i) => r > 0 || h.cur[i]! > 0).length);
  }
  const keys = new Set([...(ref.top?.items ?? []), ...(cur.top?.items ?? [])].map(([k]) => k));
  return ref.top?.exact && cur.top?.exact ? keys.size : Math.max(estimates, keys.size);
}

/**
 * Drift of one column from its reference and current profiles, with the same selection rule.
 * Numeric columns need histograms on identical edges, categorical ones top-k counts; each
 * statistic's approximation error is documented on its `…FromProfiles` function.
 */
export function columnDriftFromProfiles(
  ref: ColumnProfile,
  cur: ColumnProfile,
  opts: Pick<ColumnDriftOptions, 'method' | 'threshold'> = {},
): ColumnDriftResult {
  const column = ref.name;
  if (ref.type === 'text') throw invalidParam(`column '${column}': text drift is not supported`, column);
  const numeric = isNumericType(ref.type);
  if (numeric !== isNumericType(cur.type)) {
    throw invalidParam(`column '${column}': reference is ${ref.type} but current is ${cur.type}`, column);
  }
  const refRows = ref.count - ref.missing;
  const method = opts.method ?? defaultMethod(numeric, refRows, profileDistinct(ref, cur, numeric));
  checkMethod(method, numeric, column);
  const exactCounts = ref.top?.exact === true && cur.top?.exact === true;
  const approximate = method === 'ks' || method === 'wasserstein' || !exactCounts;
  const base = {
    column,
    type: ref.type,
    method,
    threshold: opts.threshold ?? DEFAULT_THRESHOLDS[method],
    approximate,
  };
  switch (method) {
    case 'ks': {
      const r = ksFromProfiles(ref, cur);
      return verdict(base, r.statistic, r.pValue);
    }
    case 'chisquare': {
      const r = chiSquareFromProfiles(ref, cur);
      return verdict(base, r.statistic, r.pValue);
    }
    case 'ztest': {
      const r = zTestFromProfiles(ref, cur);
      return verdict(base, r.statistic, r.pValue);
    }
    case 'jensenshannon':
      return verdict(base, jensenShannonFromProfiles(ref, cur));
    case 'wasserstein':
      return verdict(base, wassersteinFromProfiles(ref, cur));
    case 'psi':
      return verdict(base, psiFromProfiles(ref, cur));
  }
}

/** Dataset-level verdict: the share of drifted columns against the drift share. */
export interface DatasetDriftResult {
  driftedColumns: number;
  totalColumns: number;
  /** driftedColumns / totalColumns (0 when there are no columns). */
  share: number;
  /** The drift share it was compared with. */
  threshold: number;
  drifted: boolean;
}

/** Evidently's `get_dataset_drift`: drift when the share of drifted columns is ≥ `share` (default 0.5). */
export function datasetDrift(
  results: readonly Pick<ColumnDriftResult, 'drifted'>[],
  share = 0.5,
): DatasetDriftResult {
  if (!(share > 0 && share <= 1)) throw invalidParam(`drift share must be in (0, 1], got ${share}`, 'share');
  const driftedColumns = results.filter((r) => r.drifted).length;
  const totalColumns = results.length;
  const actual = totalColumns === 0 ? 0 : driftedColumns / totalColumns;
  return {
    driftedColumns,
    totalColumns,
    share: actual,
    threshold: share,
    drifted: totalColumns > 0 && actual >= share,
  };
}
