import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import { addCategory, mergeTopK, TopKAccumulator } from '../../src/stats/topk.js';
import type { TopK } from '../../src/stats/types.js';

const topOf = (xs: string[], cap?: number): TopK => {
  const acc = new TopKAccumulator(cap);
  for (const x of xs) addCategory(acc, x);
  return acc.toTopK();
};

describe('top-k categories', () => {
  it('counts exactly under the cap, sorted by count then value', () => {
    expect(topOf(['b', 'a', 'c', 'a', 'b', 'a', 'd'])).toEqual({
      items: [
        ['a', 3],
        ['b', 2],
        ['c', 1],
        ['d', 1],
      ],
      other: 0,
      exact: true,
    });
  });

  it('reports first sightings so the caller hashes each value once', () => {
    const acc = new TopKAccumulator();
    expect([acc.add('x'), acc.add('x'), acc.add('y')]).toEqual([true, false, true]);
  });

  it('switches to Space-Saving past the cap and keeps the heavy hitters', () => {
    const rand = seededRandom(3);
    const heavy: Record<string, number> = { alpha: 0.1, beta: 0.05, gamma: 0.03, delta: 0.02 };
    const truth = new Map<string, number>();
    const xs: string[] = [];
    for (let i = 0; i < 200_000; i++) {
      let v: string | undefined;
      let r = rand();
      for (const [k, p] of Object.entries(heavy)) {
        if (r < p) {
          v = k;
          break;
        }
        r -= p;
      }
      v ??= `rare-${Math.floor(rand() * 50_000)}`;
      xs.push(v);
      truth.set(v, (truth.get(v) ?? 0) + 1);
    }
    const cap = 100;
    const top = topOf(xs, cap);
    expect(top.exact).toBe(false);
    expect(top.items).toHaveLength(cap);
    expect(top.items.slice(0, 4).map(([v]) => v)).toEqual(['alpha', 'beta', 'gamma', 'delta']);
    const minCounter = top.items[top.items.length - 1]![1];
    expect(minCounter).toBeLessThanOrEqual(xs.length / cap);
    for (const [v, c] of top.items.slice(0, 4)) {
      const t = truth.get(v)!;
      expect(c).toBeGreaterThanOrEqual(t); // Space-Saving overestimates…
      expect(c - t).toBeLessThanOrEqual(minCounter); // …by at most the smallest counter
    }
    expect(top.items.reduce((s, [, c]) => s + c, 0) + top.other).toBe(xs.length);
  });

  it('merges exact + exact exactly while the union fits, associatively and commutatively', () => {
    const arr = fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'), { maxLength: 100 });
    fc.assert(
      fc.property(arr, arr, arr, (a, b, c) => {
        const union = topOf([...a, ...b, ...c]);
        expect(mergeTopK(mergeTopK(topOf(a), topOf(b)), topOf(c))).toEqual(union);
        expect(mergeTopK(topOf(c), mergeTopK(topOf(b), topOf(a)))).toEqual(union);
      }),
    );
  });

  it('becomes approximate when a merge overflows the cap, keeping the largest and the total', () => {
    const a = topOf(['x', 'x', 'x', 'y', 'p'], 3);
    const b = topOf(['x', 'z', 'z', 'q'], 3);
    const m = mergeTopK(a, b, 3);
    expect(m.exact).toBe(false);
    expect(m.items).toEqual([
      ['x', 4],
      ['z', 2],
      ['p', 1],
    ]);
    expect(m.other).toBe(2);
    expect(mergeTopK(b, a, 3)).toEqual(m);
  });

  it('round-trips the stored form and keeps counting from it', () => {
    const top = topOf(['a', 'b', 'b']);
    const acc = TopKAccumulator.fromTopK(top);
    expect(acc.toTopK()).toEqual(top);
    acc.add('a');
    acc.add('c');
    expect(acc.toTopK().items).toEqual([
      ['a', 2],
      ['b', 2],
      ['c', 1],
    ]);
    // A stored approximate summary keeps Space-Saving semantics (and the mass outside it).
    const approx = TopKAccumulator.fromTopK({ items: [['a', 5]], other: 7, exact: false }, 2);
    approx.add('b');
    approx.add('c');
    expect(approx.toTopK()).toEqual({
      items: [
        ['a', 5],
        ['c', 2],
      ],
      other: 7,
      exact: false,
    });
  });

  it('rejects malformed stored summaries', () => {
    expect(() =>
      TopKAccumulator.fromTopK({
        items: [
          ['a', 1],
          ['a', 2],
        ],
        other: 0,
        exact: true,
      }),
    ).toThrow();
    expect(() => TopKAccumulator.fromTopK({ items: [['a', -1]], other: 0, exact: true })).toThrow();
    expect(() => TopKAccumulator.fromTopK({ items: [], other: -1, exact: true })).toThrow();
    expect(() => new TopKAccumulator(0)).toThrow();
  });
});
