import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeelError } from '../../src/core/errors.js';
import {
  addToHistogram,
  binIndex,
  emptyHistogram,
  mergeHistograms,
  quantileEdges,
} from '../../src/stats/histogram.js';
import { QuantileSketch } from '../../src/stats/quantiles.js';
import type { Histogram } from '../../src/stats/types.js';

const histOf = (edges: number[], xs: number[]): Histogram => xs.reduce(addToHistogram, emptyHistogram(edges));

describe('fixed-edge histogram', () => {
  it('bins with half-open bins, a closed last bin, underflow and overflow', () => {
    const h = histOf([0, 10, 20, 30], [-1, 0, 5, 9.999, 10, 25, 30, 30.0001]);
    expect(h.counts).toEqual([3, 1, 2]);
    expect(h.underflow).toBe(1);
    expect(h.overflow).toBe(1);
    expect(binIndex([0, 1], 1)).toBe(0);
  });

  it('validates edges and refuses NaN', () => {
    for (const bad of [[], [1], [0, 0, 1], [2, 1], [0, Number.NaN], [0, Number.POSITIVE_INFINITY]])
      expect(() => emptyHistogram(bad)).toThrow();
    expect(emptyHistogram([3, 3]).counts).toEqual([0]); // the constant column's single bin
    expect(() => addToHistogram(emptyHistogram([0, 1]), Number.NaN)).toThrow();
  });

  it('merges exactly, associatively and commutatively, when edges match', () => {
    const edges = [-100, -10, 0, 1, 10, 1000];
    const arr = fc.array(fc.double({ min: -2000, max: 2000, noNaN: true }), { maxLength: 100 });
    fc.assert(
      fc.property(arr, arr, arr, (a, b, c) => {
        const union = histOf(edges, [...a, ...b, ...c]);
        expect(
          mergeHistograms(mergeHistograms(histOf(edges, a), histOf(edges, b)), histOf(edges, c)),
        ).toEqual(union);
        expect(
          mergeHistograms(histOf(edges, c), mergeHistograms(histOf(edges, b), histOf(edges, a))),
        ).toEqual(union);
      }),
    );
  });

  it('refuses to merge different edges with INVALID_PARAMETER_VALUE', () => {
    try {
      mergeHistograms(emptyHistogram([0, 1, 2]), emptyHistogram([0, 1, 3]));
      expect.unreachable();
    } catch (e) {
      expect(isKeelError(e) && e.code).toBe('INVALID_PARAMETER_VALUE');
    }
  });
});

describe('quantileEdges', () => {
  const sketchOf = (xs: number[]) => {
    const s = new QuantileSketch();
    for (const x of xs) s.add(x);
    return s;
  };

  it('gives strictly increasing edges from the exact min to the exact max', () => {
    const xs = Array.from({ length: 10_000 }, (_, i) => (i * 37) % 1000);
    const edges = quantileEdges(sketchOf(xs), 10);
    expect(edges).toHaveLength(11);
    expect(edges[0]).toBe(0);
    expect(edges[10]).toBe(999);
    for (let i = 1; i < edges.length; i++) expect(edges[i]!).toBeGreaterThan(edges[i - 1]!);
    expect(Math.abs(edges[5]! - 499)).toBeLessThanOrEqual(5);
  });

  it('dedupes repeated quantiles of a low-cardinality column', () => {
    const edges = quantileEdges(sketchOf(Array.from({ length: 1000 }, (_, i) => i % 3)));
    expect(edges).toEqual([0, edges[1], 2]);
    expect(edges[1]).toBeCloseTo(1, 1);
  });

  it('gives a constant column one closed bin [c, c], and an empty sketch no edges', () => {
    expect(quantileEdges(sketchOf([4.2, 4.2, 4.2]))).toEqual([4.2, 4.2]);
    expect(quantileEdges(new QuantileSketch())).toEqual([]);
    expect(() => quantileEdges(sketchOf([1]), 0)).toThrow();
  });
});
