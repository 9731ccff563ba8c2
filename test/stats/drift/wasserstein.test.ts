import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  wassersteinDistance,
  wassersteinFromProfiles,
  wassersteinNormed,
  wassersteinProfileErrorBound,
} from '../../../src/stats/drift/wasserstein.js';
import { equalEdges, numericProfile } from './profiles.js';

const sample = fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 80 });

describe('Wasserstein distance', () => {
  it('reproduces the scipy.stats.wasserstein_distance docstring examples', () => {
    expect(wassersteinDistance([0, 1, 3], [5, 6, 8])).toBeCloseTo(5, 14);
    expect(wassersteinDistance([0, 1], [0, 1], [3, 1], [2, 2])).toBeCloseTo(0.25, 14);
    expect(
      wassersteinDistance([3.4, 3.9, 7.5, 7.8], [4.5, 1.4], [1.4, 0.9, 3.1, 7.2], [3.2, 3.5]),
    ).toBeCloseTo(4.0781331438047861, 13);
  });

  it("is normalised by the reference's population std, as Evidently's wasserstein", () => {
    // W([0,1,3],[5,6,8]) = 5; np.std([0,1,3]) = √(42/27) = 1.2472191289246473 → 4.0089186286863665.
    expect(wassersteinNormed([0, 1, 3], [5, 6, 8])).toBeCloseTo(4.0089186286863665, 13);
    // scipy 1.17.1: wasserstein_distance(a, b) / np.std(a) = 1.1732142857142858 / 1.1285361093026665.
    const a = [0.3, 1.2, -0.7, 2.5, 0.9, 1.1, -1.4, 0.2];
    const b = [1.3, 2.2, 0.8, 3.1, 1.9, 2.4, 0.1];
    expect(wassersteinNormed(a, b)).toBeCloseTo(1.0395894965551669, 13);
  });

  it('floors the normaliser at 0.001 for a constant reference', () => {
    // W([2,2,2],[2,2,3]) = 1/3, std 0 → divided by 0.001.
    expect(wassersteinNormed([2, 2, 2], [2, 2, 3])).toBeCloseTo(333.33333333333337, 9);
  });

  it('is 0 for identical inputs and symmetric (un-normalised)', () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        expect(wassersteinNormed(a, a)).toBe(0);
        expect(wassersteinDistance(b, a)).toBeCloseTo(wassersteinDistance(a, b), 9);
      }),
    );
  });
});

describe('Wasserstein from profiles', () => {
  it('agrees with the exact normalised distance within the documented bound (bin width / std)', () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const edges = equalEdges(a, 20);
        const p = numericProfile('x', a, edges);
        const q = numericProfile('x', b, edges);
        const bound = wassersteinProfileErrorBound(p, q);
        expect(Math.abs(wassersteinFromProfiles(p, q) - wassersteinNormed(a, b))).toBeLessThanOrEqual(
          bound + 1e-9,
        );
      }),
    );
  });

  it('is tight for 20 bins on smooth data: error well under one bin width', () => {
    const ref = Array.from({ length: 2000 }, (_, i) => Math.sin(i) * 3 + Math.cos(i * 0.7));
    const cur = ref.map((x) => x * 1.1 + 0.4);
    const edges = equalEdges(ref, 20);
    const p = numericProfile('x', ref, edges);
    const q = numericProfile('x', cur, edges);
    const err = Math.abs(wassersteinFromProfiles(p, q) - wassersteinNormed(ref, cur));
    expect(err).toBeLessThan(wassersteinProfileErrorBound(p, q) / 4);
  });
});
