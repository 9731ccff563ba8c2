/**
 * Builds `ColumnProfile`s straight from arrays for the drift tests — plain JSON, independent of
 * the profiler classes, so the profile-based drift variants are tested on exactly known inputs.
 */
import { binCounts } from '../../../src/stats/drift/bins.js';
import type { ColumnProfile } from '../../../src/stats/types.js';

/** A numeric profile with a histogram on the given edges. */
export function numericProfile(
  name: string,
  values: readonly number[],
  edges: readonly number[],
): ColumnProfile {
  const xs = values.filter((x) => Number.isFinite(x));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const counts = binCounts(xs, edges);
  return {
    name,
    type: 'float',
    count: values.length,
    missing: values.length - xs.length,
    hll: '',
    distinctEstimate: new Set(xs).size,
    moments: {
      count: xs.length,
      mean,
      m2: xs.reduce((s, x) => s + (x - mean) ** 2, 0),
      min: Math.min(...xs),
      max: Math.max(...xs),
    },
    histogram: {
      edges: [...edges],
      counts: counts.slice(1, -1),
      underflow: counts[0]!,
      overflow: counts[counts.length - 1]!,
    },
  };
}

/** A categorical profile whose top-k keeps at most `cap` categories (exact when all fit). */
export function categoricalProfile(name: string, values: readonly string[], cap = 1000): ColumnProfile {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const items = sorted.slice(0, cap);
  const other = sorted.slice(cap).reduce((s, [, n]) => s + n, 0);
  return {
    name,
    type: 'categorical',
    count: values.length,
    missing: 0,
    hll: '',
    distinctEstimate: counts.size,
    top: { items, other, exact: sorted.length <= cap },
  };
}

/** `bins` equal-width edges spanning the values (widened when they are all equal). */
export function equalEdges(values: readonly number[], bins = 20): number[] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  return Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + ((hi - lo) * i) / bins));
}
