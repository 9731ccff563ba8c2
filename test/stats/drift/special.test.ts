import { describe, expect, it } from 'vitest';
import {
  chiSquareSf,
  erfc,
  gammaP,
  gammaQ,
  kolmogorovSf,
  ksAsymptoticSf,
  ksExactSf,
  logGamma,
  normalCdf,
} from '../../../src/stats/drift/special.js';

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

describe('erfc and the normal CDF', () => {
  it('match tabulated values (Abramowitz & Stegun Table 7.1; scipy.special.erfc)', () => {
    expect(rel(erfc(1), 0.15729920705028513)).toBeLessThan(1e-13);
    expect(rel(erfc(0.5), 0.4795001221869535)).toBeLessThan(1e-13);
    expect(rel(erfc(2), 0.004677734981047266)).toBeLessThan(1e-13);
    // Deep tail keeps relative accuracy (1 − erf would have lost every digit).
    expect(rel(erfc(5), 1.5374597944280349e-12)).toBeLessThan(1e-12);
    expect(erfc(0)).toBe(1);
    expect(erfc(-1)).toBeCloseTo(2 - 0.15729920705028513, 14);
  });

  it('Φ(1.96) = 0.975002, Φ(1.644854) = 0.95, Φ(−8) = 6.221e-16 (standard normal tables; scipy.stats.norm.cdf)', () => {
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021048517795, 14);
    expect(normalCdf(1.6448536269514722)).toBeCloseTo(0.95, 14);
    expect(normalCdf(0)).toBe(0.5);
    expect(rel(normalCdf(-8), 6.22096057427178e-16)).toBeLessThan(1e-10);
  });
});

describe('gamma functions and the chi-squared survival function', () => {
  it('log Γ matches closed forms: Γ(1/2) = √π, Γ(5) = 24, Γ(1) = 1', () => {
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 14);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 13);
    expect(logGamma(1)).toBeCloseTo(0, 14);
  });

  it('P + Q = 1 and P(1, x) = 1 − e^(−x)', () => {
    for (const [a, x] of [
      [1, 0.3],
      [2.5, 4],
      [10, 3],
      [10, 30],
      [500, 480],
    ] as const) {
      expect(gammaP(a, x) + gammaQ(a, x)).toBeCloseTo(1, 13);
    }
    expect(gammaP(1, 0.7)).toBeCloseTo(1 - Math.exp(-0.7), 14);
  });

  it('critical values of χ² tables give their p-values (e.g. 3.841 at df 1 → 0.05)', () => {
    // Critical values: standard χ² table, to full precision as scipy.stats.chi2.ppf gives them.
    expect(chiSquareSf(3.841458820694124, 1)).toBeCloseTo(0.05, 12);
    expect(chiSquareSf(6.6348966010212145, 1)).toBeCloseTo(0.01, 12);
    expect(chiSquareSf(5.991464547107979, 2)).toBeCloseTo(0.05, 12);
    expect(chiSquareSf(7.814727903251179, 3)).toBeCloseTo(0.05, 12);
    expect(chiSquareSf(18.307038053275146, 10)).toBeCloseTo(0.05, 12);
    // df = 2 is exactly exponential: sf(x) = e^(−x/2).
    expect(chiSquareSf(28, 2)).toBeCloseTo(Math.exp(-14), 18);
  });
});

describe('Kolmogorov distribution', () => {
  it('matches the classical table (Smirnov 1948): K₀.₁₀ = 1.2238, K₀.₀₅ = 1.3581, K₀.₀₁ = 1.6276', () => {
    expect(kolmogorovSf(1.2238)).toBeCloseTo(0.1, 4);
    expect(kolmogorovSf(1.3581)).toBeCloseTo(0.05, 5);
    expect(kolmogorovSf(1.6276)).toBeCloseTo(0.01, 5);
    // scipy.stats.kstwobign.sf: Q(1.36) = 0.04948588, Q(1) = 0.26999967, Q(0.5) = 0.96394524.
    expect(kolmogorovSf(1.36)).toBeCloseTo(0.04948588, 7);
    expect(kolmogorovSf(1)).toBeCloseTo(0.26999967, 7);
    expect(kolmogorovSf(0.5)).toBeCloseTo(0.96394524, 7);
  });

  it('is continuous where the two series switch (λ = 1.18)', () => {
    expect(Math.abs(kolmogorovSf(1.18 - 1e-9) - kolmogorovSf(1.18))).toBeLessThan(1e-8);
  });

  it("asymptotic two-sample p-value is within 0.3% of modern scipy's ks_2samp(method='asymp') at large n", () => {
    // scipy 1.17.1: stats.kstwo.sf(d, round(n·m/(n+m))), what ks_2samp(method='asymp') computes.
    expect(rel(ksAsymptoticSf(0.04, 2000, 3000), 0.041827805318862876)).toBeLessThan(3e-3);
    expect(rel(ksAsymptoticSf(0.045, 1000, 20000), 0.041035719005384386)).toBeLessThan(3e-3);
    expect(rel(ksAsymptoticSf(0.03, 5000, 5000), 0.02176705196743979)).toBeLessThan(3e-3);
  });
});

describe('exact two-sample KS distribution', () => {
  // Brute force: every way to place the n reference points among the n+m pooled ranks is equally
  // likely under H0; count the placements whose D·n·m reaches h.
  function bruteForce(h: number, n: number, m: number): number {
    let hits = 0;
    let total = 0;
    for (let mask = 0; mask < 1 << (n + m); mask++) {
      let bits = 0;
      for (let b = mask; b; b &= b - 1) bits++;
      if (bits !== n) continue;
      total++;
      let i = 0;
      let j = 0;
      let d = 0;
      for (let k = 0; k < n + m; k++) {
        if (mask & (1 << k)) i++;
        else j++;
        d = Math.max(d, Math.abs(i * m - j * n));
      }
      if (d >= h) hits++;
    }
    return hits / total;
  }

  it('equals exhaustive enumeration for every n, m ≤ 6 and every h', () => {
    for (let n = 1; n <= 6; n++) {
      for (let m = 1; m <= 6; m++) {
        for (let h = 1; h <= n * m; h++) expect(ksExactSf(h, n, m)).toBeCloseTo(bruteForce(h, n, m), 12);
      }
    }
  });

  it('disjoint samples of 3 and 3: p = 2 / C(6,3) = 0.1 (scipy.stats.ks_2samp([1,2,3],[4,5,6]).pvalue)', () => {
    expect(ksExactSf(9, 3, 3)).toBeCloseTo(0.1, 15);
    expect(ksExactSf(25, 5, 5)).toBeCloseTo(2 / 252, 15);
  });
});
