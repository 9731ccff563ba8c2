import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { zTest, zTestFromCounts, zTestFromProfiles } from '../../../src/stats/drift/ztest.js';
import { categoricalProfile, numericProfile } from './profiles.js';

const binary = fc.array(fc.constantFrom(0, 1), { minLength: 1, maxLength: 200 });

describe('two-proportion z-test', () => {
  it('hand-derived: 50/100 vs 60/100', () => {
    // Pooled P = 110/200 = 0.55; SE = √(0.55·0.45·(1/100 + 1/100)) = √0.00495 = 0.0703562;
    // z = (0.5 − 0.6)/SE = −1.4213381090374024; p = 2·(1 − Φ(1.42134)) = 0.1552184896846841
    // (the last two checked with scipy 1.17.1: 2 * stats.norm.sf(abs(z))).
    const r = zTestFromCounts(50, 100, 60, 100);
    expect(r.statistic).toBeCloseTo(-1.4213381090374024, 13);
    expect(r.pValue).toBeCloseTo(0.1552184896846841, 13);
  });

  it('60/100 vs 40/100: z = 2√2, p = erfc(2)', () => {
    // Pooled P = 0.5; SE = √(0.25·0.02) = √0.005; z = 0.2/√0.005 = 2√2 = 2.8284271247461903.
    const r = zTestFromCounts(60, 100, 40, 100);
    expect(r.statistic).toBeCloseTo(2.8284271247461903, 13);
    // 2·(1 − Φ(2√2)) = erfc(2) = 0.004677734981047266 (A&S Table 7.1).
    expect(r.pValue).toBeCloseTo(0.004677734981047266, 15);
  });

  it('runs on raw values of either kind and with labels in any order', () => {
    const ref = [...Array(50).fill('yes'), ...Array(50).fill('no')];
    const cur = [...Array(60).fill('yes'), ...Array(40).fill('no')];
    expect(zTest(ref, cur).pValue).toBeCloseTo(0.1552184896846841, 13);
    expect(zTest([true, false], [true, true, null]).pValue).toBeGreaterThan(0);
  });

  it('identical constant columns: p = 1 (Evidently special-cases it)', () => {
    expect(zTest(['a', 'a'], ['a'])).toEqual({ statistic: 0, pValue: 1 });
  });

  it('rejects more than two values', () => {
    expect(() => zTest(['a', 'b'], ['c'], 'colour')).toThrow(/'colour'/);
  });

  it('is 0 with p = 1 for identical samples, symmetric in |z|', () => {
    fc.assert(
      fc.property(binary, binary, (a, b) => {
        expect(zTest(a, a).pValue).toBeCloseTo(1, 12);
        const ab = zTest(a, b);
        const ba = zTest(b, a);
        expect(ba.pValue).toBeCloseTo(ab.pValue, 12);
        expect(Math.abs(ba.statistic)).toBeCloseTo(Math.abs(ab.statistic), 12);
      }),
    );
  });

  it('from profiles equals the raw test (exact top-k; numeric 0/1 in separate bins)', () => {
    fc.assert(
      fc.property(binary, binary, (a, b) => {
        const raw = zTest(a, b);
        const s = (xs: number[]) => xs.map(String);
        const cat = zTestFromProfiles(categoricalProfile('y', s(a)), categoricalProfile('y', s(b)));
        const edges = [0, 0.5, 1];
        const num = zTestFromProfiles(numericProfile('y', a, edges), numericProfile('y', b, edges));
        expect(cat.pValue).toBeCloseTo(raw.pValue, 12);
        expect(num.pValue).toBeCloseTo(raw.pValue, 12);
      }),
    );
  });
});
