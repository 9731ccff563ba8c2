/**
 * Linear models over a preprocessed Matrix: logistic regression (binary, and multinomial softmax
 * for more classes) with an L2 penalty, fitted by L-BFGS; and linear regression (ridge) by the
 * normal equations and a Cholesky factorisation. Both are deterministic: same matrix and params,
 * same bits. Penalty conventions are in params.ts.
 *
 * The fitted coefficients are rounded to float32 before the model is returned, because that is what
 * the exported LinearClassifier/LinearRegressor holds; `raw()` then scores with exactly those weights.
 */
import { invalidParam } from '../../core/errors.js';
import type { CoreModel, IterationMetrics, Matrix, Task } from './types.js';

/** A fitted linear model: `outputs` rows of `cols` coefficients (row-major) and intercepts. */
export interface LinearModel extends CoreModel {
  kind: 'logistic' | 'linear';
  cols: number;
  coefficients: Float64Array;
  intercepts: Float64Array;
  /** Optimiser iterations (L-BFGS), 1 for the closed form. */
  iterations: number;
  converged: boolean;
}

/** Scores `X` with float32 weights: N × outputs margins (or predictions). */
function linearRaw(X: Matrix, outputs: number, w: Float64Array, b: Float64Array): Float64Array {
  const { rows, cols, data } = X;
  if (cols * outputs !== w.length) {
    throw invalidParam(`the matrix has ${cols} columns; the model takes ${w.length / outputs}`, 'X');
  }
  const out = new Float64Array(rows * outputs);
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    for (let k = 0; k < outputs; k++) {
      const wk = k * cols;
      let z = b[k]!;
      for (let j = 0; j < cols; j++) z += data[r + j]! * w[wk + j]!;
      out[i * outputs + k] = z;
    }
  }
  return out;
}

function linearModel(
  kind: 'logistic' | 'linear',
  task: Task,
  cols: number,
  outputs: number,
  coefficients: Float64Array,
  intercepts: Float64Array,
  iterations: number,
  converged: boolean,
): LinearModel {
  const w = coefficients.map(Math.fround);
  const b = intercepts.map(Math.fround);
  return {
    kind,
    task,
    outputs,
    cols,
    coefficients: w,
    intercepts: b,
    iterations,
    converged,
    raw: (X) => linearRaw(X, outputs, w, b),
  };
}

export const sigmoid = (z: number): number =>
  z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));

/** Options of `trainLogistic`. */
export interface LogisticOptions {
  l2: number;
  maxIter: number;
  tol: number;
  onIteration?: (m: IterationMetrics) => void;
}

/**
 * The penalised mean log loss of logistic regression and its gradient, over parameters laid out as
 * K blocks of [w_0 … w_{d-1}, b] (K = 1 for binary: the positive class's logit).
 */
export function logisticObjective(
  X: Matrix,
  y: Float64Array,
  nClasses: number,
  l2: number,
): { dim: number; f: (theta: Float64Array, grad: Float64Array) => { objective: number; loss: number } } {
  const { rows: n, cols: d } = X;
  const K = nClasses === 2 ? 1 : nClasses;
  const stride = d + 1;
  // One-hot blocks make most of the matrix zeros: iterate each row's non-zeros only.
  const { rowStart, colIndex, values } = sparseRows(X);
  const z = new Float64Array(K);
  const e = new Float64Array(K);
  const f = (theta: Float64Array, grad: Float64Array) => {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const a = rowStart[i]!;
      const b = rowStart[i + 1]!;
      for (let k = 0; k < K; k++) {
        const o = k * stride;
        let s = theta[o + d]!;
        for (let t = a; t < b; t++) s += values[t]! * theta[o + colIndex[t]!]!;
        z[k] = s;
      }
      const yi = y[i]!;
      if (K === 1) {
        // log(1 + e^z) − y·z and σ(z) − y from one exponential.
        const zi = z[0]!;
        const ez = Math.exp(-Math.abs(zi));
        loss += Math.max(zi, 0) + Math.log1p(ez) - yi * zi;
        const res = (zi >= 0 ? 1 / (1 + ez) : ez / (1 + ez)) - yi;
        for (let t = a; t < b; t++) grad[colIndex[t]!] = grad[colIndex[t]!]! + res * values[t]!;
        grad[d] = grad[d]! + res;
        continue;
      }
      let max = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < K; k++) max = Math.max(max, z[k]!);
      let sum = 0;
      for (let k = 0; k < K; k++) {
        e[k] = Math.exp(z[k]! - max);
        sum += e[k]!;
      }
      loss += max + Math.log(sum) - z[yi]!;
      for (let k = 0; k < K; k++) {
        const res = e[k]! / sum - (k === yi ? 1 : 0);
        if (res === 0) continue;
        const o = k * stride;
        for (let t = a; t < b; t++) grad[o + colIndex[t]!] = grad[o + colIndex[t]!]! + res * values[t]!;
        grad[o + d] = grad[o + d]! + res;
      }
    }
    let penalty = 0;
    for (let k = 0; k < K; k++) {
      const o = k * stride;
      for (let j = 0; j < d; j++) {
        const w = theta[o + j]!;
        penalty += w * w;
        grad[o + j] = grad[o + j]! + l2 * w;
      }
    }
    for (let t = 0; t < grad.length; t++) grad[t] = grad[t]! / n;
    return { objective: (loss + 0.5 * l2 * penalty) / n, loss: loss / n };
  };
  return { dim: K * stride, f };
}

/** The matrix's non-zeros by row (CSR). */
function sparseRows(X: Matrix): { rowStart: Int32Array; colIndex: Int32Array; values: Float64Array } {
  const { rows, cols, data } = X;
  let nnz = 0;
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) nnz++;
  const rowStart = new Int32Array(rows + 1);
  const colIndex = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  let t = 0;
  for (let i = 0; i < rows; i++) {
    rowStart[i] = t;
    for (let j = 0; j < cols; j++) {
      const v = data[i * cols + j]!;
      if (v !== 0) {
        colIndex[t] = j;
        values[t++] = v;
      }
    }
  }
  rowStart[rows] = t;
  return { rowStart, colIndex, values };
}

/**
 * Logistic regression on class indices `y` (0..nClasses-1): binary with a single logit for two
 * classes, multinomial softmax otherwise. Reports the mean log loss after every iteration.
 */
export function trainLogistic(
  X: Matrix,
  y: Float64Array,
  nClasses: number,
  opts: LogisticOptions,
): LinearModel {
  if (X.rows === 0) throw invalidParam('no training rows', 'data');
  const { dim, f } = logisticObjective(X, y, nClasses, opts.l2);
  const result = lbfgs(f, new Float64Array(dim), {
    maxIter: opts.maxIter,
    tol: opts.tol,
    onIteration: (iteration, loss) => opts.onIteration?.({ iteration, trainLoss: loss }),
  });
  const K = nClasses === 2 ? 1 : nClasses;
  const d = X.cols;
  const w = new Float64Array(K * d);
  const b = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    w.set(result.x.subarray(k * (d + 1), k * (d + 1) + d), k * d);
    b[k] = result.x[k * (d + 1) + d]!;
  }
  const task: Task = nClasses === 2 ? 'binary' : 'multiclass';
  return linearModel('logistic', task, d, K, w, b, result.iterations, result.converged);
}

/** What `lbfgs` returns. */
export interface LbfgsResult {
  x: Float64Array;
  objective: number;
  iterations: number;
  converged: boolean;
}

/**
 * Limited-memory BFGS (10 pairs) with a backtracking Armijo line search, minimising a smooth
 * function from `x0`. Converged when every gradient component is at most `tol`; it also stops,
 * reporting whether that holds, when no step decreases the objective any more.
 */
export function lbfgs(
  f: (x: Float64Array, grad: Float64Array) => { objective: number; loss: number },
  x0: Float64Array,
  opts: {
    maxIter: number;
    tol: number;
    memory?: number;
    onIteration?: (iteration: number, loss: number) => void;
  },
): LbfgsResult {
  const m = opts.memory ?? 10;
  const dim = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(dim);
  let fx = f(x, g).objective;
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const dir = new Float64Array(dim);
  const alpha = new Float64Array(m);
  let xNew = new Float64Array(dim);
  let gNew = new Float64Array(dim);
  const maxAbs = (v: Float64Array): number => v.reduce((a, b) => Math.max(a, Math.abs(b)), 0);
  if (maxAbs(g) <= opts.tol) return { x, objective: fx, iterations: 0, converged: true };
  for (let it = 1; it <= opts.maxIter; it++) {
    // Two-loop recursion: dir = -H·g.
    for (let t = 0; t < dim; t++) dir[t] = -g[t]!;
    for (let h = S.length - 1; h >= 0; h--) {
      const a = rho[h]! * dot(S[h]!, dir);
      alpha[h] = a;
      axpy(-a, Y[h]!, dir);
    }
    let gamma = 1;
    if (S.length > 0) {
      const last = S.length - 1;
      gamma = dot(S[last]!, Y[last]!) / dot(Y[last]!, Y[last]!);
    } else {
      gamma = 1 / Math.max(1, Math.sqrt(dot(g, g)));
    }
    for (let t = 0; t < dim; t++) dir[t] = dir[t]! * gamma;
    for (let h = 0; h < S.length; h++) {
      const bta = rho[h]! * dot(Y[h]!, dir);
      axpy(alpha[h]! - bta, S[h]!, dir);
    }
    let slope = dot(g, dir);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      const scale = 1 / Math.max(1, Math.sqrt(dot(g, g)));
      for (let t = 0; t < dim; t++) dir[t] = -g[t]! * scale;
      slope = dot(g, dir);
    }
    let step = 1;
    let accepted = false;
    let res = { objective: fx, loss: 0 };
    for (let tries = 0; tries < 60; tries++) {
      for (let t = 0; t < dim; t++) xNew[t] = x[t]! + step * dir[t]!;
      res = f(xNew, gNew);
      if (res.objective <= fx + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    // No step decreases the objective: it is at its floating-point floor.
    if (!accepted) return { x, objective: fx, iterations: it - 1, converged: maxAbs(g) <= opts.tol };
    const s = new Float64Array(dim);
    const yv = new Float64Array(dim);
    for (let t = 0; t < dim; t++) {
      s[t] = xNew[t]! - x[t]!;
      yv[t] = gNew[t]! - g[t]!;
    }
    const sy = dot(s, yv);
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(yv, yv))) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(yv);
      rho.push(1 / sy);
    }
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    fx = res.objective;
    opts.onIteration?.(it, res.loss);
    if (maxAbs(g) <= opts.tol) return { x, objective: fx, iterations: it, converged: true };
  }
  return { x, objective: fx, iterations: opts.maxIter, converged: maxAbs(g) <= opts.tol };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] = y[i]! + a * x[i]!;
}

/**
 * Ridge regression Σ(y − Xw − b)² + l2·‖w‖² by the centred normal equations. Where they are singular
 * (collinear columns, e.g. a full one-hot block next to the intercept, or a constant column) a
 * vanishing ridge picks the minimum-norm solution instead of an arbitrary, cancelling one.
 */
export function trainLinear(
  X: Matrix,
  y: Float64Array,
  opts: { l2: number; onIteration?: (m: IterationMetrics) => void },
): LinearModel {
  const { rows: n, cols: d, data } = X;
  if (n === 0) throw invalidParam('no training rows', 'data');
  const mx = new Float64Array(d);
  let my = 0;
  for (let i = 0; i < n; i++) {
    my += y[i]!;
    for (let j = 0; j < d; j++) mx[j] = mx[j]! + data[i * d + j]!;
  }
  my /= n;
  for (let j = 0; j < d; j++) mx[j] = mx[j]! / n;
  // A = XcᵀXc (upper triangle, mirrored), c = Xcᵀyc.
  const A = new Float64Array(d * d);
  const c = new Float64Array(d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = data[i * d + j]! - mx[j]!;
    const yc = y[i]! - my;
    for (let j = 0; j < d; j++) {
      const rj = row[j]!;
      if (rj === 0) continue;
      c[j] = c[j]! + rj * yc;
      const o = j * d;
      for (let k = j; k < d; k++) A[o + k] = A[o + k]! + rj * row[k]!;
    }
  }
  for (let j = 0; j < d; j++) for (let k = 0; k < j; k++) A[j * d + k] = A[k * d + j]!;
  let meanDiag = 0;
  for (let j = 0; j < d; j++) meanDiag += A[j * d + j]! / d;
  let w = choleskySolve(A, c, d, opts.l2);
  for (let attempt = 0; w === null; attempt++) {
    if (attempt === 8) throw invalidParam('linear regression: the normal equations cannot be solved', 'data');
    w = choleskySolve(A, c, d, opts.l2 + Math.max(meanDiag, 1) * 1e-10 * 100 ** attempt);
  }
  let b = my;
  for (let j = 0; j < d; j++) b -= mx[j]! * w[j]!;
  const model = linearModel('linear', 'regression', d, 1, w, Float64Array.of(b), 1, true);
  const pred = model.raw(X);
  let mse = 0;
  for (let i = 0; i < n; i++) mse += (pred[i]! - y[i]!) ** 2;
  opts.onIteration?.({ iteration: 1, trainLoss: mse / n });
  return model;
}

/**
 * Solves (A + ridge·I) x = c by Cholesky; null when a pivot falls below 1e-10 of its diagonal
 * (numerically singular: a solution would be dominated by rounding).
 */
function choleskySolve(A: Float64Array, c: Float64Array, d: number, ridge: number): Float64Array | null {
  const L = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    const diag = A[j * d + j]! + ridge;
    let s = diag;
    for (let k = 0; k < j; k++) s -= L[j * d + k]! ** 2;
    if (!(diag > 0) || !(s > 1e-10 * diag)) return null;
    const ljj = Math.sqrt(s);
    L[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = A[i * d + j]!;
      for (let k = 0; k < j; k++) t -= L[i * d + k]! * L[j * d + k]!;
      L[i * d + j] = t / ljj;
    }
  }
  const z = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let t = c[i]!;
    for (let k = 0; k < i; k++) t -= L[i * d + k]! * z[k]!;
    z[i] = t / L[i * d + i]!;
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let t = z[i]!;
    for (let k = i + 1; k < d; k++) t -= L[k * d + i]! * x[k]!;
    x[i] = t / L[i * d + i]!;
  }
  return x;
}
