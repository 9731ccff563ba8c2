/**
 * Two-sample Kolmogorov–Smirnov test (Evidently's `ks`, which calls scipy's `ks_2samp`).
 */
import { invalidParam } from '../../core/errors.js';
import type { ColumnProfile } from '../types.js';
import { finiteNumbers, profileHistograms, sum, type Value } from './bins.js';
import { ksAsymptoticSf, ksExactSf } from './special.js';

/** 'auto' is exact while n·m ≤ `KS_EXACT_MAX_CELLS`, else asymptotic. */
export type KsMethod = 'auto' | 'exact' | 'asymp';

/**
 * Largest n·m for the exact p-value: O(n·m) work, ~30 ms at 1000 × 10 000. scipy's 'auto' goes exact up to
 * max(n, m) = 10 000 (n·m up to 1e8), too slow per column in a monitor; above 1e7 the asymptotic
 * p-value is already within a fraction of a percent.
 */
export const KS_EXACT_MAX_CELLS = 10_000_000;

/** Result of a KS test: statistic D, two-sided p-value, and which p-value formula was used. */
export interface KsResult {
  statistic: number;
  pValue: number;
  method: 'exact' | 'asymp';
}

/**
 * Two-sided p-value for D expressed as the integer h = D·n·m (exact, so the boundary test in the
 * path count has no rounding), by the exact path count or Stephens' asymptotic formula.
 */
function pValueFromH(h: number, n: number, m: number, method: KsMethod): KsResult {
  const exact = method === 'exact' || (method === 'auto' && n * m <= KS_EXACT_MAX_CELLS);
  const statistic = h / (n * m);
  return exact
    ? { statistic, pValue: ksExactSf(h, n, m), method: 'exact' }
    : { statistic, pValue: ksAsymptoticSf(statistic, n, m), method: 'asymp' };
}

/** Two-sided p-value of a two-sample KS statistic `d` for sample sizes n and m. */
export function ksPValue(d: number, n: number, m: number, method: KsMethod = 'auto'): number {
  return pValueFromH(Math.round(d * n * m), n, m, method).pValue;
}

/** Two-sample KS test on raw values (missing and non-finite dropped), as scipy's `ks_2samp`. */
export function ksTest(ref: readonly Value[], cur: readonly Value[], method: KsMethod = 'auto'): KsResult {
  const a = finiteNumbers(ref).sort((x, y) => x - y);
  const b = finiteNumbers(cur).sort((x, y) => x - y);
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) throw invalidParam('KS test needs at least one finite value on each side');
  // D·n·m = max |i·m − j·n| over the pooled values (i, j = counts ≤ value), all in integers.
  let i = 0;
  let j = 0;
  let h = 0;
  while (i < n || j < m) {
    const v = Math.min(i < n ? a[i]! : Number.POSITIVE_INFINITY, j < m ? b[j]! : Number.POSITIVE_INFINITY);
    while (i < n && a[i] === v) i++;
    while (j < m && b[j] === v) j++;
    h = Math.max(h, Math.abs(i * m - j * n));
  }
  return pValueFromH(h, n, m, method);
}

/**
 * KS from two profiles' histograms on the same edges. The binned CDFs are the exact empirical
 * CDFs read at the edges only, so D here is a LOWER bound of the exact D, short of it by at most
 * the largest single-bin share on either side (max over bins of max(refShareᵢ, curShareᵢ)); the
 * p-value uses the true counts n and m, so it is correspondingly an upper bound (conservative).
 */
export function ksFromProfiles(ref: ColumnProfile, cur: ColumnProfile, method: KsMethod = 'auto'): KsResult {
  const hist = profileHistograms(ref, cur);
  const n = sum(hist.ref);
  const m = sum(hist.cur);
  if (n === 0 || m === 0) throw invalidParam(`column '${ref.name}': KS needs values on each side`, ref.name);
  let i = 0;
  let j = 0;
  let h = 0;
  for (let k = 0; k < hist.ref.length; k++) {
    i += hist.ref[k]!;
    j += hist.cur[k]!;
    h = Math.max(h, Math.abs(i * m - j * n));
  }
  return pValueFromH(h, n, m, method);
}
