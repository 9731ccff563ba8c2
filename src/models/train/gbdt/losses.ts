/**
 * The three objectives: log loss (binary), softmax cross-entropy (multiclass) and squared error
 * (regression). Scores are row-major N×K (K = 1 except multiclass); gradients and hessians are
 * class-major (class k's N values at k * N) so each tree reads one contiguous column.
 */
import type { Task } from '../types.js';

export interface Objective {
  /** Score columns K. */
  outputs: number;
  /** Initial scores (float32): prior log-odds, log class priors, or the mean. */
  baseScores(y: Float64Array): number[];
  /** Fills grad/hess (length N×K, class-major) at the current scores. */
  gradients(scores: Float64Array, y: Float64Array, grad: Float64Array, hess: Float64Array): void;
  /** Mean loss at the given scores. */
  loss(scores: Float64Array, y: Float64Array): number;
}

/** Probabilities are kept off 0 and 1 when turned into base scores (a class absent from training). */
const P_EPS = 1e-15;

/** log(1 + e^z) without overflow. */
const softplus = (z: number): number => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));

const binary: Objective = {
  outputs: 1,
  baseScores(y) {
    let pos = 0;
    for (let i = 0; i < y.length; i++) pos += y[i]!;
    const p = Math.min(1 - P_EPS, Math.max(P_EPS, pos / y.length));
    return [Math.fround(Math.log(p / (1 - p)))];
  },
  gradients(scores, y, grad, hess) {
    for (let i = 0; i < y.length; i++) {
      const p = 1 / (1 + Math.exp(-scores[i]!));
      grad[i] = p - y[i]!;
      hess[i] = p * (1 - p);
    }
  },
  loss(scores, y) {
    let s = 0;
    for (let i = 0; i < y.length; i++) s += softplus(scores[i]!) - y[i]! * scores[i]!;
    return s / y.length;
  },
};

function multiclass(k: number): Objective {
  const prob = new Float64Array(k);
  return {
    outputs: k,
    baseScores(y) {
      const counts = new Float64Array(k);
      for (let i = 0; i < y.length; i++) counts[y[i]!]! += 1;
      return Array.from(counts, (c) => Math.fround(Math.log(Math.max(P_EPS, c / y.length))));
    },
    gradients(scores, y, grad, hess) {
      const n = y.length;
      for (let i = 0; i < n; i++) {
        const o = i * k;
        let max = -Infinity;
        for (let c = 0; c < k; c++) max = Math.max(max, scores[o + c]!);
        let sum = 0;
        for (let c = 0; c < k; c++) {
          const e = Math.exp(scores[o + c]! - max);
          prob[c] = e;
          sum += e;
        }
        const yi = y[i]!;
        for (let c = 0; c < k; c++) {
          const p = prob[c]! / sum;
          grad[c * n + i] = p - (c === yi ? 1 : 0);
          hess[c * n + i] = p * (1 - p);
        }
      }
    },
    loss(scores, y) {
      let s = 0;
      for (let i = 0; i < y.length; i++) {
        const o = i * k;
        let max = -Infinity;
        for (let c = 0; c < k; c++) max = Math.max(max, scores[o + c]!);
        let sum = 0;
        for (let c = 0; c < k; c++) sum += Math.exp(scores[o + c]! - max);
        s += max + Math.log(sum) - scores[o + y[i]!]!;
      }
      return s / y.length;
    },
  };
}

const squared: Objective = {
  outputs: 1,
  baseScores(y) {
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i]!;
    return [Math.fround(s / y.length)];
  },
  gradients(scores, y, grad, hess) {
    for (let i = 0; i < y.length; i++) {
      grad[i] = scores[i]! - y[i]!;
      hess[i] = 1;
    }
  },
  loss(scores, y) {
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const d = scores[i]! - y[i]!;
      s += d * d;
    }
    return s / y.length;
  },
};

/** The objective for a task (nClasses matters for multiclass only). */
export function objectiveFor(task: Task, nClasses: number): Objective {
  if (task === 'binary') return binary;
  if (task === 'multiclass') return multiclass(nClasses);
  return squared;
}
