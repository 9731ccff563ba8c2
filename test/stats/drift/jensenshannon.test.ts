import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  jensenShannon,
  jensenShannonDistance,
  jensenShannonFromProfiles,
} from '../../../src/stats/drift/jensenshannon.js';
import { categoricalProfile, equalEdges, numericProfile } from './profiles.js';

const sample = fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 80 });
const letters = fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 50 });

describe('Jensen–Shannon distance', () => {
  it('reproduces the scipy.spatial.distance.jensenshannon docstring examples', () => {
    expect(jensenShannonDistance([1, 0, 0], [0, 1, 0], 2)).toBeCloseTo(1, 15);
    expect(jensenShannonDistance([1, 0], [0.5, 0.5])).toBeCloseTo(0.46450140402245893, 15);
    expect(jensenShannonDistance([1, 0, 0], [1, 0, 0])).toBe(0);
  });

  it('uses the natural log like Evidently (scipy default): disjoint supports give √ln 2', () => {
    expect(jensenShannonDistance([1, 0], [0, 1])).toBeCloseTo(Math.sqrt(Math.LN2), 15);
  });

  it('categorical: shares over the union of categories', () => {
    // ['a','a','b'] vs ['a','b','b'] → p = (2/3, 1/3), q = (1/3, 2/3);
    // scipy 1.17.1: distance.jensenshannon([2/3, 1/3], [1/3, 2/3]) = 0.23797691540385268.
    expect(jensenShannon(['a', 'a', 'b'], ['a', 'b', 'b'])).toBeCloseTo(0.23797691540385268, 14);
  });

  it("numeric with > 20 reference values: Evidently's Sturges bins over the pooled data", () => {
    // Expected value from Evidently's get_binned_data replayed in numpy 2.4.6 / scipy 1.17.1:
    // bins = np.histogram_bin_edges(concat(ref, cur), 'sturges') (8 bins for 70 values),
    // distance.jensenshannon(np.histogram(ref, bins)[0]/40, np.histogram(cur, bins)[0]/30).
    const ref = Array.from({ length: 40 }, (_, i) => Math.round(((i * 0.37) % 5) * 100) / 100);
    const cur = Array.from({ length: 30 }, (_, i) => Math.round(((i * 0.53) % 5) * 100 + 150) / 100);
    expect(jensenShannon(ref, cur)).toBeCloseTo(0.3704008025962619, 12);
  });

  it('is 0 for identical inputs, symmetric, and within [0, √ln 2] ⊂ [0, 1]', () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        expect(jensenShannon(a, a)).toBeCloseTo(0, 7);
        const ab = jensenShannon(a, b);
        expect(jensenShannon(b, a)).toBeCloseTo(ab, 12);
        expect(ab).toBeGreaterThanOrEqual(0);
        expect(ab).toBeLessThanOrEqual(Math.sqrt(Math.LN2) + 1e-12);
      }),
    );
    fc.assert(
      fc.property(letters, letters, (a, b) => {
        expect(jensenShannon(a, a)).toBeCloseTo(0, 7);
        expect(jensenShannon(b, a)).toBeCloseTo(jensenShannon(a, b), 12);
      }),
    );
  });
});

describe('Jensen–Shannon from profiles', () => {
  it('numeric: equals the raw distance on the same edges', () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const edges = equalEdges(a, 20);
        const p = jensenShannonFromProfiles(numericProfile('x', a, edges), numericProfile('x', b, edges));
        expect(p).toBeCloseTo(jensenShannon(a, b, { edges }), 12);
      }),
    );
  });

  it('categorical: exact with exact top-k, never above the exact value when truncated', () => {
    fc.assert(
      fc.property(letters, letters, (a, b) => {
        const raw = jensenShannon(a, b);
        expect(jensenShannonFromProfiles(categoricalProfile('c', a), categoricalProfile('c', b))).toBeCloseTo(
          raw,
          12,
        );
        const cut = jensenShannonFromProfiles(categoricalProfile('c', a, 1), categoricalProfile('c', b, 1));
        expect(cut).toBeLessThanOrEqual(raw + 1e-12);
      }),
    );
  });
});
