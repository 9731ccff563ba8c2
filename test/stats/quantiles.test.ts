import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import {
  histogramFromSketch,
  QUANTILE_RELATIVE_ACCURACY,
  QuantileSketch,
} from '../../src/stats/quantiles.js';

/** The order statistic DDSketch targets: sorted[⌊q·(n−1)⌋]. */
const exactQuantile = (sorted: number[], q: number): number => sorted[Math.floor(q * (sorted.length - 1))]!;
const QS = [0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1];
const sketchOf = (xs: readonly number[]): QuantileSketch => {
  const s = new QuantileSketch();
  for (const x of xs) s.add(x);
  return s;
};
/** Relative accuracy; magnitudes below ~1e-308 share DDSketch's zero bin (absolute error < 1e-307). */
const withinAccuracy = (est: number, exact: number): boolean =>
  Math.abs(est - exact) <= QUANTILE_RELATIVE_ACCURACY * Math.abs(exact) * (1 + 1e-9) + 1e-307;

/** Non-empty bins as [value, count] pairs: the sketch's content, whatever its memory layout. */
const binsOf = (s: QuantileSketch): [number, number][] => {
  const out: [number, number][] = [];
  s.forEachBin((v, c) => out.push([v, c]));
  return out;
};

describe('QuantileSketch (DDSketch, 1 % relative accuracy)', () => {
  it('answers quantiles within 1 % of the exact ones, negatives included', () => {
    const rand = seededRandom(7);
    const dists: Record<string, () => number> = {
      uniform: () => rand() * 1000,
      lognormal: () => Math.exp(4 * (rand() + rand() + rand() - 1.5)),
      mixedSign: () => (rand() - 0.7) * 1e4,
      negative: () => -1 - rand() * 50,
      integers: () => Math.floor(rand() * 20) - 10,
    };
    for (const [name, gen] of Object.entries(dists)) {
      const xs = Array.from({ length: 50_000 }, gen);
      const s = sketchOf(xs);
      const sorted = [...xs].sort((a, b) => a - b);
      for (const q of QS) {
        const est = s.quantile(q);
        const exact = exactQuantile(sorted, q);
        expect(withinAccuracy(est, exact), `${name} q=${q}: ${est} vs ${exact}`).toBe(true);
      }
      expect(s.quantile(0)).toBe(sorted[0]);
      expect(s.quantile(1)).toBe(sorted[sorted.length - 1]);
      expect(s.count).toBe(xs.length);
    }
  });

  it('estimates the CDF from its bins', () => {
    const xs = Array.from({ length: 10_000 }, (_, i) => i - 2000);
    const s = sketchOf(xs);
    for (const x of [-1500, -1, 0, 1, 100, 5000, 7999]) {
      const exact = xs.filter((v) => v <= x).length / xs.length;
      // Only values within 1 % of x can fall on the wrong side.
      const slack = xs.filter((v) => Math.abs(v - x) <= 0.0101 * Math.abs(x)).length / xs.length;
      expect(Math.abs(s.cdf(x) - exact)).toBeLessThanOrEqual(slack + 1e-12);
    }
    expect(s.cdf(-1e9)).toBe(0);
    expect(s.cdf(1e9)).toBe(1);
    expect(new QuantileSketch().cdf(0)).toBeNaN();
  });

  it('merges bin for bin into the sketch of the union (the library merge drops negatives; ours does not)', () => {
    const neg = sketchOf([1]).merge(sketchOf([-5, -6]));
    expect([neg.count, neg.quantile(0), neg.cdf(0)]).toEqual([3, -6, 2 / 3]);
    const arr = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 200 });
    fc.assert(
      fc.property(arr, arr, arr, (a, b, c) => {
        const union = sketchOf([...a, ...b, ...c]);
        const left = sketchOf(a).merge(sketchOf(b)).merge(sketchOf(c));
        const right = sketchOf(c).merge(sketchOf(b).merge(sketchOf(a)));
        for (const m of [left, right]) {
          expect(binsOf(m)).toEqual(binsOf(union));
          expect(m.toBase64()).toBe(union.toBase64());
          expect(m.count).toBe(union.count);
          for (const q of QS) expect(m.quantile(q)).toBe(union.quantile(q));
        }
        const all = [...a, ...b, ...c].sort((x, y) => x - y);
        if (all.length > 0)
          for (const q of QS) expect(withinAccuracy(left.quantile(q), exactQuantile(all, q))).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('round-trips through base64 canonically (same bins → same string), tiny and huge values included', () => {
    const xs = [0, -0, 1e-300, -1e-300, 5e-324, 1e300, -1e300, 1, -1, 3.5, 3.5, 42];
    const s = sketchOf(xs);
    const b64 = s.toBase64();
    const back = QuantileSketch.fromBase64(b64);
    expect(back.toBase64()).toBe(b64);
    expect(binsOf(back)).toEqual(binsOf(s));
    expect([back.count, back.min, back.max]).toEqual([s.count, -1e300, 1e300]);
    for (const q of QS) expect(back.quantile(q)).toBe(s.quantile(q));
    const empty = QuantileSketch.fromBase64(new QuantileSketch().toBase64());
    expect(empty.count).toBe(0);
    expect(empty.quantile(0.5)).toBeNaN();
    // A decoded sketch keeps merging.
    back.merge(sketchOf([7]));
    expect(back.count).toBe(xs.length + 1);
    // Compact: 50k uniform values in about 600 bins take a few KiB.
    expect(sketchOf(Array.from({ length: 50_000 }, (_, i) => i)).toBase64().length).toBeLessThan(4096);
  });

  it('rejects non-finite values, bad quantiles, mismatched accuracy and corrupt data', () => {
    const s = new QuantileSketch();
    expect(() => s.add(Number.NaN)).toThrow();
    expect(() => s.add(Number.POSITIVE_INFINITY)).toThrow();
    expect(() => s.quantile(1.5)).toThrow();
    expect(() => s.merge(new QuantileSketch(0.02))).toThrow(/accuracy/);
    expect(() => QuantileSketch.fromBase64('AAAA')).toThrow();
    expect(() => QuantileSketch.fromBase64(`${sketchOf([1, 2]).toBase64()}AA`)).toThrow();
  });

  it('turns into a histogram whose counts sum to the total', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => i);
    const h = histogramFromSketch(sketchOf(xs), [0, 100, 500, 900]);
    expect(h.underflow).toBe(0);
    expect(h.overflow + h.counts.reduce((a, b) => a + b)).toBe(1000);
    // Within the accuracy around each edge: 0.01·edge values either side.
    const exact = [100, 400, 401];
    for (const [i, c] of h.counts.entries()) expect(Math.abs(c - exact[i]!)).toBeLessThanOrEqual(10);
    expect(Math.abs(h.overflow - 99)).toBeLessThanOrEqual(10);
  });
});
