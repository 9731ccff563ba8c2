import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/models/eval/index.js';

describe('fairness (fairlearn definitions, hand-computed)', () => {
  // group:     A A A A  B B B B  C C  (missing)
  // actual:    1 1 0 0  1 0 0 0  0 0  1
  // predicted: 1 0 0 0  1 1 1 0  0 0  1
  const input = {
    task: 'binary' as const,
    classes: [0, 1],
    actual: [1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1],
    predicted: { labels: [1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1], probabilities: null, values: null },
    sensitive: { name: 'gender', values: ['A', 'A', 'A', 'A', 'B', 'B', 'B', 'B', 'C', 'C', null] },
  };

  it('computes selection rates, true-positive rates and their gaps', () => {
    const f = evaluate(input).fairness!;
    expect(f.attribute).toBe('gender');
    expect(f.positiveClass).toBe(1);
    expect(f.groups).toEqual([
      { value: 'A', rows: 4, selectionRate: 0.25, truePositiveRate: 0.5 },
      { value: 'B', rows: 4, selectionRate: 0.75, truePositiveRate: 1 },
      { value: 'C', rows: 2, selectionRate: 0, truePositiveRate: null },
      { value: '(missing)', rows: 1, selectionRate: 1, truePositiveRate: 1 },
    ]);
    // max − min selection rate: 1 − 0.
    expect(f.demographicParityDifference).toBe(1);
    // max − min TPR over groups with positives (C has none): 1 − 0.5.
    expect(f.equalOpportunityDifference).toBe(0.5);
  });

  it('judges the chosen positive class', () => {
    const f = evaluate({ ...input, positiveClass: 0 }).fairness!;
    // Predicted 0: A 3/4, B 1/4, C 2/2, (missing) 0/1.
    expect(f.groups.map((g) => g.selectionRate)).toEqual([0.75, 0.25, 1, 0]);
    expect(f.demographicParityDifference).toBe(1);
  });

  it('has no equal opportunity difference when no group has positives', () => {
    const f = evaluate({ ...input, actual: input.actual.map(() => 0) }).fairness!;
    expect(f.equalOpportunityDifference).toBeNull();
  });
});

describe('slices', () => {
  it('reports per-slice metrics, null AUC where a slice has one class, missing values last', () => {
    const r = evaluate({
      task: 'binary',
      classes: [0, 1],
      actual: [0, 1, 0, 1, 1, 1, 0, null],
      predicted: {
        labels: null,
        probabilities: Float64Array.from([0.2, 0.8, 0.3, 0.6, 0.9, 0.4, 0.1, 0.5].flatMap((p) => [1 - p, p])),
        values: null,
      },
      sliceBy: { name: 'region', values: ['north', 'north', 'north', 'north', 'south', 'south', 10, 'east'] },
    });
    expect(r.rows).toBe(7);
    const s = r.slices!;
    expect(s.column).toBe('region');
    // Row 7 (missing actual) is skipped, so "east" disappears; 10 is stringified and sorts first.
    expect(s.groups.map((g) => [g.value, g.rows])).toEqual([
      ['10', 1],
      ['north', 4],
      ['south', 2],
    ]);
    const [ten, north, south] = s.groups;
    expect(north!.metrics['roc_auc']).toBe(1);
    expect(north!.metrics['accuracy']).toBe(1);
    expect(south!.metrics['roc_auc']).toBeNull(); // only positives
    expect(south!.metrics['accuracy']).toBe(0.5);
    expect(ten!.metrics['precision']).toBeNull(); // nothing predicted positive
    expect(ten!.metrics['pr_auc']).toBeNull(); // no positives
  });

  it('groups missing slice values as "(missing)"', () => {
    const r = evaluate({
      task: 'binary',
      classes: [0, 1],
      actual: [0, 1, 1],
      predicted: { labels: [0, 1, 0], probabilities: null, values: null },
      sliceBy: { name: 'region', values: [null, 'x', Number.NaN] },
    });
    expect(r.slices!.groups.map((g) => [g.value, g.rows])).toEqual([
      ['x', 1],
      ['(missing)', 2],
    ]);
  });

  it('checks the slice column length', () => {
    expect(() =>
      evaluate({
        task: 'binary',
        classes: [0, 1],
        actual: [0, 1],
        predicted: { labels: [0, 1], probabilities: null, values: null },
        sliceBy: { name: 'region', values: ['x'] },
      }),
    ).toThrow(/sliceBy has 1 values for 2 rows/);
  });
});
