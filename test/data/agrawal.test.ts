import { describe, expect, it } from 'vitest';
import { groupA, sample } from '../../src/data/generators/agrawal.js';

describe('Agrawal generator', () => {
  it('is reproducible from its seed and differs across seeds', () => {
    expect(sample({ seed: 7, fn: 1 }, 50)).toEqual(sample({ seed: 7, fn: 1 }, 50));
    expect(sample({ seed: 7, fn: 1 }, 5)).not.toEqual(sample({ seed: 8, fn: 1 }, 5));
  });

  it('draws attributes in their documented ranges', () => {
    for (const a of sample({ seed: 1, fn: 2 }, 2000)) {
      expect(a.salary).toBeGreaterThanOrEqual(20_000);
      expect(a.salary).toBeLessThanOrEqual(150_000);
      if (a.salary >= 75_000) expect(a.commission).toBe(0);
      expect(a.age).toBeGreaterThanOrEqual(20);
      expect(a.age).toBeLessThanOrEqual(80);
      expect([0, 1, 2, 3, 4]).toContain(a.elevel);
      expect(a.zipcode).toBeGreaterThanOrEqual(0);
      expect(a.zipcode).toBeLessThanOrEqual(8);
      expect(a.loan).toBeLessThanOrEqual(500_000);
    }
  });

  it('labels with the chosen function (MOA definitions)', () => {
    const base = {
      salary: 60_000,
      commission: 20_000,
      age: 30,
      elevel: 1,
      car: 3,
      zipcode: 2,
      hvalue: 500_000,
      hyears: 25,
      loan: 150_000,
    };
    expect(groupA(base, 1)).toBe(true);
    expect(groupA({ ...base, age: 45 }, 1)).toBe(false);
    expect(groupA(base, 2)).toBe(true);
    expect(groupA({ ...base, salary: 110_000 }, 2)).toBe(false);
    // f7: 2/3·(60k+20k) − 150k/5 − 20k = 3,333 > 0
    expect(groupA(base, 7)).toBe(true);
    expect(groupA({ ...base, loan: 200_000 }, 7)).toBe(false);
    for (const a of sample({ seed: 3, fn: 1 }, 500))
      expect(a.approved).toBe(a.age < 40 || a.age >= 60 ? 1 : 0);
  });

  it('label noise flips about the requested fraction', () => {
    const clean = sample({ seed: 5, fn: 2 }, 5000);
    const noisy = sample({ seed: 5, fn: 2, labelNoise: 0.1 }, 5000);
    // Noise consumes draws, so compare against the true function instead of the clean stream.
    const flipped = noisy.filter((a) => (groupA(a, 2) ? 1 : 0) !== a.approved).length / noisy.length;
    expect(clean.every((a) => (groupA(a, 2) ? 1 : 0) === a.approved)).toBe(true);
    expect(flipped).toBeGreaterThan(0.08);
    expect(flipped).toBeLessThan(0.12);
  });

  it('population shift moves the age distribution', () => {
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const before = mean(sample({ seed: 9, fn: 1 }, 3000).map((a) => a.age));
    const after = mean(sample({ seed: 9, fn: 1, ageShift: 10 }, 3000).map((a) => a.age));
    expect(after - before).toBeGreaterThan(8);
  });
});
