/**
 * Fixed-edge histograms. Reference profiles derive their edges from quantiles once; windows are
 * then binned on those same edges so drift measures (PSI, JS) compare like with like, and two
 * histograms on identical edges merge exactly by adding counts.
 */
import { invalidParam } from '../core/errors.js';
import type { QuantileSketch } from './quantiles.js';
import type { Histogram } from './types.js';

/** Default number of quantile bins for derived edges. */
export const DEFAULT_BINS = 20;

/**
 * Throw unless `edges` are ≥ 2 finite, strictly increasing numbers — or exactly two equal ones,
 * the single closed bin [c, c] a constant column gets.
 */
export function checkEdges(edges: readonly number[]): void {
  if (!Array.isArray(edges) || edges.length < 2)
    throw invalidParam('histogram edges need at least two values', 'edges');
  for (let i = 0; i < edges.length; i++) {
    const e = edges[i];
    if (typeof e !== 'number' || !Number.isFinite(e))
      throw invalidParam('histogram edges must be finite numbers', 'edges');
    if (i > 0 && !(e > edges[i - 1]!) && !(edges.length === 2 && e === edges[0]))
      throw invalidParam('histogram edges must be strictly increasing', 'edges');
  }
}

/** A zeroed histogram on a copy of `edges` (validated). */
export function emptyHistogram(edges: readonly number[]): Histogram {
  checkEdges(edges);
  return {
    edges: [...edges],
    counts: new Array<number>(edges.length - 1).fill(0),
    underflow: 0,
    overflow: 0,
  };
}

/**
 * Bin of `x`: -1 below the first edge, `edges.length - 1` above the last, else i with
 * edges[i] ≤ x < edges[i+1] (the last bin is closed, so x = last edge lands in it). Binary search.
 */
export function binIndex(edges: ArrayLike<number>, x: number): number {
  const last = edges.length - 1;
  if (x < edges[0]!) return -1;
  if (x > edges[last]!) return last;
  let lo = 0;
  let hi = last - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (edges[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Count `x` into `h` in place (below the first edge → underflow, above the last → overflow). */
export function addToHistogram(h: Histogram, x: number): Histogram {
  if (Number.isNaN(x)) throw invalidParam('cannot bin NaN');
  const i = binIndex(h.edges, x);
  if (i < 0) h.underflow++;
  else if (i >= h.counts.length) h.overflow++;
  else h.counts[i]!++;
  return h;
}

/** Sum of two histograms on exactly the same edges (else INVALID_PARAMETER_VALUE); a new object. */
export function mergeHistograms(a: Histogram, b: Histogram): Histogram {
  const same = a.edges.length === b.edges.length && a.edges.every((e, i) => e === b.edges[i]);
  if (!same || a.counts.length !== b.counts.length)
    throw invalidParam('cannot merge histograms with different edges', 'edges');
  const out: Histogram = {
    edges: [...a.edges],
    counts: a.counts.map((c, i) => c + b.counts[i]!),
    underflow: a.underflow + b.underflow,
    overflow: a.overflow + b.overflow,
  };
  if (a.fixed && b.fixed) out.fixed = true;
  return out;
}

/**
 * Edges at the sketch's quantiles 0, 1/bins, …, 1 (the ends are the exact min and max), with
 * repeats dropped so they strictly increase; a constant column yields the one closed bin [c, c].
 * An empty sketch yields [].
 */
export function quantileEdges(sketch: QuantileSketch, bins = DEFAULT_BINS): number[] {
  if (!Number.isInteger(bins) || bins < 1) throw invalidParam('bins must be a positive integer', 'bins');
  if (sketch.count === 0) return [];
  const edges: number[] = [];
  for (let i = 0; i <= bins; i++) {
    const q = sketch.quantile(i / bins);
    if (edges.length === 0 || q > edges[edges.length - 1]!) edges.push(q);
  }
  if (edges.length === 1) edges.push(edges[0]!);
  return edges;
}
