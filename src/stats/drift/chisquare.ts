/**
 * Chi-squared test of the current category counts against the reference proportions — Evidently's
 * `chisquare`: over the union of categories, expected = reference count × n_cur / n_ref, then
 * `scipy.stats.chisquare(f_obs=current, f_exp=expected)` with k − 1 degrees of freedom.
 */
import { invalidParam } from '../../core/errors.js';
import type { ColumnProfile } from '../types.js';
import { alignCounts, categoryCounts, profileCounts, sum, type Value } from './bins.js';
import { chiSquareSf } from './special.js';

/** Chi-squared statistic, its p-value and degrees of freedom. */
export interface ChiSquareResult {
  statistic: number;
  pValue: number;
  df: number;
}

/**
 * Pearson's goodness-of-fit test, as `scipy.stats.chisquare(observed, expected)` with ddof = 0
 * (expected defaults to uniform). A category expected 0 but observed is infinitely unlikely:
 * statistic ∞, p = 0. With a single category there is nothing to test: p = 1.
 */
export function chiSquare(observed: readonly number[], expected?: readonly number[]): ChiSquareResult {
  const k = observed.length;
  if (expected && expected.length !== k) throw invalidParam('observed and expected differ in length');
  const mean = sum(observed) / k;
  let statistic = 0;
  for (let i = 0; i < k; i++) {
    const e = expected ? expected[i]! : mean;
    const d = observed[i]! - e;
    if (d !== 0) statistic += e === 0 ? Number.POSITIVE_INFINITY : (d * d) / e;
  }
  const df = k - 1;
  return { statistic, pValue: df < 1 ? 1 : chiSquareSf(statistic, df), df };
}

/** Evidently's test from aligned reference/current counts: expected = ref × (n_cur / n_ref). */
export function chiSquareFromCounts(ref: readonly number[], cur: readonly number[]): ChiSquareResult {
  const nRef = sum(ref);
  const nCur = sum(cur);
  if (nRef === 0 || nCur === 0) throw invalidParam('chi-squared test needs counts on each side');
  const scale = nCur / nRef;
  return chiSquare(
    cur,
    ref.map((r) => r * scale),
  );
}

/** Chi-squared drift test on raw values (each distinct value is a category; missing dropped). */
export function chiSquareTest(ref: readonly Value[], cur: readonly Value[]): ChiSquareResult {
  const c = alignCounts(categoryCounts(ref), categoryCounts(cur));
  return chiSquareFromCounts(c.ref, c.cur);
}

/**
 * Chi-squared from profiles. Exact (equal to `chiSquareTest` on the raw data) for categorical
 * columns whose top-k lists are both exact. With a truncated top-k, categories seen on one side
 * only are pooled into one "(other)" bin; merging cells never raises the statistic
 * (Cauchy–Schwarz), though it also removes degrees of freedom. Numeric columns use the histogram bins as categories: exact when each non-empty bin
 * holds one distinct value, otherwise the test of the coarsened distribution.
 */
export function chiSquareFromProfiles(ref: ColumnProfile, cur: ColumnProfile): ChiSquareResult {
  const c = profileCounts(ref, cur);
  return chiSquareFromCounts(c.ref, c.cur);
}
