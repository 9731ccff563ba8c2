/** Synthetic, learnable datasets for the GBDT tests (float32 values, seeded). */
import { seededRandom } from '../../../src/core/random.js';
import type { Matrix } from '../../../src/models/train/types.js';

export interface Dataset {
  X: Matrix;
  y: Float64Array;
}

/**
 * F features uniform in [-3, 3]; the target depends on features 0–2 only, through interactions and
 * thresholds a tree ensemble can learn. `noise` flips that fraction of class labels (or adds
 * Gaussian-ish noise of that scale for regression).
 */
export function synthetic(
  task: 'binary' | 'multiclass' | 'regression',
  rows: number,
  opts: { seed?: number; features?: number; noise?: number } = {},
): Dataset {
  const rnd = seededRandom(opts.seed ?? 7);
  const F = opts.features ?? 6;
  const noise = opts.noise ?? 0;
  const data = new Float64Array(rows * F);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < F; f++) data[r * F + f] = Math.fround(rnd() * 6 - 3);
    const a = data[r * F]!;
    const b = data[r * F + 1]!;
    const c = data[r * F + 2]!;
    const z = a * b + Math.sin(2 * c) + (a > 1 ? 1.5 : 0);
    if (task === 'regression') {
      y[r] = z + noise * (rnd() + rnd() - 1);
    } else {
      let label = task === 'binary' ? (z > 0.3 ? 1 : 0) : z < -0.8 ? 0 : z < 0.9 ? 1 : 2;
      if (rnd() < noise)
        label = (label + 1 + Math.floor(rnd() * (task === 'binary' ? 1 : 2))) % (task === 'binary' ? 2 : 3);
      y[r] = label;
    }
  }
  return { X: { rows, cols: F, data }, y };
}

/** The first `n` rows and the rest. */
export function split(d: Dataset, n: number): [Dataset, Dataset] {
  const F = d.X.cols;
  const part = (from: number, to: number): Dataset => ({
    X: { rows: to - from, cols: F, data: d.X.data.slice(from * F, to * F) },
    y: d.y.slice(from, to),
  });
  return [part(0, n), part(n, d.X.rows)];
}

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Row-wise softmax of an N×K score matrix. */
export function softmax(raw: Float64Array, k: number): Float64Array {
  const out = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i += k) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, raw[i + c]!);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(raw[i + c]! - max);
    for (let c = 0; c < k; c++) out[i + c] = Math.exp(raw[i + c]! - max) / sum;
  }
  return out;
}

/** Index of the first maximum of each row of an N×K matrix. */
export function argmaxRows(m: ArrayLike<number>, k: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < m.length; i += k) {
    let best = 0;
    for (let c = 1; c < k; c++) if (m[i + c]! > m[i + best]!) best = c;
    out.push(best);
  }
  return out;
}
