import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/models/eval/index.js';

const regression = (actual: (number | string | null)[], values: number[]) =>
  evaluate({
    task: 'regression',
    classes: null,
    actual,
    predicted: { labels: null, probabilities: null, values: Float64Array.from(values) },
  });

describe('evaluate: regression', () => {
  it("matches scikit-learn's documented example", () => {
    // sklearn 1.2.1: mean_squared_error(y, p, squared=False), mean_absolute_error, r2_score
    // with y = [3, -0.5, 2, 7], p = [2.5, 0.0, 2, 8]
    const r = regression([3, -0.5, 2, 7], [2.5, 0, 2, 8]);
    expect(Object.keys(r.metrics)).toEqual(['rmse', 'mae', 'r2']);
    expect(r.metrics['rmse']).toBeCloseTo(0.6123724356957945, 14);
    expect(r.metrics['mae']).toBeCloseTo(0.5, 14);
    expect(r.metrics['r2']).toBeCloseTo(0.9486081370449679, 14);
  });

  it("follows sklearn's force_finite rule for a constant target", () => {
    // r2_score([2, 2, 2], [2, 2, 2]) = 1.0; r2_score([2, 2, 2], [2, 2, 3]) = 0.0
    expect(regression([2, 2, 2], [2, 2, 2]).metrics['r2']).toBe(1);
    expect(regression([2, 2, 2], [2, 2, 3]).metrics['r2']).toBe(0);
    expect(regression([2], [3]).metrics['r2']).toBeNull();
  });

  it('skips missing targets, parses numeric strings and rejects non-numbers', () => {
    const r = regression(['3', null, '', 5], [2, 100, 100, 5]);
    expect(r.rows).toBe(2);
    expect(r.skipped).toBe(2);
    expect(r.metrics['mae']).toBeCloseTo(0.5, 14);
    expect(() => regression(['x'], [1])).toThrow(/not a number/);
    expect(() => regression([1], [Number.NaN])).toThrow(/predicted value of row 0/);
  });

  it('reports slices and refuses fairness', () => {
    const r = evaluate({
      task: 'regression',
      classes: null,
      actual: [1, 2, 3, 4],
      predicted: { labels: null, probabilities: null, values: Float64Array.from([1, 2, 4, 6]) },
      sliceBy: { name: 'region', values: ['n', 'n', 's', 's'] },
    });
    expect(r.slices?.groups.map((g) => [g.value, g.rows, g.metrics['mae']])).toEqual([
      ['n', 2, 0],
      ['s', 2, 1.5],
    ]);
    expect(() =>
      evaluate({
        task: 'regression',
        classes: null,
        actual: [1],
        predicted: { labels: null, probabilities: null, values: Float64Array.from([1]) },
        sensitive: { name: 'g', values: ['a'] },
      }),
    ).toThrow(/classification/);
  });
});
