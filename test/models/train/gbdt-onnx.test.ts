import { describe, expect, it } from 'vitest';
import { KeelError } from '../../../src/core/errors.js';
import { loadModel, type Output, predict } from '../../../src/models/onnx/runtime.js';
import { model, valueInfo } from '../../../src/models/onnx/write.js';
import {
  GBDT_DEFAULTS,
  GBDT_ONNX_OPSET,
  type GbdtModel,
  trainGbdt,
  treeEnsembleNode,
} from '../../../src/models/train/gbdt/index.js';
import { gbdtModel } from '../../../src/models/train/gbdt/model.js';
import type { Matrix } from '../../../src/models/train/types.js';
import { argmaxRows, type Dataset, sigmoid, softmax, split, synthetic } from './gbdt-data.js';

type Labels = Parameters<typeof treeEnsembleNode>[3];

/** Runs the model's tree node alone in a graph (float input [N, F]) through onnxruntime. */
async function runOrt(m: GbdtModel, X: Matrix, labels?: Labels): Promise<Record<string, Output>> {
  const classifier = m.task !== 'regression';
  const labelType = labels && 'strings' in labels ? 'string' : 'int64';
  const bytes = model({
    graph: {
      name: 'gbdt',
      nodes: [
        classifier
          ? treeEnsembleNode(m, 'X', { label: 'label', scores: 'scores' }, labels)
          : treeEnsembleNode(m, 'X', { prediction: 'y' }),
      ],
      inputs: [valueInfo('X', 'float', ['N', X.cols])],
      outputs: classifier
        ? [valueInfo('label', labelType, ['N']), valueInfo('scores', 'float', ['N', m.nClasses])]
        : [valueInfo('y', 'float', ['N', 1])],
    },
    opsets: [{ domain: '', version: 17 }, GBDT_ONNX_OPSET],
  });
  return predict(await loadModel(bytes), { X: { type: 'float32', data: X.data, dims: [X.rows, X.cols] } });
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
};

/** Held-out rows plus rows whose values sit exactly on the model's thresholds (the <= boundary). */
function probeRows(m: GbdtModel, test: Dataset): Matrix {
  const F = test.X.cols;
  const byFeature: number[][] = Array.from({ length: F }, () => []);
  for (const t of m.trees) {
    t.feature.forEach((f, n) => {
      if (f >= 0) byFeature[f]!.push(t.threshold[n]!);
    });
  }
  const edgeRows = 500;
  const data = new Float64Array((test.X.rows + edgeRows) * F);
  data.set(test.X.data);
  for (let r = 0; r < edgeRows; r++) {
    for (let f = 0; f < F; f++) {
      const ts = byFeature[f]!;
      data[(test.X.rows + r) * F + f] = ts.length > 0 ? ts[(r * 7 + f * 13) % ts.length]! : 0;
    }
  }
  return { rows: test.X.rows + edgeRows, cols: F, data };
}

const params = { ...GBDT_DEFAULTS, trees: 100, maxDepth: 6, minSamplesLeaf: 20 };

describe('TreeEnsemble export runs in onnxruntime exactly like raw()', () => {
  it('binary: scores [1 − p, p] with p = sigmoid(raw), label = argmax', async () => {
    const [train, test] = split(synthetic('binary', 4000, { noise: 0.05 }), 3000);
    const m = trainGbdt(train.X, train.y, 'binary', 2, params);
    const X = probeRows(m, test);
    const out = await runOrt(m, X);
    const p = Array.from(m.raw(X), sigmoid);
    const want = p.flatMap((q) => [1 - q, q]);
    expect(out.scores!.dims).toEqual([X.rows, 2]);
    expect(maxAbsDiff(out.scores!.data as number[], want)).toBeLessThanOrEqual(1e-5);
    expect(out.label!.data).toEqual(argmaxRows(want, 2));
    // Custom integer labels are what the label output carries.
    const relabelled = await runOrt(m, X, { ints: [7, 9] });
    expect(relabelled.label!.data).toEqual(argmaxRows(want, 2).map((c) => (c === 1 ? 9 : 7)));
  });

  it('multiclass (3): scores = softmax(raw), label = argmax, string labels', async () => {
    const [train, test] = split(synthetic('multiclass', 4000, { noise: 0.05 }), 3000);
    const m = trainGbdt(train.X, train.y, 'multiclass', 3, params);
    const X = probeRows(m, test);
    const want = softmax(m.raw(X), 3);
    const out = await runOrt(m, X, { strings: ['low', 'mid', 'high'] });
    expect(out.scores!.dims).toEqual([X.rows, 3]);
    expect(maxAbsDiff(out.scores!.data as number[], want)).toBeLessThanOrEqual(1e-5);
    expect(out.label!.type).toBe('string');
    expect(out.label!.data).toEqual(argmaxRows(want, 3).map((c) => ['low', 'mid', 'high'][c]));
  });

  it('regression: prediction [N, 1] = raw within 1e-5 relative', async () => {
    const [train, test] = split(synthetic('regression', 4000, { noise: 0.3 }), 3000);
    const shifted = { ...train, y: train.y.map((v) => v * 40 + 1000) };
    const m = trainGbdt(train.X, shifted.y, 'regression', 1, params);
    const X = probeRows(m, test);
    const raw = m.raw(X);
    const out = await runOrt(m, X);
    expect(out.y!.dims).toEqual([X.rows, 1]);
    const got = out.y!.data as number[];
    let rel = 0;
    raw.forEach((r, i) => {
      rel = Math.max(rel, Math.abs(got[i]! - r) / Math.abs(r));
    });
    expect(rel).toBeLessThanOrEqual(1e-5);
  });

  it('binary with no negative leaf still gets labels from p > 0.5 (onnxruntime label rule)', async () => {
    // A stump whose leaves are both ≥ 0: raw 0.2 + 0.25 = 0.45 → p ≈ 0.61 → class 1.
    const m = gbdtModel({
      task: 'binary',
      nFeatures: 1,
      nClasses: 2,
      baseScores: [Math.fround(0.2)],
      bestIteration: 1,
      params: GBDT_DEFAULTS,
      trees: [
        {
          target: 0,
          feature: [0, -1, -1],
          threshold: [0.5, 0, 0],
          left: [1, -1, -1],
          right: [2, -1, -1],
          value: [0, 0.25, 0.75],
          gain: [1, 0, 0],
        },
      ],
    });
    const X = { rows: 3, cols: 1, data: Float64Array.from([0, 1, 0.5]) };
    const out = await runOrt(m, X);
    const want = Array.from(m.raw(X), sigmoid).flatMap((q) => [1 - q, q]);
    expect(maxAbsDiff(out.scores!.data as number[], want)).toBeLessThanOrEqual(1e-6);
    expect(out.label!.data).toEqual([1, 1, 1]);
  });

  it('rejects outputs that do not fit the task and class labels of the wrong length', () => {
    const { X, y } = synthetic('binary', 200);
    const m = trainGbdt(X, y, 'binary', 2, { ...params, trees: 2 });
    const errOf = (fn: () => unknown): KeelError => {
      try {
        fn();
      } catch (e) {
        return e as KeelError;
      }
      throw new Error('expected an error');
    };
    const e1 = errOf(() => treeEnsembleNode(m, 'X', { prediction: 'y' }));
    expect(e1).toBeInstanceOf(KeelError);
    expect(e1.message).toMatch(/binary model's tree node needs outputs \{ label, scores \}/);
    const e2 = errOf(() => treeEnsembleNode(m, 'X', { label: 'l', scores: 's' }, { ints: [0, 1, 2] }));
    expect(e2.message).toMatch(/3 class labels for a model of 2 classes/);
  });
});
