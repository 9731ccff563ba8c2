import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ksFromProfiles, ksPValue, ksTest } from '../../../src/stats/drift/ks.js';
import { equalEdges, numericProfile } from './profiles.js';

const sample = fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 60 });

describe('two-sample KS on raw values', () => {
  it('matches scipy.stats.ks_2samp on disjoint samples: D = 1, p = 2/C(n+m, n)', () => {
    expect(ksTest([1, 2, 3], [4, 5, 6])).toEqual({
      statistic: 1,
      pValue: expect.closeTo(0.1, 14),
      method: 'exact',
    });
    expect(ksTest([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).pValue).toBeCloseTo(0.007936507936507936, 15);
  });

  // x, y and the expected values: scipy 1.17.1, stats.ks_2samp(x, y, method='exact' | 'asymp').
  const x = [
    0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64, 0.05, -0.06, 0.64, -0.82, 0.37, 1.77, 1.09,
    -1.28, 2.36, 1.31, 1.05, -0.32, -0.4, 1.06, -2.47,
  ];
  const y = [2.2, 1.9, 0.3, 1.1, 0.8, 2.9, 1.4, 0.2, 1.7, 2.5, 0.9, 1.3, 0.1, 2.1, 1.6];

  it('matches scipy on a 25 vs 15 sample: D = 0.52, exact p = 0.008088735834261476', () => {
    const r = ksTest(x, y);
    expect(r.statistic).toBeCloseTo(0.52, 15);
    expect(r.method).toBe('exact');
    expect(r.pValue).toBeCloseTo(0.008088735834261476, 14);
  });

  it("asymptotic p-value is Stephens' formula: kstwobign.sf((√nₑ + 0.12 + 0.11/√nₑ)·D) = 0.0073992067", () => {
    // scipy 1.17.1: stats.kstwobign.sf(1.6732497745806922) with nₑ = 25·15/40 = 9.375, D = 0.52.
    // (scipy's own ks_2samp(method='asymp') gives 0.008656 here: it uses kstwo.sf(D, round(nₑ)).)
    expect(ksTest(x, y, 'asymp').pValue).toBeCloseTo(0.007399206706480864, 12);
    expect(ksPValue(0.52, 25, 15, 'asymp')).toBeCloseTo(0.007399206706480864, 12);
  });

  it('computes D on ties as scipy does: [1,1,2,2,3] vs [2,3,3,4,4,4] → D = 0.6333, p = 0.177489', () => {
    // scipy 1.17.1: stats.ks_2samp([1,1,2,2,3], [2,3,3,4,4,4], method='exact').
    const r = ksTest([1, 1, 2, 2, 3], [2, 3, 3, 4, 4, 4]);
    expect(r.statistic).toBeCloseTo(0.6333333333333333, 15);
    expect(r.pValue).toBeCloseTo(0.17748917748917747, 14);
  });

  it('matches scipy at Evidently-typical sizes, 1000 vs 10 000 (exact path count, and asymptotic)', () => {
    // scipy 1.17.1: a = np.sin(np.arange(1000)), b = np.sin(np.arange(10000) * 1.3) + 0.01;
    // ks_2samp(a, b, method='exact') → D 0.045, p 0.04910351938355906;
    // ks_2samp(a, b, method='asymp') → p 0.048845666000177146 (kstwo; Stephens' formula is within 0.02%).
    const a = Array.from({ length: 1000 }, (_, i) => Math.sin(i));
    const b = Array.from({ length: 10000 }, (_, i) => Math.sin(i * 1.3) + 0.01);
    const exact = ksTest(a, b);
    expect(exact).toMatchObject({ statistic: 0.045, method: 'exact' });
    expect(exact.pValue).toBeCloseTo(0.04910351938355906, 13);
    const asymp = ksTest(a, b, 'asymp').pValue;
    expect(Math.abs(asymp - 0.048845666000177146) / 0.048845666000177146).toBeLessThan(2e-4);
  });

  it('drops missing and non-finite values', () => {
    expect(ksTest([1, null, 2, Number.NaN, 3, Number.POSITIVE_INFINITY], [4, 5, undefined, 6])).toEqual(
      ksTest([1, 2, 3], [4, 5, 6]),
    );
  });

  it('is 0 with p = 1 for identical samples, and symmetric', () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        expect(ksTest(a, a)).toMatchObject({ statistic: 0, pValue: 1 });
        const ab = ksTest(a, b);
        const ba = ksTest(b, a);
        expect(ba.statistic).toBe(ab.statistic);
        expect(ba.pValue).toBeCloseTo(ab.pValue, 12);
        expect(ab.pValue).toBeGreaterThanOrEqual(0);
        expect(ab.pValue).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe('KS from profiles', () => {
  it('D is a lower bound of the exact D, short by at most the largest bin share', () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const edges = equalEdges(a);
        const p = numericProfile('x', a, edges);
        const q = numericProfile('x', b, edges);
        const exact = ksTest(a, b);
        const binned = ksFromProfiles(p, q);
        const shares = (prof: typeof p, n: number) => {
          const h = prof.histogram!;
          return [h.underflow, ...h.counts, h.overflow].map((c) => c / n);
        };
        const maxShare = Math.max(...shares(p, a.length), ...shares(q, b.length));
        expect(binned.statistic).toBeLessThanOrEqual(exact.statistic + 1e-12);
        expect(exact.statistic).toBeLessThanOrEqual(binned.statistic + maxShare + 1e-12);
        // Same counts, smaller-or-equal D: the p-value can only be larger (conservative).
        expect(binned.pValue).toBeGreaterThanOrEqual(exact.pValue - 1e-12);
      }),
    );
  });

  it('throws invalidParam naming the column when the edges differ', () => {
    const p = numericProfile('age', [1, 2, 3], [0, 2, 4]);
    const q = numericProfile('age', [1, 2, 3], [0, 1, 4]);
    expect(() => ksFromProfiles(p, q)).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
    expect(() => ksFromProfiles(p, q)).toThrow(/'age'/);
  });
});
