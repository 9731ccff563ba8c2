/**
 * 1-D Wasserstein (earth mover's) distance normalised by the reference standard deviation —
 * Evidently's `wasserstein`: `scipy.stats.wasserstein_distance(ref, cur) / max(np.std(ref), 0.001)`
 * (population std). Drift when ≥ 0.1, i.e. the mass moved a tenth of a reference std on average.
 */
import { invalidParam } from '../../core/errors.js';
import { QuantileSketch } from '../quantiles.js';
import type { ColumnProfile } from '../types.js';
import { finiteNumbers, profileHistograms, type Value } from './bins.js';

/** Evidently's floor on the normaliser, so a constant reference does not divide by zero. */
export const MIN_STD = 0.001;

// Values sorted with their weights normalised to sum 1.
function sortedMasses(values: readonly number[], weights?: readonly number[]): { x: number[]; w: number[] } {
  const idx = values.map((_, i) => i).sort((i, j) => values[i]! - values[j]!);
  const raw = idx.map((i) => (weights ? weights[i]! : 1));
  const total = raw.reduce((s, x) => s + x, 0);
  if (!(total > 0)) throw invalidParam('Wasserstein distance needs positive total weight on each side');
  return { x: idx.map((i) => values[i]!), w: raw.map((x) => x / total) };
}

/** W₁ between two weighted samples = ∫|F_u − F_v| dx, as `scipy.stats.wasserstein_distance`. */
export function wassersteinDistance(
  u: readonly number[],
  v: readonly number[],
  uWeights?: readonly number[],
  vWeights?: readonly number[],
): number {
  const a = sortedMasses(u, uWeights);
  const b = sortedMasses(v, vWeights);
  let i = 0;
  let j = 0;
  let fa = 0;
  let fb = 0;
  let prev = Math.min(a.x[0]!, b.x[0]!);
  let dist = 0;
  // Walk the pooled sorted points; between consecutive ones both CDFs are constant.
  while (i < a.x.length || j < b.x.length) {
    const x = Math.min(a.x[i] ?? Number.POSITIVE_INFINITY, b.x[j] ?? Number.POSITIVE_INFINITY);
    dist += Math.abs(fa - fb) * (x - prev);
    while (i < a.x.length && a.x[i] === x) fa += a.w[i++]!;
    while (j < b.x.length && b.x[j] === x) fb += b.w[j++]!;
    prev = x;
  }
  return dist;
}

/** Population standard deviation (numpy's default `np.std`). */
function populationStd(xs: readonly number[]): number {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, x) => s + (x - mean) * (x - mean), 0) / xs.length);
}

/** Evidently's normalised Wasserstein distance on raw values (missing and non-finite dropped). */
export function wassersteinNormed(ref: readonly Value[], cur: readonly Value[]): number {
  const a = finiteNumbers(ref);
  const b = finiteNumbers(cur);
  if (a.length === 0 || b.length === 0) throw invalidParam('Wasserstein distance needs values on each side');
  return wassersteinDistance(a, b) / Math.max(populationStd(a), MIN_STD);
}

// Bin representatives: midpoints; under/overflow at the middle of [min, first edge] / [last edge, max].
function binnedMasses(p: ColumnProfile, edges: readonly number[], counts: readonly number[]) {
  const k = edges.length - 1;
  const lo = Math.min(p.moments?.min ?? edges[0]!, edges[0]!);
  const hi = Math.max(p.moments?.max ?? edges[k]!, edges[k]!);
  const bounds = [lo, ...edges, hi];
  const x = counts.map((_, i) => (bounds[i]! + bounds[i + 1]!) / 2);
  const width = counts.map((c, i) => (c > 0 ? bounds[i + 1]! - bounds[i]! : 0));
  return { x, w: [...counts], width };
}

const QUANTILE_POINTS = 2000;

/**
 * Normalised Wasserstein from two profiles' quantile sketches, the form profiles are compared in
 * when both carry one: W₁ = ∫₀¹ |F⁻¹(q) − G⁻¹(q)| dq, evaluated at 2000 midpoint quantiles.
 * Each sketch quantile is within its relative accuracy α (1%) of a true order statistic, so the
 * error is at most α·(E|x_ref| + E|x_cur|) plus the midpoint rule's (max − min)/2000, over the
 * reference std — far tighter than binned masses on coarse quantile bins (a bin can span a
 * large share of the range on integer data).
 */
export function wassersteinFromSketches(ref: ColumnProfile, cur: ColumnProfile): number {
  const a = QuantileSketch.fromBase64(ref.sketch!);
  const b = QuantileSketch.fromBase64(cur.sketch!);
  if (a.count === 0 || b.count === 0) return 0;
  let sum = 0;
  for (let i = 0; i < QUANTILE_POINTS; i++) {
    const q = (i + 0.5) / QUANTILE_POINTS;
    sum += Math.abs(a.quantile(q) - b.quantile(q));
  }
  const m = ref.moments;
  const std = m && m.count > 0 ? Math.sqrt(m.m2 / m.count) : 0;
  return sum / QUANTILE_POINTS / Math.max(std, MIN_STD);
}

/**
 * Normalised Wasserstein from two profiles' histograms (same edges), the fallback without sketches, each bin's mass placed at its
 * midpoint, normalised by the reference profile's population std (from `moments`). Moving each
 * side's mass to midpoints shifts W₁ by at most half the widest occupied bin per side, so
 * |result − exact| ≤ `wassersteinProfileErrorBound` = (widest occupied bin, under/overflow spans
 * [min, first edge] / [last edge, max] included) / reference std.
 */
export function wassersteinFromProfiles(ref: ColumnProfile, cur: ColumnProfile): number {
  if (ref.sketch && cur.sketch) return wassersteinFromSketches(ref, cur);
  const h = profileHistograms(ref, cur);
  const a = binnedMasses(ref, h.edges, h.ref);
  const b = binnedMasses(cur, h.edges, h.cur);
  return wassersteinDistance(a.x, b.x, a.w, b.w) / referenceStd(ref, a);
}

/** The bound on |wassersteinFromProfiles − exact normalised distance| stated above. */
export function wassersteinProfileErrorBound(ref: ColumnProfile, cur: ColumnProfile): number {
  const h = profileHistograms(ref, cur);
  const a = binnedMasses(ref, h.edges, h.ref);
  const b = binnedMasses(cur, h.edges, h.cur);
  return Math.max(...a.width, ...b.width) / referenceStd(ref, a);
}

// The profile's exact std when it has moments, else the std of the binned masses.
function referenceStd(p: ColumnProfile, binned: { x: number[]; w: number[] }): number {
  const m = p.moments;
  if (m && m.count > 0) return Math.max(Math.sqrt(m.m2 / m.count), MIN_STD);
  const total = binned.w.reduce((s, x) => s + x, 0);
  const mean = binned.x.reduce((s, x, i) => s + x * binned.w[i]!, 0) / total;
  const v = binned.x.reduce((s, x, i) => s + binned.w[i]! * (x - mean) ** 2, 0) / total;
  return Math.max(Math.sqrt(v), MIN_STD);
}
