import { describe, expect, it } from 'vitest';
import { onnx } from '../../../src/models/onnx/proto.js';
import { decodeModel, inspectOnnx } from '../../../src/models/onnx/read.js';
import { loadModel, predict } from '../../../src/models/onnx/runtime.js';
import { valueInfo } from '../../../src/models/onnx/write.js';
import {
  onnxFeeds,
  readOnnxMeta,
  type TrainedPipeline,
  type TrainerKind,
  type TrainTable,
  train,
} from '../../../src/models/train/index.js';
import { buildMatrix, encodingFor } from '../../../src/models/train/preprocess.js';
import { mixedTable } from './mixed-table.js';

const TRAIN = mixedTable({ rows: 1500, seed: 7 });
// Predict-time rows: a different seed, categories never seen in training, missing values.
const SCORE = mixedTable({ rows: 600, seed: 99, unseen: 0.1 });
/** The feature columns (the table's other columns are targets, a datetime and a text column). */
const FEATURES = ['age', 'income', 'score', 'member', 'region', 'plan'];

async function runOnnx(p: TrainedPipeline, table: TrainTable) {
  const session = await loadModel(p.toOnnx());
  return predict(session, onnxFeeds(p.features, table));
}

/** Trains, exports, runs both and checks probabilities (≤ 1e-5) and labels (equal). */
async function expectClassifierMatch(
  kind: TrainerKind,
  target: string,
  params?: string,
): Promise<TrainedPipeline> {
  const p = train(TRAIN, { kind, target, features: FEATURES, ...(params ? { params } : {}) });
  const mine = p.predict(SCORE);
  const out = await runOnnx(p, SCORE);
  const C = p.classes!.length;
  expect(out.probabilities!.dims).toEqual([SCORE.rows, C]);
  const theirs = out.probabilities!.data as number[];
  let maxDiff = 0;
  for (let i = 0; i < theirs.length; i++)
    maxDiff = Math.max(maxDiff, Math.abs(theirs[i]! - mine.probabilities![i]!));
  expect(maxDiff).toBeLessThanOrEqual(1e-5);
  expect(out.label!.data).toEqual(mine.labels);
  // The model is not trivial: labels vary and the training fit is better than chance.
  expect(new Set(mine.labels).size).toBeGreaterThan(1);
  expect(p.metrics['train_accuracy']).toBeGreaterThan(1 / C + 0.1);
  return p;
}

async function expectRegressorMatch(
  kind: TrainerKind,
  target: string,
  params?: string,
): Promise<TrainedPipeline> {
  const p = train(TRAIN, { kind, target, features: FEATURES, ...(params ? { params } : {}) });
  const mine = p.predict(SCORE).values!;
  const out = await runOnnx(p, SCORE);
  expect(out.prediction!.dims).toEqual([SCORE.rows, 1]);
  const theirs = out.prediction!.data as number[];
  // onnxruntime sums in float32: terms of the target's scale (base ≈ 200 here) each round at
  // ~1e-7 of that scale, so the tolerance is relative to the predictions' scale, not each value.
  const scale = Math.max(1, ...Array.from(mine, Math.abs));
  for (let i = 0; i < theirs.length; i++) {
    expect(Math.abs(theirs[i]! - mine[i]!)).toBeLessThanOrEqual(1e-6 * scale);
  }
  expect(p.metrics['train_r2']).toBeGreaterThan(0.5);
  return p;
}

describe('exported ONNX equals the trainer (onnxruntime-node)', () => {
  it('logistic, binary (boolean target: string labels)', async () => {
    const p = await expectClassifierMatch('logistic', 'approved');
    expect(p.classes).toEqual(['false', 'true']);
    expect(p.metrics['converged']).toBe(1);
  });

  it('logistic, multiclass softmax (categorical target)', async () => {
    const p = await expectClassifierMatch('logistic', 'tier', 'l2=0.5');
    expect(p.task).toBe('multiclass');
    expect(p.classes).toEqual(['bronze', 'gold', 'silver']);
  });

  it('logistic, multiclass with integer classes (int64 labels)', async () => {
    const p = await expectClassifierMatch('logistic', 'rating');
    expect(p.classes).toEqual([1, 2, 3, 4, 5]);
    const info = inspectOnnx(p.toOnnx());
    expect(info.outputs.map((o) => [o.name, o.elemType, o.shape])).toEqual([
      ['label', 'int64', ['N']],
      ['probabilities', 'float', ['N', 5]],
    ]);
  });

  it('linear regression', async () => {
    await expectRegressorMatch('linear', 'amount');
  });

  it('gbdt, binary', async () => {
    const p = await expectClassifierMatch('gbdt', 'approved', 'trees=30,depth=4');
    expect(p.metrics['trees']).toBe(30);
  });

  it('gbdt, binary with integer classes (int64 labels through the sigmoid head)', async () => {
    const withInt = (t: TrainTable): TrainTable => ({
      rows: t.rows,
      schema: { columns: [...t.schema.columns, { name: 'ok', type: 'integer', nullable: true }] },
      columns: {
        ...t.columns,
        ok: Array.from(t.columns['approved']!, (v) => (v === null ? null : v ? 7 : 3)),
      },
    });
    const p = train(withInt(TRAIN), { kind: 'gbdt', target: 'ok', features: FEATURES, params: 'trees=10' });
    expect(p.classes).toEqual([3, 7]);
    const score = withInt(SCORE);
    const out = await runOnnx(p, score);
    const mine = p.predict(score);
    expect(out.label!.type).toBe('int64');
    expect(out.label!.data).toEqual(mine.labels);
    const probs = out.probabilities!.data as number[];
    probs.forEach((v, i) => {
      expect(Math.abs(v - mine.probabilities![i]!)).toBeLessThanOrEqual(1e-5);
    });
  });

  it('gbdt, multiclass', async () => {
    await expectClassifierMatch('gbdt', 'tier', 'trees=20,depth=3');
  });

  it('gbdt, regression', async () => {
    await expectRegressorMatch('gbdt', 'amount', 'trees=40,depth=4,lr=0.2');
  });
});

describe('graph layout', () => {
  it('takes one raw input per feature and writes keel.* metadata that reads back', () => {
    const p = train(TRAIN, { kind: 'logistic', target: 'approved', features: FEATURES, params: 'l2=2' });
    const info = inspectOnnx(p.toOnnx());
    expect(info.inputs.map((i) => [i.name, i.elemType, i.shape])).toEqual([
      ['age', 'float', ['N', 1]],
      ['income', 'float', ['N', 1]],
      ['score', 'float', ['N', 1]],
      ['member', 'float', ['N', 1]],
      ['region', 'string', ['N', 1]],
      ['plan', 'string', ['N', 1]],
    ]);
    expect(info.outputs.map((o) => [o.name, o.elemType])).toEqual([
      ['label', 'string'],
      ['probabilities', 'float'],
    ]);
    expect(info.producerName).toBe('keel');
    expect(info.producerVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.opsetImports).toEqual([
      { domain: '', version: 17 },
      { domain: 'ai.onnx.ml', version: 3 },
    ]);
    expect(info.operators).toEqual([
      'ai.onnx.ml::Imputer',
      'ai.onnx.ml::LinearClassifier',
      'ai.onnx.ml::OneHotEncoder',
      'ai.onnx.ml::Scaler',
      'ai.onnx::Concat',
      'ai.onnx::Flatten',
    ]);
    expect(Object.keys(info.metadataProps).sort()).toEqual([
      'keel.classes',
      'keel.features',
      'keel.params',
      'keel.target',
      'keel.task',
      'keel.trainer',
    ]);
    const meta = readOnnxMeta(info)!;
    expect(meta).toEqual({
      trainer: 'logistic',
      task: 'binary',
      target: 'approved',
      classes: ['false', 'true'],
      features: p.features,
      params: { l2: 2, max_iter: 500, tol: 1e-6, seed: 0 },
    });
  });

  it('gbdt: LabelEncoder ordinal codes; binary as a margin regressor with a sigmoid head', () => {
    const p = train(TRAIN, { kind: 'gbdt', target: 'approved', features: FEATURES, params: 'trees=3' });
    const info = inspectOnnx(p.toOnnx());
    expect(info.operators).toEqual([
      'ai.onnx.ml::Imputer',
      'ai.onnx.ml::LabelEncoder',
      'ai.onnx.ml::TreeEnsembleRegressor',
      'ai.onnx::Cast',
      'ai.onnx::Concat',
      'ai.onnx::Gather',
      'ai.onnx::Greater',
      'ai.onnx::Reshape',
      'ai.onnx::Sigmoid',
      'ai.onnx::Sub',
    ]);
    expect(info.outputs.map((o) => [o.name, o.elemType, o.shape])).toEqual([
      ['label', 'string', ['N']],
      ['probabilities', 'float', ['N', 2]],
    ]);
    expect(readOnnxMeta(info)!.params).toMatchObject({ trees: 3, early_stopping: false, seed: 0 });
    const multi = train(TRAIN, { kind: 'gbdt', target: 'rating', features: FEATURES, params: 'trees=2' });
    const mi = inspectOnnx(multi.toOnnx());
    expect(mi.operators).toContain('ai.onnx.ml::TreeEnsembleClassifier');
    expect(mi.outputs.map((o) => [o.name, o.elemType])).toEqual([
      ['label', 'int64'],
      ['probabilities', 'float'],
    ]);
  });

  it('readOnnxMeta is null for models Keel did not train', () => {
    const info = inspectOnnx(train(TRAIN, { kind: 'linear', target: 'amount' }).toOnnx());
    expect(readOnnxMeta({ ...info, metadataProps: {} })).toBeNull();
  });

  it.each(['logistic', 'gbdt'] as const)(
    '%s: the graph computes the training matrix bit for bit (Imputer, Scaler, encoders)',
    async (kind) => {
      const params = kind === 'gbdt' ? 'trees=2' : 'max_iter=5';
      const p = train(TRAIN, { kind, target: 'approved', features: FEATURES, params });
      // Expose the graph's feature matrix as an extra output.
      const m = decodeModel(p.toOnnx());
      const width = buildMatrix(p.features, encodingFor(kind), SCORE, [0]).cols;
      m.graph.output.push(onnx.ValueInfoProto.create(valueInfo('keel/features', 'float', ['N', width])));
      const session = await loadModel(onnx.ModelProto.encode(m).finish());
      const out = await predict(session, onnxFeeds(p.features, SCORE), { outputs: ['keel/features'] });
      const want = buildMatrix(p.features, encodingFor(kind), SCORE);
      expect(out['keel/features']!.dims).toEqual([SCORE.rows, want.cols]);
      expect(Float64Array.from(out['keel/features']!.data as number[])).toEqual(want.data);
    },
  );

  it('exports the same bytes for the same data, params and seed', () => {
    for (const kind of ['logistic', 'linear', 'gbdt'] as const) {
      const target = kind === 'linear' ? 'amount' : 'tier';
      const params = kind === 'gbdt' ? 'trees=5,early_stopping=true' : undefined;
      const opts = { kind, target, features: FEATURES, seed: 3, ...(params ? { params } : {}) };
      const a = train(TRAIN, opts).toOnnx();
      const b = train(TRAIN, opts).toOnnx();
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    }
  });

  it('feeds missing values as NaN / empty string, and subsets rows', () => {
    const p = train(TRAIN, { kind: 'gbdt', target: 'approved', features: FEATURES, params: 'trees=2' });
    const columns = {
      age: [null, 30],
      income: [1, 2],
      score: [0, 0],
      member: [true, null],
      region: [null, 'east'],
    };
    const table: TrainTable = { ...SCORE, rows: 2, columns: { ...columns, plan: ['pro', 'nope'] } };
    const feeds = onnxFeeds(p.features, table);
    expect(Array.from(feeds['age']!.data as Float32Array)).toEqual([Number.NaN, 30]);
    expect(feeds['region']!.data).toEqual(['', 'east']);
    expect(Array.from(feeds['member']!.data as Float32Array)).toEqual([1, Number.NaN]);
    expect(feeds['region']!.dims).toEqual([2, 1]);
    const sub = onnxFeeds(p.features, SCORE, [5, 2]);
    expect(sub['plan']!.data).toEqual([SCORE.columns['plan']![5], SCORE.columns['plan']![2]]);
  });
});
