/**
 * Feature and prediction drift of a window against the baseline, from profiles only: the
 * default (or overridden) test per column with Evidently's thresholds, plus PSI, Jensen–Shannon,
 * Wasserstein and KS for every column they apply to, so any of them can carry an alert rule.
 */
import { binsOf, onReferenceEdges } from '../../data/diff.js';
import { isNumericType } from '../../stats/drift/bins.js';
import {
  columnDriftFromProfiles,
  jensenShannonFromProfiles,
  ksFromProfiles,
  psiFromProfiles,
  wassersteinFromProfiles,
} from '../../stats/drift/index.js';
import type { ColumnProfile } from '../../stats/types.js';
import type { ColumnDrift, ColumnOverride } from '../types.js';

const safe = (f: () => number): number | null => {
  try {
    const v = f();
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
};

/** One column's drift, or null when either side has no values (or the types differ). */
export function columnDrift(
  ref: ColumnProfile,
  cur: ColumnProfile,
  override: ColumnOverride | undefined,
  prediction: boolean,
): ColumnDrift | null {
  if (ref.type === 'text' || ref.count - ref.missing === 0 || cur.count - cur.missing === 0) return null;
  if (isNumericType(ref.type) !== isNumericType(cur.type)) return null;
  const aligned = onReferenceEdges(ref, cur);
  let r: ReturnType<typeof columnDriftFromProfiles>;
  try {
    r = columnDriftFromProfiles(ref, aligned, override ?? {});
  } catch {
    return null;
  }
  const extra: Record<string, number> = {};
  const put = (k: string, v: number | null) => {
    if (v !== null) extra[k] = v;
  };
  put(
    'psi',
    safe(() => psiFromProfiles(ref, aligned)),
  );
  put(
    'js',
    safe(() => jensenShannonFromProfiles(ref, aligned)),
  );
  if (isNumericType(ref.type)) {
    put(
      'wasserstein',
      safe(() => wassersteinFromProfiles(ref, aligned)),
    );
    put(
      'ks',
      safe(() => ksFromProfiles(ref, aligned).statistic),
    );
  }
  return {
    column: r.column,
    type: r.type,
    method: r.method,
    statistic: r.statistic,
    ...(r.pValue !== undefined ? { pValue: r.pValue } : {}),
    threshold: r.threshold,
    drifted: r.drifted,
    approximate: r.approximate,
    extra,
    bins: binsOf(ref, aligned),
    prediction,
  };
}
