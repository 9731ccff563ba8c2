/**
 * Two-proportion z-test for binary columns — Evidently's `z` test: the share of one category in
 * the reference vs the current data, pooled standard error, two-sided normal p-value.
 */
import { invalidParam } from '../../core/errors.js';
import type { ColumnProfile } from '../types.js';
import { alignCounts, categoryCounts, profileCounts, sum, type Value } from './bins.js';
import { erfc } from './special.js';

/** z statistic (reference share minus current share, over the pooled standard error) and p-value. */
export interface ZTestResult {
  statistic: number;
  pValue: number;
}

/**
 * z-test from counts of the target category: hits out of n on each side. When the pooled share is
 * 0 or 1 both samples are the same constant, so there is no difference to test (Evidently: p = 1).
 */
export function zTestFromCounts(refHits: number, refN: number, curHits: number, curN: number): ZTestResult {
  if (refN <= 0 || curN <= 0) throw invalidParam('z-test needs values on each side');
  const p1 = refHits / refN;
  const p2 = curHits / curN;
  const pooled = (refHits + curHits) / (refN + curN);
  if (pooled <= 0 || pooled >= 1) return { statistic: 0, pValue: 1 };
  const z = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1 / refN + 1 / curN));
  // 2·(1 − Φ(|z|)) written as erfc(|z|/√2): same value, but no cancellation for large |z|.
  return { statistic: z, pValue: erfc(Math.abs(z) / Math.SQRT2) };
}

// Target = the first of at most two categories; the two-sided p-value does not depend on which.
function fromAligned(ref: readonly number[], cur: readonly number[], column: string): ZTestResult {
  if (ref.length > 2)
    throw invalidParam(`column '${column}': z-test needs at most two values, found ${ref.length}`, column);
  return zTestFromCounts(ref[0] ?? 0, sum(ref), cur[0] ?? 0, sum(cur));
}

/** z-test on raw values of a column with at most two distinct values (missing dropped). */
export function zTest(ref: readonly Value[], cur: readonly Value[], column = 'column'): ZTestResult {
  const c = alignCounts(categoryCounts(ref), categoryCounts(cur));
  return fromAligned(c.ref, c.cur, column);
}

/**
 * z-test from profiles: boolean/categorical columns use the top-k counts (exact for two values);
 * numeric 0/1 columns use the histogram, exact as long as the two values fall in different bins.
 */
export function zTestFromProfiles(ref: ColumnProfile, cur: ColumnProfile): ZTestResult {
  const c = profileCounts(ref, cur);
  return fromAligned(c.ref, c.cur, ref.name);
}
