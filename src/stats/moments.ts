/**
 * Streaming moments: Welford's update for one value, Chan et al.'s pairwise formula to merge two
 * summaries. Both are numerically stable (no sum-of-squares cancellation) and the merge is exact
 * up to floating-point rounding, so windows and replicas combine into the whole-data moments.
 */
import type { Moments } from './types.js';

/** Moments of nothing (min/max are ±Infinity until a value arrives; not JSON-safe until then). */
export const emptyMoments = (): Moments => ({
  count: 0,
  mean: 0,
  m2: 0,
  min: Number.POSITIVE_INFINITY,
  max: Number.NEGATIVE_INFINITY,
});

/** Add one finite value in place (Welford) and return `m`; in place so the hot path allocates nothing. */
export function addValue(m: Moments, x: number): Moments {
  const n = m.count + 1;
  const delta = x - m.mean;
  const mean = m.mean + delta / n;
  m.m2 += delta * (x - mean);
  m.mean = mean;
  m.count = n;
  if (x < m.min) m.min = x;
  if (x > m.max) m.max = x;
  return m;
}

/** Moments of the union of two summaries (Chan, Golub & LeVeque 1979); a new object. */
export function mergeMoments(a: Moments, b: Moments): Moments {
  if (b.count === 0) return { ...a };
  if (a.count === 0) return { ...b };
  const n = a.count + b.count;
  const delta = b.mean - a.mean;
  // Anchor on the larger side: its mean moves least, so the correction term carries the least rounding.
  const mean = a.count >= b.count ? a.mean + (delta * b.count) / n : b.mean - (delta * a.count) / n;
  return {
    count: n,
    mean,
    m2: a.m2 + b.m2 + ((delta * delta * a.count) / n) * b.count,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
  };
}

/** Population variance (m2/n), or sample variance (m2/(n−1)) when `sample`; NaN when undefined. */
export function variance(m: Moments, sample = false): number {
  const d = sample ? m.count - 1 : m.count;
  return d > 0 ? m.m2 / d : Number.NaN;
}

/** Population standard deviation. */
export const std = (m: Moments, sample = false): number => Math.sqrt(variance(m, sample));
