/**
 * Feature binning: each feature's training values are cut into at most `maxBins` quantile bins
 * (one bin per distinct value when there are few). A bin's upper edge is an actual float32 training
 * value, so "bin ≤ b" on training rows is exactly "x <= edge[b]" on any float32 input — the rule
 * onnxruntime's BRANCH_LEQ applies with the same threshold.
 */
import type { Matrix } from '../types.js';

export interface BinnedMatrix {
  rows: number;
  cols: number;
  /** Row-major bin indices (row r, feature f at r * cols + f). */
  bins: Uint8Array;
  /** Per feature, ascending upper edges: bin b holds edges[b-1] < x <= edges[b]. */
  edges: Float64Array[];
}

/** Bins every feature of X (values are rounded to float32 first, as onnxruntime sees them). */
export function binMatrix(X: Matrix, maxBins: number): BinnedMatrix {
  const { rows, cols, data } = X;
  const bins = new Uint8Array(rows * cols);
  const edges: Float64Array[] = [];
  const col = new Float64Array(rows);
  for (let f = 0; f < cols; f++) {
    for (let r = 0; r < rows; r++) col[r] = Math.fround(data[r * cols + f]!);
    const e = quantileEdges(col.slice().sort(), maxBins);
    edges.push(e);
    for (let r = 0; r < rows; r++) bins[r * cols + f] = binOf(e, col[r]!);
  }
  return { rows, cols, bins, edges };
}

/** Upper edges for sorted values: greedy equal-count bins over distinct values. */
export function quantileEdges(sorted: Float64Array, maxBins: number): Float64Array {
  const n = sorted.length;
  const values: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < n; ) {
    const v = sorted[i]!;
    let j = i + 1;
    while (j < n && sorted[j] === v) j++;
    values.push(v);
    counts.push(j - i);
    i = j;
  }
  if (values.length <= maxBins) return Float64Array.from(values);
  const out: number[] = [];
  let restCount = n;
  let restBins = maxBins;
  let acc = 0;
  for (let i = 0; i < values.length; i++) {
    acc += counts[i]!;
    const distinctAfter = values.length - i - 1;
    // Close the bin once it holds its share, or when every remaining value can have its own bin.
    if (acc >= restCount / restBins || distinctAfter < restBins) {
      out.push(values[i]!);
      restCount -= acc;
      restBins--;
      acc = 0;
    }
  }
  return Float64Array.from(out);
}

/** The first bin whose upper edge is ≥ x (the last bin for anything above the largest edge). */
export function binOf(edges: Float64Array, x: number): number {
  let lo = 0;
  let hi = edges.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
