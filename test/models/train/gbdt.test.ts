import { describe, expect, it } from 'vitest';
import { KeelError } from '../../../src/core/errors.js';
import { binMatrix, binOf, quantileEdges } from '../../../src/models/train/gbdt/binning.js';
import {
  GBDT_DEFAULTS,
  type GbdtModel,
  type GbdtParams,
  type GbdtTree,
  trainGbdt,
} from '../../../src/models/train/gbdt/index.js';
import type { IterationMetrics, Matrix } from '../../../src/models/train/types.js';
import { argmaxRows, sigmoid, split, synthetic } from './gbdt-data.js';

const column = (xs: number[]): Matrix => ({ rows: xs.length, cols: 1, data: Float64Array.from(xs) });
const params = (p: Partial<GbdtParams>): GbdtParams => ({ ...GBDT_DEFAULTS, ...p });
const f32 = Math.fround;

/** Depth of the deepest leaf (root = 0). */
function depth(t: GbdtTree, n = 0): number {
  return t.feature[n]! < 0 ? 0 : 1 + Math.max(depth(t, t.left[n]!), depth(t, t.right[n]!));
}

/** Training rows reaching each leaf of a tree. */
function leafCounts(t: GbdtTree, X: Matrix): Map<number, number> {
  const counts = new Map<number, number>();
  for (let r = 0; r < X.rows; r++) {
    let n = 0;
    while (t.feature[n]! >= 0) {
      n = f32(X.data[r * X.cols + t.feature[n]!]!) <= t.threshold[n]! ? t.left[n]! : t.right[n]!;
    }
    counts.set(n, (counts.get(n) ?? 0) + 1);
  }
  return counts;
}

function expectInvalid(fn: () => unknown, field: string, message: RegExp): void {
  let err: unknown = null;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(KeelError);
  expect((err as KeelError).code).toBe('INVALID_PARAMETER_VALUE');
  expect((err as KeelError).details).toEqual({ field });
  expect((err as KeelError).message).toMatch(message);
}

describe('binning', () => {
  it('keeps distinct values as edges when there are few', () => {
    expect(Array.from(quantileEdges(Float64Array.from([1, 1, 2, 5, 5, 5]), 255))).toEqual([1, 2, 5]);
  });

  it('cuts many values into equal-count quantile bins whose edges are training values', () => {
    const sorted = Float64Array.from({ length: 1000 }, (_, i) => i);
    expect(Array.from(quantileEdges(sorted, 10))).toEqual([99, 199, 299, 399, 499, 599, 699, 799, 899, 999]);
  });

  it('gives a heavy value its own bin and spreads the rest', () => {
    const sorted = Float64Array.from([
      ...new Array<number>(900).fill(0),
      ...Array.from({ length: 100 }, (_, i) => i + 1),
    ]);
    expect(Array.from(quantileEdges(sorted, 5))).toEqual([0, 25, 50, 75, 100]);
  });

  it('maps x to the first bin with x <= edge, so bin ≤ b ⇔ x <= edges[b] for any x', () => {
    const { X } = synthetic('regression', 3000, { features: 2 });
    const { bins, edges } = binMatrix(X, 32);
    expect(edges[0]!.length).toBe(32);
    for (let r = 0; r < X.rows; r++) {
      expect(edges[1]![bins[r * 2 + 1]!]!).toBeGreaterThanOrEqual(X.data[r * 2 + 1]!);
    }
    const e = edges[0]!;
    for (const x of [-5, -3, e[0]!, e[3]! - 1e-3, e[3]!, e[3]! + 1e-3, e[31]!, 99]) {
      const b = binOf(e, x);
      for (let k = 0; k < e.length - 1; k++) expect(b <= k).toBe(x <= e[k]!);
    }
  });
});

describe('trees on hand-computable data', () => {
  it('regression: splits at the value separating the two groups; leaves are -G/H × lr', () => {
    const y = Float64Array.from([0, 0, 0, 0, 10, 10, 10, 10]);
    const p = params({ trees: 1, learningRate: 1, maxDepth: 1, minSamplesLeaf: 1 });
    const m = trainGbdt(column([1, 2, 3, 4, 5, 6, 7, 8]), y, 'regression', 1, p);
    expect(m.baseScores).toEqual([5]);
    expect(m.trees).toEqual([
      {
        target: 0,
        feature: [0, -1, -1],
        threshold: [4, 0, 0],
        left: [1, -1, -1],
        right: [2, -1, -1],
        value: [0, -5, 5],
        gain: [200, 0, 0],
      },
    ]);
    expect(Array.from(m.raw(column([-1, 4, 4.5, 100])))).toEqual([0, 0, 10, 10]);
    const half = trainGbdt(column([1, 2, 3, 4, 5, 6, 7, 8]), y, 'regression', 1, { ...p, learningRate: 0.5 });
    expect(half.trees[0]!.value).toEqual([0, -2.5, 2.5]);
  });

  it('regression: minSamplesLeaf larger than half the rows leaves a single leaf', () => {
    const y = Float64Array.from([0, 0, 0, 0, 10, 10, 10, 10]);
    const m = trainGbdt(
      column([1, 2, 3, 4, 5, 6, 7, 8]),
      y,
      'regression',
      1,
      params({ trees: 1, minSamplesLeaf: 5 }),
    );
    expect(m.trees[0]!.feature).toEqual([-1]);
    expect(m.trees[0]!.value).toEqual([0]);
    expect(Array.from(m.raw(column([1, 8])))).toEqual([5, 5]);
  });

  it('binary: base is the prior log-odds, first split by G²/H, Newton leaves, second iteration from sigmoid', () => {
    const X = column([1, 2, 3, 4, 5]);
    const y = Float64Array.from([0, 0, 1, 1, 1]);
    const p = params({ trees: 2, learningRate: 0.1, maxDepth: 1, minSamplesLeaf: 1 });
    const m = trainGbdt(X, y, 'binary', 2, p);
    const base = f32(Math.log(3 / 2));
    expect(m.baseScores).toEqual([base]);
    const [t1, t2] = m.trees as [GbdtTree, GbdtTree];
    expect(t1.feature[0]).toBe(0);
    expect(t1.threshold[0]).toBe(2);
    // Tree 1: p0 = 0.6 everywhere; left rows have g = 0.6, h = 0.24 each.
    const p0 = sigmoid(base);
    expect(t1.value[t1.left[0]!]).toBe(f32(((-2 * p0) / (2 * p0 * (1 - p0))) * 0.1));
    expect(t1.value[t1.right[0]!]).toBe(f32(((-3 * (p0 - 1)) / (3 * p0 * (1 - p0))) * 0.1));
    expect(t1.gain[0]).toBeCloseTo(
      (2 * p0) ** 2 / (2 * p0 * (1 - p0)) + (3 * (p0 - 1)) ** 2 / (3 * p0 * (1 - p0)),
      9,
    );
    // Tree 2 starts from the updated scores.
    const pl = sigmoid(base + t1.value[t1.left[0]!]!);
    expect(t2.threshold[0]).toBe(2);
    expect(t2.value[t2.left[0]!]).toBeCloseTo((-pl / (pl * (1 - pl))) * 0.1, 7);
    const raw = m.raw(column([1.5, 4]));
    expect(raw[0]).toBe(base + t1.value[t1.left[0]!]! + t2.value[t2.left[0]!]!);
    expect(raw[1]).toBe(base + t1.value[t1.right[0]!]! + t2.value[t2.right[0]!]!);
  });

  it('binary: l2 shrinks the leaves to -G/(H+λ)', () => {
    const X = column([1, 2, 3, 4]);
    const y = Float64Array.from([0, 0, 1, 1]);
    const m = trainGbdt(X, y, 'binary', 2, params({ trees: 1, maxDepth: 1, minSamplesLeaf: 1, l2: 1 }));
    // p = 0.5: left G = 1, H = 0.5.
    expect(m.trees[0]!.value).toEqual([0, f32((-1 / 1.5) * 0.1), f32((1 / 1.5) * 0.1)]);
    expect(m.trees[0]!.gain[0]).toBeCloseTo(2 / 1.5, 12);
  });

  it('multiclass: log-prior base, one tree per class per iteration fitted to softmax gradients', () => {
    const X = column([1, 2, 3, 4, 5, 6]);
    const y = Float64Array.from([0, 0, 1, 1, 2, 2]);
    const m = trainGbdt(
      X,
      y,
      'multiclass',
      3,
      params({ trees: 1, learningRate: 1, maxDepth: 1, minSamplesLeaf: 1 }),
    );
    expect(m.outputs).toBe(3);
    expect(m.baseScores).toEqual([1, 1, 1].map(() => f32(Math.log(1 / 3))));
    expect(m.trees.map((t) => t.target)).toEqual([0, 1, 2]);
    const [c0, , c2] = m.trees as [GbdtTree, GbdtTree, GbdtTree];
    // Class 0: g = p − 1 = −2/3 on its rows, 1/3 elsewhere; h = 2/9. Best cut x ≤ 2 (gain 4 + 2).
    expect(c0.threshold[0]).toBe(2);
    expect(c0.value[c0.left[0]!]).toBeCloseTo(3, 6);
    expect(c0.value[c0.right[0]!]).toBeCloseTo(-1.5, 6);
    expect(c0.gain[0]).toBeCloseTo(6, 9);
    expect(c2.threshold[0]).toBe(4);
    expect(c2.value[c2.right[0]!]).toBeCloseTo(3, 6);
    expect(argmaxRows(m.raw(X), 3)).toEqual([0, 0, 1, 1, 2, 2]);
  });
});

describe('training on synthetic data', () => {
  it('learns binary, multiclass and regression problems (held-out figures)', () => {
    const p = params({ trees: 60, maxDepth: 5, minSamplesLeaf: 10 });
    const [trB, teB] = split(synthetic('binary', 5000), 4000);
    const mb = trainGbdt(trB.X, trB.y, 'binary', 2, p);
    const rawB = mb.raw(teB.X);
    const accB = teB.y.reduce((a, y, i) => a + ((rawB[i]! > 0 ? 1 : 0) === y ? 1 : 0), 0) / teB.y.length;
    expect(accB).toBeGreaterThan(0.95);

    const [trM, teM] = split(synthetic('multiclass', 5000), 4000);
    const mm = trainGbdt(trM.X, trM.y, 'multiclass', 3, p);
    const predM = argmaxRows(mm.raw(teM.X), 3);
    const accM = predM.filter((c, i) => c === teM.y[i]).length / predM.length;
    expect(accM).toBeGreaterThan(0.9);

    const [trR, teR] = split(synthetic('regression', 5000, { noise: 0.2 }), 4000);
    const mr = trainGbdt(trR.X, trR.y, 'regression', 1, p);
    const rawR = mr.raw(teR.X);
    const mean = teR.y.reduce((a, b) => a + b, 0) / teR.y.length;
    let sse = 0;
    let sst = 0;
    teR.y.forEach((y, i) => {
      sse += (y - rawR[i]!) ** 2;
      sst += (y - mean) ** 2;
    });
    expect(1 - sse / sst).toBeGreaterThan(0.9);
  });

  it('respects maxDepth and minSamplesLeaf, and ranks the informative features first', () => {
    const { X, y } = synthetic('binary', 3000, { features: 6 });
    const m = trainGbdt(X, y, 'binary', 2, params({ trees: 20, maxDepth: 3, minSamplesLeaf: 40 }));
    for (const t of m.trees) {
      expect(depth(t)).toBeLessThanOrEqual(3);
      for (const c of leafCounts(t, X).values()) expect(c).toBeGreaterThanOrEqual(40);
    }
    expect(m.trees.some((t) => depth(t) === 3)).toBe(true);
    const imp = m.featureImportance;
    expect(imp.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(Math.min(imp[0]!, imp[1]!)).toBeGreaterThan(Math.max(...imp.slice(3)));
  });

  it('lowers the training loss every iteration and reports each one', () => {
    const { X, y } = synthetic('regression', 2000, { noise: 0.5 });
    const seen: IterationMetrics[] = [];
    trainGbdt(X, y, 'regression', 1, params({ trees: 15 }), { onIteration: (m) => seen.push(m) });
    expect(seen.map((m) => m.iteration)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.trainLoss).toBeLessThan(seen[i - 1]!.trainLoss);
    expect(seen.every((m) => m.validLoss === undefined)).toBe(true);
  });

  it('is deterministic: the same inputs give the identical model', () => {
    const { X, y } = synthetic('multiclass', 2000, { noise: 0.1 });
    const p = params({ trees: 10 });
    const a = trainGbdt(X, y, 'multiclass', 3, p);
    const b = trainGbdt(X, y, 'multiclass', 3, p);
    expect(b.trees).toEqual(a.trees);
    expect(b.baseScores).toEqual(a.baseScores);
    expect(Array.from(b.raw(X))).toEqual(Array.from(a.raw(X)));
  });
});

describe('early stopping', () => {
  it('stops nIterNoChange iterations after the best validation loss and keeps the best model', () => {
    const [train, valid] = split(synthetic('binary', 3000, { noise: 0.3, seed: 3 }), 2000);
    const seen: IterationMetrics[] = [];
    const p = params({ trees: 300, learningRate: 0.3, maxDepth: 6, minSamplesLeaf: 5, nIterNoChange: 5 });
    const m: GbdtModel = trainGbdt(train.X, train.y, 'binary', 2, p, {
      valid,
      onIteration: (x) => seen.push(x),
    });
    expect(m.bestIteration).toBeGreaterThan(1);
    expect(m.bestIteration).toBeLessThan(300);
    expect(seen.length).toBe(m.bestIteration + 5);
    expect(m.trees.length).toBe(m.bestIteration);
    const losses = seen.map((s) => s.validLoss!);
    expect(Math.min(...losses)).toBe(losses[m.bestIteration - 1]);
    // The truncated model's validation loss is the one reported for the best iteration.
    const raw = m.raw(valid.X);
    let loss = 0;
    valid.y.forEach((y, i) => {
      const p1 = sigmoid(raw[i]!);
      loss -= y === 1 ? Math.log(p1) : Math.log(1 - p1);
    });
    expect(loss / valid.y.length).toBeCloseTo(losses[m.bestIteration - 1]!, 9);
  });

  it('truncates multiclass models by whole iterations (K trees each)', () => {
    const [train, valid] = split(synthetic('multiclass', 2000, { noise: 0.35, seed: 5 }), 1400);
    const m = trainGbdt(
      train.X,
      train.y,
      'multiclass',
      3,
      params({ trees: 200, learningRate: 0.5, minSamplesLeaf: 3, nIterNoChange: 3 }),
      { valid },
    );
    expect(m.bestIteration).toBeLessThan(200);
    expect(m.trees.length).toBe(3 * m.bestIteration);
  });

  it('without a validation split, runs every iteration', () => {
    const { X, y } = synthetic('binary', 500, { noise: 0.3 });
    const m = trainGbdt(X, y, 'binary', 2, params({ trees: 30, nIterNoChange: 1 }));
    expect(m.bestIteration).toBe(30);
    expect(m.trees.length).toBe(30);
  });
});

describe('errors', () => {
  const { X, y } = synthetic('binary', 50);

  it.each([
    [{ trees: 0 }, 'trees'],
    [{ trees: 2.5 }, 'trees'],
    [{ learningRate: 0 }, 'learningRate'],
    [{ learningRate: 1.5 }, 'learningRate'],
    [{ maxDepth: 0 }, 'maxDepth'],
    [{ maxDepth: 17 }, 'maxDepth'],
    [{ minSamplesLeaf: 0 }, 'minSamplesLeaf'],
    [{ maxBins: 1 }, 'maxBins'],
    [{ maxBins: 256 }, 'maxBins'],
    [{ l2: -1 }, 'l2'],
    [{ nIterNoChange: 0 }, 'nIterNoChange'],
    [{ minGainToSplit: Number.NaN }, 'minGainToSplit'],
  ] as [Partial<GbdtParams>, string][])('rejects %o naming %s', (bad, field) => {
    expectInvalid(
      () => trainGbdt(X, y, 'binary', 2, params(bad)),
      field,
      new RegExp(`^gbdt parameter ${field} must be`),
    );
  });

  it('rejects inconsistent data and class counts', () => {
    const p = params({ trees: 1 });
    expectInvalid(() => trainGbdt(X, y.slice(1), 'binary', 2, p), 'y', /49 targets for 50 rows/);
    expectInvalid(() => trainGbdt(X, y, 'binary', 3, p), 'nClasses', /binary needs exactly 2 classes/);
    expectInvalid(() => trainGbdt(X, y, 'multiclass', 2, p), 'nClasses', /multiclass needs an integer ≥ 3/);
    const y3 = y.map((v, i) => (i === 7 ? 2 : v));
    expectInvalid(
      () => trainGbdt(X, y3, 'binary', 2, p),
      'y',
      /class labels must be integers in 0\.\.1 \(row 7: 2\)/,
    );
    const bad = { ...X, data: X.data.map((v, i) => (i === 13 ? Number.POSITIVE_INFINITY : v)) };
    expectInvalid(() => trainGbdt(bad, y, 'binary', 2, p), 'X', /feature values must be finite \(row 2\)/);
    const valid = { X: { rows: 1, cols: 2, data: new Float64Array(2) }, y: new Float64Array(1) };
    expectInvalid(
      () => trainGbdt(X, y, 'binary', 2, p, { valid }),
      'valid',
      /validation matrix has 2 columns/,
    );
    const m = trainGbdt(X, y, 'binary', 2, p);
    expectInvalid(() => m.raw(column([1])), 'X', /the model takes 6 features, the matrix has 1/);
  });
});
