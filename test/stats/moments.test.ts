import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addValue, emptyMoments, mergeMoments, std, variance } from '../../src/stats/moments.js';

const of = (xs: number[]) => xs.reduce(addValue, emptyMoments());

describe('moments', () => {
  it('computes mean, variance and std of a small array', () => {
    const m = of([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(m.count).toBe(8);
    expect(m.mean).toBe(5);
    expect(m.m2).toBeCloseTo(32, 12);
    expect(variance(m)).toBeCloseTo(4, 12);
    expect(variance(m, true)).toBeCloseTo(32 / 7, 12);
    expect(std(m)).toBeCloseTo(2, 12);
    expect(m.min).toBe(2);
    expect(m.max).toBe(9);
  });

  it('is stable with a large offset (no sum-of-squares cancellation)', () => {
    const m = of([1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16]);
    expect(variance(m, true)).toBeCloseTo(30, 6);
  });

  it('has undefined variance for too few values', () => {
    expect(variance(emptyMoments())).toBeNaN();
    expect(variance(of([3]), true)).toBeNaN();
    expect(variance(of([3]))).toBe(0);
  });

  it('merges exactly (Chan et al.), with empty sides as identities', () => {
    const arr = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 200 });
    fc.assert(
      fc.property(arr, arr, (a, b) => {
        const whole = of([...a, ...b]);
        const merged = mergeMoments(of(a), of(b));
        expect(merged.count).toBe(whole.count);
        expect(merged.min).toBe(whole.min);
        expect(merged.max).toBe(whole.max);
        const n = Math.max(1, whole.count);
        expect(Math.abs(merged.mean - whole.mean)).toBeLessThanOrEqual(1e-9 * 1e6);
        expect(Math.abs(merged.m2 - whole.m2)).toBeLessThanOrEqual(1e-9 * n * 1e12);
      }),
    );
    const m = of([1, 2]);
    expect(mergeMoments(m, emptyMoments())).toEqual(m);
    expect(mergeMoments(emptyMoments(), m)).toEqual(m);
  });
});
