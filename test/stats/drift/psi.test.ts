import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  profileQuantileCuts,
  psi,
  psiBand,
  psiFromCounts,
  psiFromProfiles,
  quantileCuts,
} from '../../../src/stats/drift/psi.js';
import { categoricalProfile, equalEdges, numericProfile } from './profiles.js';

const sample = fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 80 });

describe('PSI', () => {
  it('hand-derived from shares: (25%, 25%, 50%) → (50%, 25%, 25%) = ½·ln 2', () => {
    // (0.50−0.25)·ln(0.50/0.25) + 0 + (0.25−0.50)·ln(0.25/0.50) = 0.25·ln 2 + 0.25·ln 2.
    expect(psiFromCounts([25, 25, 50], [50, 25, 25])).toBeCloseTo(0.5 * Math.LN2, 15);
  });

  it('bins on reference deciles with ±∞ outer edges; empty bins smoothed to 1e-4 as Evidently', () => {
    // Reference 1..100: numpy's linear deciles are 10.9, 20.8, …, 90.1, so each bin holds 10%.
    const cuts = quantileCuts(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(cuts).toHaveLength(9);
    const deciles = [10.9, 20.8, 30.7, 40.6, 50.5, 60.4, 70.3, 80.2, 90.1];
    for (const [i, q] of deciles.entries()) expect(cuts[i]).toBeCloseTo(q, 12);
    // Current 51..150: shares (0,0,0,0,0, .1,.1,.1,.1, .6). Zeros become 1e-4 (the smallest
    // non-zero share 0.1 is > 1e-4), so PSI = 5·(1e-4 − 0.1)·ln(1e-3) + 0.5·ln 6
    // = 4.346303496465605 (replayed in numpy 2.4.6 with np.quantile / np.histogram).
    const ref = Array.from({ length: 100 }, (_, i) => i + 1);
    const cur = Array.from({ length: 100 }, (_, i) => i + 51);
    expect(psi(ref, cur)).toBeCloseTo(4.346303496465605, 12);
  });

  it("uses Evidently's smaller epsilon (min share / 1e6) when a share is ≤ 1e-4", () => {
    const ref = [1, 0, 9999]; // shares 1e-4, 0, 0.9999 → the empty bin gets 1e-4/1e6 = 1e-10
    const cur = [1, 1, 9998];
    const expected =
      (1e-4 - 1e-4) * Math.log(1) +
      (1e-4 - 1e-10) * Math.log(1e-4 / 1e-10) +
      (0.9998 - 0.9999) * Math.log(0.9998 / 0.9999);
    expect(psiFromCounts(ref, cur)).toBeCloseTo(expected, 14);
  });

  it('categorical PSI runs over the union of categories', () => {
    const ref = ['a', 'a', 'b', 'b', 'c', 'c', 'c', 'c'];
    const cur = ['a', 'a', 'a', 'a', 'b', 'b', 'c', 'c'];
    expect(psi(ref, cur)).toBeCloseTo(0.5 * Math.LN2, 15);
  });

  it('bands at 0.1 and 0.25', () => {
    expect(psiBand(0.099)).toBe('stable');
    expect(psiBand(0.1)).toBe('moderate');
    expect(psiBand(0.2499)).toBe('moderate');
    expect(psiBand(0.25)).toBe('significant');
  });

  it('is 0 for identical inputs and ≥ 0 always', () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        expect(psi(a, a)).toBeCloseTo(0, 12);
        expect(psi(a, b)).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});

describe('PSI from profiles', () => {
  it('numeric: equals raw PSI on the cut points chosen from the histogram', () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const edges = equalEdges(a, 20);
        const p = numericProfile('x', a, edges);
        const q = numericProfile('x', b, edges);
        expect(psiFromProfiles(p, q)).toBeCloseTo(psi(a, b, { cuts: profileQuantileCuts(p, q) }), 9);
      }),
    );
  });

  it('numeric: cut points approximate the reference deciles to within a histogram bin', () => {
    const ref = Array.from({ length: 1000 }, (_, i) => i / 10);
    const edges = equalEdges(ref, 20);
    const p = numericProfile('x', ref, edges);
    const cuts = profileQuantileCuts(p, p);
    const deciles = quantileCuts(ref);
    expect(cuts).toHaveLength(9);
    cuts.forEach((c, i) => {
      expect(Math.abs(c - deciles[i]!)).toBeLessThanOrEqual(edges[1]! - edges[0]!);
    });
  });

  it('categorical: equals raw PSI with exact top-k', () => {
    const ref = ['a', 'a', 'b', 'b', 'c', 'c', 'c', 'c'];
    const cur = ['a', 'a', 'a', 'a', 'b', 'b', 'c', 'c'];
    expect(psiFromProfiles(categoricalProfile('c', ref), categoricalProfile('c', cur))).toBeCloseTo(
      psi(ref, cur),
      15,
    );
  });
});
