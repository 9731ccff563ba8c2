/**
 * Population Stability Index, Σ (cur% − ref%)·ln(cur% / ref%), on REFERENCE-FIXED bins: numeric
 * columns on the reference's quantiles (deciles by default, outer edges ±∞), categorical ones per
 * category. Unlike Evidently (Sturges bins over reference + current pooled) the bins depend on the
 * reference alone, so they can be computed once and stored with the reference profile.
 */
import type { ColumnProfile } from '../types.js';
import {
  alignCounts,
  categoryCounts,
  finiteNumbers,
  isNumericType,
  profileCategoryCounts,
  profileHistograms,
  sum,
  upperBound,
  type Value,
} from './bins.js';

/** Conventional PSI bands (Lewis 1994, Siddiqi 2017): < 0.1 stable, 0.1–0.25 moderate, ≥ 0.25 significant. */
export const PSI_BANDS = { moderate: 0.1, significant: 0.25 } as const;

/** Which conventional band a PSI value falls in. */
export function psiBand(value: number): 'stable' | 'moderate' | 'significant' {
  if (value >= PSI_BANDS.significant) return 'significant';
  return value >= PSI_BANDS.moderate ? 'moderate' : 'stable';
}

// Evidently's `feel_zeroes`: zero shares become min_nonzero/1e6 when min_nonzero ≤ 1e-4, else 1e-4,
// per vector and without renormalising.
function smoothedShares(counts: readonly number[]): number[] {
  const total = sum(counts);
  const shares = counts.map((c) => c / total);
  // A loop, not Math.min(...), so very many categories cannot overflow the call stack.
  let minNonZero = Number.POSITIVE_INFINITY;
  for (const s of shares) if (s > 0 && s < minNonZero) minNonZero = s;
  const eps = minNonZero <= 1e-4 ? minNonZero / 1e6 : 1e-4;
  return shares.map((s) => (s === 0 ? eps : s));
}

/** PSI from aligned reference/current counts, empty bins smoothed as Evidently does. */
export function psiFromCounts(ref: readonly number[], cur: readonly number[]): number {
  const r = smoothedShares(ref);
  const c = smoothedShares(cur);
  let psi = 0;
  for (let i = 0; i < r.length; i++) psi += (c[i]! - r[i]!) * Math.log(c[i]! / r[i]!);
  return psi;
}

/** Interior cut points at the reference's 1/bins … (bins−1)/bins quantiles (numpy's linear rule), deduplicated. */
export function quantileCuts(ref: readonly number[], bins = 10): number[] {
  const x = [...ref].sort((a, b) => a - b);
  const cuts: number[] = [];
  for (let k = 1; k < bins; k++) {
    const h = ((x.length - 1) * k) / bins;
    const lo = Math.floor(h);
    const q = x[lo]! + (h - lo) * ((x[lo + 1] ?? x[lo]!) - x[lo]!);
    if (cuts.length === 0 || q > cuts[cuts.length - 1]!) cuts.push(q);
  }
  return cuts;
}

// Counts per bin (−∞, c₀), [c₀, c₁), …, [c_last, ∞).
function cutCounts(xs: readonly number[], cuts: readonly number[]): number[] {
  const counts = new Array<number>(cuts.length + 1).fill(0);
  for (const x of xs) counts[upperBound(cuts, x)]! += 1;
  return counts;
}

/** Options for raw PSI. */
export interface PsiOptions {
  /** Treat values as numbers (default: true when every non-missing value is a number). */
  numeric?: boolean;
  /** Number of reference-quantile bins (default 10). */
  bins?: number;
  /** Fixed interior cut points instead (e.g. stored with the reference). */
  cuts?: readonly number[];
}

/** PSI on raw values: reference-quantile bins for numbers, categories otherwise. */
export function psi(ref: readonly Value[], cur: readonly Value[], opts: PsiOptions = {}): number {
  const numeric =
    opts.numeric ?? [...ref, ...cur].every((x) => typeof x === 'number' || x instanceof Date || x == null);
  if (!numeric) {
    const c = alignCounts(categoryCounts(ref), categoryCounts(cur));
    return psiFromCounts(c.ref, c.cur);
  }
  const a = finiteNumbers(ref);
  const cuts = opts.cuts ?? quantileCuts(a, opts.bins ?? 10);
  return psiFromCounts(cutCounts(a, cuts), cutCounts(finiteNumbers(cur), cuts));
}

/**
 * Cut points for profile PSI: the histogram edges whose cumulative reference share is nearest to
 * each k/bins, so the merged bins approximate reference quantile bins (each cut within one
 * histogram bin of the true quantile). Only edges with reference mass on both sides are used.
 */
export function profileQuantileCuts(ref: ColumnProfile, cur: ColumnProfile, bins = 10): number[] {
  const h = profileHistograms(ref, cur);
  const total = sum(h.ref);
  // cum[s] = reference share below edges[s] (underflow + bins before s).
  const cum: number[] = [];
  let acc = 0;
  for (let s = 0; s < h.edges.length - 1; s++) {
    acc += h.ref[s]!;
    cum.push(acc / total);
  }
  const cuts = new Set<number>();
  for (let k = 1; k < bins; k++) {
    let best = -1;
    for (let s = 0; s < cum.length; s++) {
      if (cum[s]! <= 0 || cum[s]! >= 1) continue;
      if (best < 0 || Math.abs(cum[s]! - k / bins) < Math.abs(cum[best]! - k / bins)) best = s;
    }
    if (best >= 0) cuts.add(h.edges[best]!);
  }
  return [...cuts].sort((a, b) => a - b);
}

/**
 * PSI from profiles. Categorical: top-k counts (exact when both lists are exact). Numeric: the
 * histogram bins merged at `profileQuantileCuts`, which is exactly `psi(raw, raw, { cuts })`; it
 * differs from PSI on the true reference deciles only through the coarser choice of cut points.
 */
export function psiFromProfiles(ref: ColumnProfile, cur: ColumnProfile, bins = 10): number {
  if (!isNumericType(ref.type)) {
    const c = profileCategoryCounts(ref, cur);
    return psiFromCounts(c.ref, c.cur);
  }
  const h = profileHistograms(ref, cur);
  const cuts = new Set(profileQuantileCuts(ref, cur, bins));
  const r: number[] = [0];
  const c: number[] = [0];
  // Slot s ends at edges[s] (slot 0 is underflow); start a new merged bin after each cut edge.
  for (let s = 0; s < h.ref.length; s++) {
    r[r.length - 1]! += h.ref[s]!;
    c[c.length - 1]! += h.cur[s]!;
    if (s < h.edges.length && cuts.has(h.edges[s]!)) {
      r.push(0);
      c.push(0);
    }
  }
  return psiFromCounts(r, c);
}
