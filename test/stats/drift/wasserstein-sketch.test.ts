import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src/core/random.js';
import { wassersteinFromProfiles, wassersteinNormed } from '../../../src/stats/drift/index.js';
import { ColumnProfiler } from '../../../src/stats/profile.js';
import type { ColumnType } from '../../../src/stats/types.js';

function profile(values: number[], type: ColumnType, edges?: number[]) {
  const p = new ColumnProfiler('x', type, edges ? { edges } : {});
  for (const v of values) p.add(v);
  return p.finish();
}

/**
 * Profiles carry quantile sketches, so Wasserstein is computed on ~2000 quantiles rather than on
 * 20 coarse bins: on integer data with few values a bin spans a large share of the range, and the
 * binned estimate would report drift between two samples of the same distribution.
 */
describe('Wasserstein from profiles (quantile sketches) vs the exact raw statistic', () => {
  const rnd = seededRandom(42);
  const ints = (n: number, lo: number, hi: number) =>
    Array.from({ length: n }, () => lo + Math.floor(rnd() * (hi - lo + 1)));
  const normal = (n: number, mu: number, sd: number) =>
    Array.from(
      { length: n },
      () => mu + sd * Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd()),
    );

  it.each([
    ['same uniform integers 0..8 (zipcode)', ints(20000, 0, 8), ints(20000, 0, 8), 'integer'],
    ['uniform integers shifted by 2', ints(20000, 0, 8), ints(20000, 2, 10), 'integer'],
    ['same normal', normal(20000, 50, 10), normal(20000, 50, 10), 'float'],
    ['normal, mean +0.5 sd', normal(20000, 50, 10), normal(20000, 55, 10), 'float'],
    ['normal, sd × 2', normal(20000, 50, 10), normal(20000, 50, 20), 'float'],
  ] as const)('%s', (_name, ref, cur, type) => {
    const exact = wassersteinNormed([...ref], [...cur]);
    const r = profile([...ref], type);
    // The current side on the reference's edges, as `keel data add` profiles a new version.
    const c = profile([...cur], type, r.histogram!.edges);
    const approx = wassersteinFromProfiles(r, c);
    expect(Math.abs(approx - exact)).toBeLessThan(0.01 + 0.02 * exact);
    // Same-distribution samples stay far below Evidently's 0.1 threshold.
    if (_name.startsWith('same')) expect(approx).toBeLessThan(0.05);
  });
});
