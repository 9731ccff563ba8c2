import { describe, expect, it } from 'vitest';
import { KeelError } from '../../../src/core/errors.js';
import type { Typed } from '../../../src/data/schema.js';
import { loadModel, predict } from '../../../src/models/onnx/runtime.js';
import {
  type IterationMetrics,
  onnxFeeds,
  type TrainOptions,
  type TrainTable,
  train,
} from '../../../src/models/train/index.js';
import type { ColumnType } from '../../../src/stats/types.js';
import { mixedTable } from './mixed-table.js';

const FEATURES = ['age', 'income', 'score', 'member', 'region', 'plan'];
const T = mixedTable({ rows: 800, seed: 11 });

function table(cols: Record<string, [ColumnType, Typed[]]>): TrainTable {
  const entries = Object.entries(cols);
  return {
    rows: entries[0]?.[1][1].length ?? 0,
    schema: { columns: entries.map(([name, [type]]) => ({ name, type, nullable: true })) },
    columns: Object.fromEntries(entries.map(([name, [, v]]) => [name, v])),
  };
}

function trainError(t: TrainTable, opts: TrainOptions): KeelError {
  try {
    train(t, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(KeelError);
    expect((e as KeelError).code).toBe('INVALID_PARAMETER_VALUE');
    return e as KeelError;
  }
  throw new Error('expected train() to fail');
}

describe('train: task inference', () => {
  it.each([
    ['gbdt', 'approved', 'binary', ['false', 'true']],
    ['gbdt', 'tier', 'multiclass', ['bronze', 'gold', 'silver']],
    ['gbdt', 'rating', 'multiclass', [1, 2, 3, 4, 5]],
    ['gbdt', 'amount', 'regression', null],
    ['linear', 'rating', 'regression', null],
    ['logistic', 'rating', 'multiclass', [1, 2, 3, 4, 5]],
  ] as const)('%s on %s → %s', (kind, target, task, classes) => {
    const p = train(T, { kind, target, features: FEATURES, params: kind === 'gbdt' ? 'trees=3' : undefined });
    expect(p.task).toBe(task);
    expect(p.classes).toEqual(classes);
    expect(p.kind).toBe(kind);
    expect(p.target).toBe(target);
  });

  it('an integer target with more than 20 values is a regression target', () => {
    const y = Array.from({ length: 100 }, (_, i) => i % 30);
    const t = table({ x: ['float', y.map((v) => v * 2 + 1)], y: ['integer', y] });
    expect(train(t, { kind: 'gbdt', target: 'y', params: 'trees=2' }).task).toBe('regression');
    expect(trainError(t, { kind: 'logistic', target: 'y' }).message).toBe(
      "logistic regression needs a classification target; 'y' is an integer column with over 20 values (use linear or gbdt)",
    );
  });
});

describe('train: results', () => {
  it('defaults features to the usable columns, says what it skipped, and reports metrics and history', () => {
    const history: IterationMetrics[] = [];
    const p = train(T, { kind: 'logistic', target: 'approved', onIteration: (m) => history.push(m) });
    expect(p.features.map((f) => f.name)).toEqual([...FEATURES, 'tier', 'rating', 'amount']);
    expect(p.skipped.map((s) => s.name)).toEqual(['signup', 'note']);
    expect(p.history).toEqual(history);
    expect(history.length).toBe(p.metrics['iterations']);
    expect(Object.keys(p.metrics).sort()).toEqual([
      'converged',
      'iterations',
      'train_accuracy',
      'train_log_loss',
    ]);
    expect(p.metrics['train_log_loss']).toBeCloseTo(history.at(-1)!.trainLoss, 5);
    expect(p.rows).toEqual({ train: 800, valid: 0, dropped: 0 });
    expect(p.params).toEqual({ l2: 1, max_iter: 500, tol: 1e-6, seed: 0 });
  });

  it('regression metrics: rmse, mae and r2', () => {
    const p = train(T, { kind: 'linear', target: 'amount', features: FEATURES });
    expect(Object.keys(p.metrics).sort()).toEqual(['train_mae', 'train_r2', 'train_rmse']);
    expect(p.metrics['train_rmse']).toBeGreaterThan(p.metrics['train_mae']!);
    expect(p.metrics['train_r2']).toBeGreaterThan(0.6);
    const pred = p.predict(T);
    expect(pred.labels).toBeNull();
    expect(pred.probabilities).toBeNull();
    expect(pred.values).toHaveLength(800);
  });

  it('drops rows without a target and counts them', () => {
    const approved = [...(T.columns['approved'] as Typed[])];
    for (let i = 0; i < 800; i += 10) approved[i] = null;
    const t = { ...T, columns: { ...T.columns, approved } };
    const p = train(t, { kind: 'logistic', target: 'approved', features: FEATURES });
    expect(p.rows).toEqual({ train: 720, valid: 0, dropped: 80 });
  });

  it('gbdt early stopping: auto holds out a stratified, seeded validation split above 10,000 rows', () => {
    const big = mixedTable({ rows: 12_000, seed: 2 });
    const opts: TrainOptions = {
      kind: 'gbdt',
      target: 'approved',
      features: FEATURES,
      params: 'trees=5,depth=3',
    };
    const p = train(big, opts);
    expect(p.rows).toEqual({ train: 10_800, valid: 1200, dropped: 0 });
    expect(p.params['early_stopping']).toBe(true);
    expect(p.history.every((h) => h.validLoss !== undefined)).toBe(true);
    expect(Object.keys(p.metrics)).toEqual(
      expect.arrayContaining([
        'train_accuracy',
        'train_log_loss',
        'valid_accuracy',
        'valid_log_loss',
        'trees',
      ]),
    );
    // Off below the threshold, or when turned off; the fraction is a parameter.
    expect(train(T, { ...opts }).rows.valid).toBe(0);
    expect(train(big, { ...opts, params: 'trees=2,early_stopping=false' }).rows.valid).toBe(0);
    expect(
      train(T, { ...opts, params: 'trees=2,early_stopping=true,validation_fraction=0.25' }).rows,
    ).toEqual({
      train: 600,
      valid: 200,
      dropped: 0,
    });
  });

  it('predicts probabilities whose rows sum to 1 and labels among the classes', () => {
    const p = train(T, { kind: 'gbdt', target: 'tier', features: FEATURES, params: 'trees=5' });
    const pred = p.predict(mixedTable({ rows: 50, seed: 3, unseen: 0.3 }));
    expect(pred.probabilities).toHaveLength(150);
    for (let i = 0; i < 50; i++) {
      const row = pred.probabilities!.subarray(i * 3, i * 3 + 3);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(p.classes![row.indexOf(Math.max(...row))]).toBe(pred.labels![i]);
    }
  });

  it('works on a table with only categorical features, and its ONNX model too', async () => {
    const n = 200;
    const color = Array.from({ length: n }, (_, i) => ['red', 'green', 'blue'][i % 3]!);
    const t = table({
      color: ['categorical', color],
      y: ['boolean', color.map((c, i) => c === 'red' || i % 7 === 0)],
    });
    for (const kind of ['logistic', 'gbdt'] as const) {
      const p = train(t, { kind, target: 'y' });
      const s = table({ color: ['categorical', ['red', 'purple', null]] });
      const out = await predict(await loadModel(p.toOnnx()), onnxFeeds(p.features, s));
      const mine = p.predict(s);
      expect(out.label!.data).toEqual(mine.labels);
      (out.probabilities!.data as number[]).forEach((v, i) => {
        expect(Math.abs(v - mine.probabilities![i]!)).toBeLessThan(1e-5);
      });
    }
  });
});

describe('train: errors', () => {
  it('an empty table', () => {
    expect(trainError(table({}), { kind: 'gbdt', target: 'y' }).message).toBe(
      'the table is empty: there is nothing to train on',
    );
  });

  it('a target that is not a column lists the columns', () => {
    const e = trainError(T, { kind: 'gbdt', target: 'aproved' });
    expect(e.message).toBe(
      "column 'aproved' is not in the table (columns: age, income, score, member, region, plan, signup, note, approved, tier, rating, amount)",
    );
    expect(e.details).toEqual({ field: 'target' });
  });

  it('a target with a single class', () => {
    const t = table({
      x: ['float', Array.from({ length: 1000 }, (_, i) => i)],
      approved: ['integer', Array(1000).fill(1)],
    });
    expect(trainError(t, { kind: 'gbdt', target: 'approved' }).message).toBe(
      "target 'approved' has a single class (1) in 1000 rows",
    );
  });

  it('a target without values', () => {
    const t = table({ x: ['float', [1, 2]], y: ['boolean', [null, null]] });
    expect(trainError(t, { kind: 'logistic', target: 'y' }).message).toBe(
      "target 'y' has no value in 2 rows",
    );
  });

  it('a target the trainer cannot learn', () => {
    expect(trainError(T, { kind: 'logistic', target: 'amount' }).message).toBe(
      "logistic regression needs a classification target; 'amount' is a float column (use linear or gbdt)",
    );
    expect(trainError(T, { kind: 'linear', target: 'tier' }).message).toBe(
      "linear regression needs a numeric target; 'tier' is a categorical column (use logistic or gbdt)",
    );
    expect(trainError(T, { kind: 'gbdt', target: 'signup' }).message).toBe(
      "target 'signup' is a datetime column; a target must be a class or a number",
    );
  });

  it('no usable features, with the reasons', () => {
    const t = table({
      when: ['datetime', [1, 2, 3]],
      empty: ['float', [null, null, null]],
      y: ['boolean', [true, false, true]],
    });
    expect(trainError(t, { kind: 'gbdt', target: 'y' }).message).toBe(
      "no usable features for target 'y' (when: datetime column: derive numeric features (e.g. day of week) from it first; " +
        'empty: no numeric value in the training rows)',
    );
  });

  it('a feature that is not in the schema, or is named like a model output', () => {
    expect(trainError(T, { kind: 'gbdt', target: 'approved', features: ['age', 'salary'] }).message).toMatch(
      /^column 'salary' is not in the table \(columns: age, /,
    );
    const t = table({ label: ['float', [1, 2, 3, 4]], y: ['boolean', [true, false, true, false]] });
    expect(trainError(t, { kind: 'logistic', target: 'y' }).message).toMatch(
      /^feature 'label' collides with a name the exported model uses \(label, probabilities, prediction, keel\/\*\)/,
    );
  });

  it('bad params and an unknown trainer', () => {
    expect(trainError(T, { kind: 'gbdt', target: 'approved', params: 'trees=0' }).message).toBe(
      "gbdt parameter trees must be an integer in 1..100000 (got '0')",
    );
    expect(trainError(T, { kind: 'forest' as never, target: 'approved' }).message).toBe(
      "unknown trainer 'forest' (trainers: gbdt, logistic, linear)",
    );
  });

  it('infinite feature values', () => {
    const t = table({
      x: ['float', [1, Number.POSITIVE_INFINITY, 3, 4]],
      y: ['boolean', [true, false, true, false]],
    });
    expect(trainError(t, { kind: 'logistic', target: 'y' }).message).toBe(
      "feature 'x' has a value that is infinite in float32 (row 1: Infinity)",
    );
  });

  it('predicting on a table without a feature column', () => {
    const p = train(T, { kind: 'linear', target: 'amount', features: ['age', 'plan'] });
    const t = table({ age: ['integer', [30]] });
    expect(() => p.predict(t)).toThrow(/^column 'plan' is not in the table \(columns: age\)/);
  });
});
