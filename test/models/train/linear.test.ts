import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src/core/random.js';
import type { IterationMetrics, Matrix } from '../../../src/models/train/index.js';
import { lbfgs, logisticObjective, trainLinear, trainLogistic } from '../../../src/models/train/linear.js';

const matrix = (rows: number[][]): Matrix => ({
  rows: rows.length,
  cols: rows[0]!.length,
  data: Float64Array.from(rows.flat()),
});
const logit = (p: number): number => Math.log(p / (1 - p));

/** Rows (x, y) repeated: n rows of feature x, `pos` of them with y = 1. */
function groups(spec: [x: number[], n: number, pos: number][]): { X: Matrix; y: Float64Array } {
  const rows: number[][] = [];
  const y: number[] = [];
  for (const [x, n, pos] of spec) {
    for (let i = 0; i < n; i++) {
      rows.push(x);
      y.push(i < pos ? 1 : 0);
    }
  }
  return { X: matrix(rows), y: Float64Array.from(y) };
}

describe('logistic regression', () => {
  it('reaches the closed-form optimum of an unpenalised binary model on one 0/1 feature', () => {
    // Group x=0: 10 of 30 positive; x=1: 15 of 20. The MLE is b = logit(1/3), b + w = logit(3/4).
    const { X, y } = groups([
      [[0], 30, 10],
      [[1], 20, 15],
    ]);
    const m = trainLogistic(X, y, 2, { l2: 0, maxIter: 200, tol: 1e-10 });
    expect(m.converged).toBe(true);
    expect(m.task).toBe('binary');
    expect(m.outputs).toBe(1);
    expect(m.intercepts[0]).toBeCloseTo(logit(1 / 3), 6);
    expect(m.coefficients[0]).toBeCloseTo(logit(3 / 4) - logit(1 / 3), 6);
    // Exported weights are float32.
    expect(Math.fround(m.coefficients[0]!)).toBe(m.coefficients[0]);
  });

  it('matches Newton’s method on a penalised two-feature problem (gradient ≈ 0)', () => {
    const rnd = seededRandom(3);
    const rows: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 400; i++) {
      const a = rnd() * 4 - 2;
      const b = rnd() * 4 - 2;
      rows.push([a, b]);
      y.push(rnd() < 1 / (1 + Math.exp(-(0.5 + 1.5 * a - 2 * b))) ? 1 : 0);
    }
    const X = matrix(rows);
    const Y = Float64Array.from(y);
    const l2 = 3;
    const { dim, f } = logisticObjective(X, Y, 2, l2);
    const res = lbfgs(f, new Float64Array(dim), { maxIter: 500, tol: 1e-10 });
    const grad = new Float64Array(dim);
    f(res.x, grad);
    expect(Math.max(...grad.map(Math.abs))).toBeLessThan(1e-10);
    // Newton on Σ logloss + l2/2 ‖w‖² (intercept unpenalised), parameters [w0, w1, b].
    const theta = [0, 0, 0];
    for (let it = 0; it < 50; it++) {
      const g = [0, 0, 0];
      const H = [
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
      ];
      rows.forEach((r, i) => {
        const x = [r[0]!, r[1]!, 1];
        const p = 1 / (1 + Math.exp(-(theta[0]! * x[0]! + theta[1]! * x[1]! + theta[2]!)));
        for (let a = 0; a < 3; a++) {
          g[a]! += (p - y[i]!) * x[a]!;
          for (let b = 0; b < 3; b++) H[a]![b]! += p * (1 - p) * x[a]! * x[b]!;
        }
      });
      for (let a = 0; a < 2; a++) {
        g[a]! += l2 * theta[a]!;
        H[a]![a]! += l2;
      }
      const step = solve3(H, g);
      for (let a = 0; a < 3; a++) theta[a]! -= step[a]!;
    }
    expect(res.x[0]).toBeCloseTo(theta[0]!, 8);
    expect(res.x[1]).toBeCloseTo(theta[1]!, 8);
    expect(res.x[2]).toBeCloseTo(theta[2]!, 8);
    // And the trained model carries those weights, rounded to float32.
    const m = trainLogistic(X, Y, 2, { l2, maxIter: 500, tol: 1e-9 });
    expect(m.coefficients[0]).toBeCloseTo(theta[0]!, 6);
    expect(m.coefficients[1]).toBeCloseTo(theta[1]!, 6);
    expect(m.intercepts[0]).toBeCloseTo(theta[2]!, 6);
    for (const w of [...m.coefficients, ...m.intercepts]) expect(Math.fround(w)).toBe(w);
  });

  it('multinomial softmax reproduces the class frequencies of each group (unpenalised)', () => {
    // Group A (x = [1, 0]): classes 0/1/2 = 5/3/2; group B (x = [0, 1]): 1/1/8.
    const rows: number[][] = [];
    const y: number[] = [];
    const add = (x: number[], counts: number[]) =>
      counts.forEach((c, k) => {
        for (let i = 0; i < c; i++) {
          rows.push(x);
          y.push(k);
        }
      });
    add([1, 0], [5, 3, 2]);
    add([0, 1], [1, 1, 8]);
    const X = matrix(rows);
    const history: IterationMetrics[] = [];
    const m = trainLogistic(X, Float64Array.from(y), 3, {
      l2: 0,
      maxIter: 1000,
      tol: 1e-10,
      onIteration: (it) => history.push(it),
    });
    expect(m.task).toBe('multiclass');
    expect(m.outputs).toBe(3);
    const raw = m.raw(
      matrix([
        [1, 0],
        [0, 1],
      ]),
    );
    const softmax = (z: number[]) => {
      const e = z.map((v) => Math.exp(v - Math.max(...z)));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    };
    const pa = softmax(Array.from(raw.subarray(0, 3)));
    const pb = softmax(Array.from(raw.subarray(3, 6)));
    expect(pa.map((p) => p.toFixed(5))).toEqual(['0.50000', '0.30000', '0.20000']);
    expect(pb.map((p) => p.toFixed(5))).toEqual(['0.10000', '0.10000', '0.80000']);
    // Per-iteration figures: iterations numbered from 1, loss falling to the entropy of the groups.
    expect(history[0]!.iteration).toBe(1);
    expect(history.at(-1)!.iteration).toBe(m.iterations);
    const entropy =
      -(5 * Math.log(0.5) + 3 * Math.log(0.3) + 2 * Math.log(0.2) + 2 * Math.log(0.1) + 8 * Math.log(0.8)) /
      20;
    expect(history.at(-1)!.trainLoss).toBeCloseTo(entropy, 8);
    expect(history.at(-1)!.trainLoss).toBeLessThan(history[0]!.trainLoss);
  });

  it('stops at max_iter and says it did not converge', () => {
    const { X, y } = groups([
      [[0], 30, 10],
      [[1], 20, 15],
    ]);
    const m = trainLogistic(X, y, 2, { l2: 0, maxIter: 1, tol: 1e-12 });
    expect(m.iterations).toBe(1);
    expect(m.converged).toBe(false);
  });
});

describe('linear regression', () => {
  it('recovers an exact linear relation', () => {
    const rnd = seededRandom(5);
    const rows: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 200; i++) {
      const a = rnd() * 10;
      const b = rnd() * 2 - 1;
      rows.push([a, b]);
      y.push(3 + 2 * a - 0.5 * b);
    }
    const m = trainLinear(matrix(rows), Float64Array.from(y), { l2: 0 });
    expect(m.task).toBe('regression');
    expect(Array.from(m.coefficients)).toEqual([Math.fround(2), Math.fround(-0.5)]);
    expect(m.intercepts[0]).toBe(Math.fround(3));
  });

  it('ridge on one feature equals Sxy / (Sxx + l2)', () => {
    const xs = [1, 2, 4, 7, 8];
    const ys = [2, 3, 9, 12, 20];
    const mx = xs.reduce((a, b) => a + b) / 5;
    const my = ys.reduce((a, b) => a + b) / 5;
    const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    const sxy = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0);
    const l2 = 10;
    const history: IterationMetrics[] = [];
    const m = trainLinear(matrix(xs.map((x) => [x])), Float64Array.from(ys), {
      l2,
      onIteration: (it) => history.push(it),
    });
    const w = sxy / (sxx + l2);
    expect(m.coefficients[0]).toBe(Math.fround(w));
    expect(m.intercepts[0]).toBe(Math.fround(my - w * mx));
    expect(history).toHaveLength(1);
    expect(history[0]!.trainLoss).toBeGreaterThan(0);
  });

  it('handles a full one-hot block next to the intercept without blowing up the weights', () => {
    // Columns: one-hot of two groups (always exactly one 1), plus a constant-zero column.
    const rows: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 50; i++) {
      rows.push(i % 2 ? [1, 0, 0] : [0, 1, 0]);
      y.push(i % 2 ? 10 + (i % 5) : -4 + (i % 3));
    }
    const m = trainLinear(matrix(rows), Float64Array.from(y), { l2: 0 });
    const pred = m.raw(
      matrix([
        [1, 0, 0],
        [0, 1, 0],
      ]),
    );
    const mean = (odd: boolean) => {
      const v = y.filter((_, i) => (i % 2 === 1) === odd);
      return v.reduce((a, b) => a + b) / v.length;
    };
    expect(pred[0]).toBeCloseTo(mean(true), 4);
    expect(pred[1]).toBeCloseTo(mean(false), 4);
    for (const w of m.coefficients) expect(Math.abs(w)).toBeLessThan(100);
    expect(m.coefficients[2]).toBeCloseTo(0, 6);
  });
});

function solve3(A: number[][], b: number[]): number[] {
  const M = A.map((r, i) => [...r, b[i]!]);
  for (let c = 0; c < 3; c++) {
    let p = c;
    for (let r = c + 1; r < 3; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    [M[c], M[p]] = [M[p]!, M[c]!];
    for (let r = 0; r < 3; r++) {
      if (r === c) continue;
      const f = M[r]![c]! / M[c]![c]!;
      for (let k = c; k < 4; k++) M[r]![k]! -= f * M[c]![k]!;
    }
  }
  return M.map((r, i) => r[3]! / r[i]!);
}
