import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binCounts } from '../../../src/stats/drift/bins.js';
import {
  chiSquare,
  chiSquareFromCounts,
  chiSquareFromProfiles,
  chiSquareTest,
} from '../../../src/stats/drift/chisquare.js';
import { categoricalProfile, equalEdges, numericProfile } from './profiles.js';

const letters = fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { minLength: 1, maxLength: 80 });

describe('chi-squared', () => {
  it('reproduces the scipy.stats.chisquare docstring examples', () => {
    // scipy docs: chisquare([16, 18, 16, 14, 12, 12]) → statistic 2.0, pvalue 0.84914503608460956.
    const a = chiSquare([16, 18, 16, 14, 12, 12]);
    expect(a.statistic).toBeCloseTo(2, 14);
    expect(a.pValue).toBeCloseTo(0.84914503608460956, 13);
    expect(a.df).toBe(5);
    // …with f_exp=[16, 16, 16, 16, 16, 8] → statistic 3.5, pvalue 0.62338762774958223.
    const b = chiSquare([16, 18, 16, 14, 12, 12], [16, 16, 16, 16, 16, 8]);
    expect(b.statistic).toBeCloseTo(3.5, 14);
    expect(b.pValue).toBeCloseTo(0.62338762774958223, 13);
  });

  it("builds Evidently's expected counts: reference counts scaled by n_cur / n_ref", () => {
    // Reference 200 rows (a 100, b 60, c 40), current 100 rows (a 30, b 30, c 40): expected
    // = (50, 30, 20); χ² = 20²/50 + 0 + 20²/20 = 28 with df 2, and χ²₂'s sf is e^(−x/2), so
    // p = e^(−14) = 8.315287191035679e-07 (scipy.stats.chisquare([30,30,40],[50,30,20]) agrees).
    const ref = [...Array(100).fill('a'), ...Array(60).fill('b'), ...Array(40).fill('c')];
    const cur = [...Array(30).fill('a'), ...Array(30).fill('b'), ...Array(40).fill('c')];
    const r = chiSquareTest(ref, cur);
    expect(r.statistic).toBeCloseTo(28, 12);
    expect(r.df).toBe(2);
    expect(r.pValue).toBeCloseTo(8.315287191035679e-7, 18);
  });

  it('a category absent from the reference is infinitely unlikely (scipy: inf, p = 0)', () => {
    expect(chiSquareTest(['a', 'b'], ['a', 'c'])).toMatchObject({
      statistic: Number.POSITIVE_INFINITY,
      pValue: 0,
    });
  });

  it('one category on both sides: nothing to test, p = 1', () => {
    expect(chiSquareTest(['a', 'a'], ['a'])).toMatchObject({ statistic: 0, pValue: 1, df: 0 });
  });

  it('is 0 with p = 1 for identical samples, and its p-value lies in [0, 1]', () => {
    fc.assert(
      fc.property(letters, letters, (a, b) => {
        const same = chiSquareTest(a, a);
        expect(same.statistic).toBeCloseTo(0, 12);
        expect(same.pValue).toBeCloseTo(1, 12);
        const r = chiSquareTest(a, b);
        expect(r.pValue).toBeGreaterThanOrEqual(0);
        expect(r.pValue).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe('chi-squared from profiles', () => {
  it('equals the raw test when both top-k lists are exact', () => {
    fc.assert(
      fc.property(letters, letters, (a, b) => {
        const p = chiSquareFromProfiles(categoricalProfile('c', a), categoricalProfile('c', b));
        const raw = chiSquareTest(a, b);
        expect(p.df).toBe(raw.df);
        if (Number.isFinite(raw.statistic)) expect(p.statistic).toBeCloseTo(raw.statistic, 10);
        expect(p.pValue).toBeCloseTo(raw.pValue, 10);
      }),
    );
  });

  it('with truncated top-k, pools untracked categories and never raises the statistic', () => {
    fc.assert(
      fc.property(letters, letters, (a, b) => {
        const p = chiSquareFromProfiles(categoricalProfile('c', a, 2), categoricalProfile('c', b, 2));
        const raw = chiSquareTest(a, b);
        expect(p.statistic).toBeLessThanOrEqual(raw.statistic + 1e-9);
      }),
    );
  });

  it('numeric columns: the raw test on histogram-bin labels, exactly', () => {
    const sample = fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 1, maxLength: 60 });
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const edges = equalEdges(a, 20);
        const p = chiSquareFromProfiles(numericProfile('x', a, edges), numericProfile('x', b, edges));
        // Label each value by its bin (under/overflow included) and run the exact raw test.
        const label = (x: number) => String(binCounts([x], edges).indexOf(1));
        const raw = chiSquareTest(a.map(label), b.map(label));
        if (Number.isFinite(raw.statistic)) expect(p.statistic).toBeCloseTo(raw.statistic, 9);
        expect(p.pValue).toBeCloseTo(raw.pValue, 9);
      }),
    );
  });

  it('counts are scaled the same way from counts directly', () => {
    expect(chiSquareFromCounts([100, 60, 40], [30, 30, 40]).statistic).toBeCloseTo(28, 12);
  });
});
