/**
 * Jensen–Shannon DISTANCE (the square root of the divergence), as Evidently's `jensenshannon`:
 * `scipy.spatial.distance.jensenshannon(ref%, cur%)` with scipy's default natural log, so values
 * lie in [0, √ln 2 ≈ 0.833]. Drift when ≥ 0.1.
 */
import type { ColumnProfile } from '../types.js';
import {
  alignCounts,
  binCounts,
  categoryCounts,
  finiteNumbers,
  profileCounts,
  sturgesEdges,
  sum,
  type Value,
} from './bins.js';

/** JS distance between two (unnormalised) distributions, as scipy's `jensenshannon(p, q, base)`. */
export function jensenShannonDistance(p: readonly number[], q: readonly number[], base?: number): number {
  const sp = sum(p);
  const sq = sum(q);
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]! / sp;
    const b = (q[i] ?? 0) / sq;
    const m = (a + b) / 2;
    // rel_entr(x, m) = x·ln(x/m), and 0 when x = 0 (the JS divergence is defined with zeros).
    if (a > 0) js += a * Math.log(a / m);
    if (b > 0) js += b * Math.log(b / m);
  }
  if (base !== undefined) js /= Math.log(base);
  return Math.sqrt(Math.max(0, js / 2));
}

/** Options for raw JS: numeric binning (Evidently's rule by default) or fixed edges. */
export interface JensenShannonOptions {
  /** Treat values as numbers (default: true when every non-missing value is a number). */
  numeric?: boolean;
  /** Fixed bin edges (under/overflow get their own bins); default as Evidently, see `jensenShannon`. */
  edges?: readonly number[];
}

/**
 * JS distance on raw values. Categorical (or numeric with ≤ 20 distinct reference values): one bin
 * per value over the union. Numeric otherwise: equal-width Sturges bins over the pooled data
 * (Evidently's `get_binned_data`), or the given `edges`.
 */
export function jensenShannon(
  ref: readonly Value[],
  cur: readonly Value[],
  opts: JensenShannonOptions = {},
): number {
  const numeric =
    opts.numeric ?? [...ref, ...cur].every((x) => typeof x === 'number' || x instanceof Date || x == null);
  if (numeric) {
    const a = finiteNumbers(ref);
    const b = finiteNumbers(cur);
    if (opts.edges || new Set(a).size > 20) {
      const edges = opts.edges ?? sturgesEdges([...a, ...b]);
      return jensenShannonDistance(binCounts(a, edges), binCounts(b, edges));
    }
  }
  const c = alignCounts(categoryCounts(ref), categoryCounts(cur));
  return jensenShannonDistance(c.ref, c.cur);
}

/**
 * JS distance from profiles: top-k counts for categorical columns (exact when both lists are
 * exact), histogram bins incl. under/overflow for numeric ones — equal to `jensenShannon` with
 * `edges` = the profile's edges. Binning only merges mass, so by the data-processing inequality
 * the value never exceeds the JS distance of any finer binning (or of the exact categories when a
 * truncated top-k pools the rest into "(other)"); how far below depends on the distributions.
 */
export function jensenShannonFromProfiles(ref: ColumnProfile, cur: ColumnProfile): number {
  const c = profileCounts(ref, cur);
  return jensenShannonDistance(c.ref, c.cur);
}
