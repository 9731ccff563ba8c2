import { describe, expect, it } from 'vitest';
import type { KeelError } from '../../../src/core/errors.js';
import type { Typed } from '../../../src/data/schema.js';
import type { TrainTable } from '../../../src/models/train/index.js';
import {
  buildMatrix,
  fitFeatures,
  MAX_CATEGORIES,
  matrixColumns,
  selectFeatures,
} from '../../../src/models/train/preprocess.js';
import type { ColumnType } from '../../../src/stats/types.js';
import { mixedTable } from './mixed-table.js';

function table(cols: Record<string, [ColumnType, Typed[]]>): TrainTable {
  const entries = Object.entries(cols);
  return {
    rows: entries[0]![1][1].length,
    schema: { columns: entries.map(([name, [type]]) => ({ name, type, nullable: true })) },
    columns: Object.fromEntries(entries.map(([name, [, v]]) => [name, v])),
  };
}

describe('selectFeatures', () => {
  it('defaults to every column but the target, skipping datetime and text with a reason', () => {
    const t = mixedTable({ rows: 10 });
    const { names, skipped } = selectFeatures(t, 'approved');
    expect(names).toEqual(['age', 'income', 'score', 'member', 'region', 'plan', 'tier', 'rating', 'amount']);
    expect(skipped).toEqual([
      { name: 'signup', reason: 'datetime column: derive numeric features (e.g. day of week) from it first' },
      { name: 'note', reason: 'text column: free text is not a feature the built-in trainers use' },
    ]);
  });

  it('checks an explicit list', () => {
    const t = mixedTable({ rows: 10 });
    expect(selectFeatures(t, 'approved', ['plan', 'age'])).toEqual({ names: ['plan', 'age'], skipped: [] });
    const err = (f: string[]) => {
      try {
        selectFeatures(t, 'approved', f);
      } catch (e) {
        expect((e as KeelError).code).toBe('INVALID_PARAMETER_VALUE');
        return (e as Error).message;
      }
      return null;
    };
    expect(err(['agee'])).toMatch(/^column 'agee' is not in the table \(columns: age, income, score/);
    expect(err(['approved'])).toBe("feature 'approved' is the target; leave it out of the features");
    expect(err(['note'])).toBe(
      "feature 'note' is a text column; features must be integer, float, boolean or categorical",
    );
    expect(err(['age', 'age'])).toBe("feature 'age' is listed twice");
  });
});

describe('fitFeatures', () => {
  it('imputes numeric features with the float32 median and records the range', () => {
    const t = table({
      odd: ['float', [3, null, 1, 2.1, Number.NaN, 10]],
      even: ['integer', [4, 1, null, 2, 8, 3]],
      flag: ['boolean', [true, false, true, null, true, true]],
    });
    const { features } = fitFeatures(t, ['odd', 'even', 'flag'], 'ordinal');
    // odd: 1, 2.1, 3, 10 → (2.1 + 3) / 2 in float32 values.
    expect(features[0]).toEqual({
      name: 'odd',
      kind: 'numeric',
      sourceType: 'float',
      impute: Math.fround((Math.fround(2.1) + 3) / 2),
      min: 1,
      max: 10,
    });
    expect(features[1]).toMatchObject({ impute: 3, min: 1, max: 8 });
    expect(features[2]).toMatchObject({ sourceType: 'boolean', impute: 1, min: 0, max: 1 });
    expect(features[0]!.mean).toBeUndefined();
  });

  it('standardises for linear models, over the imputed column, and keeps scale 1 for a constant', () => {
    const t = table({ x: ['float', [1, 2, null, 5]], c: ['integer', [7, 7, 7, null]] });
    const { features } = fitFeatures(t, ['x', 'c'], 'onehot');
    // x imputed with 2 → [1, 2, 2, 5]: mean 2.5, population variance 9 / 4.
    expect(features[0]).toMatchObject({ impute: 2, mean: 2.5, scale: 1.5 });
    expect(features[1]).toMatchObject({ impute: 7, mean: 7, scale: 1 });
  });

  it('lists categories in code-unit order, keeps the most frequent, and skips empty columns', () => {
    const t = table({
      cat: ['categorical', ['b', 'a', null, 'B', 'a', 'é']],
      none: ['categorical', [null, null, null, null, null, null]],
      nan: ['float', [null, null, null, null, null, Number.NaN]],
    });
    const { features, skipped } = fitFeatures(t, ['cat', 'none', 'nan'], 'onehot');
    expect(features).toEqual([
      { name: 'cat', kind: 'categorical', sourceType: 'categorical', categories: ['B', 'a', 'b', 'é'] },
    ]);
    expect(skipped).toEqual([
      { name: 'none', reason: 'no value in the training rows' },
      { name: 'nan', reason: 'no numeric value in the training rows' },
    ]);
    const many = Array.from({ length: 300 }, (_, i) => `c${String(i).padStart(3, '0')}`);
    // c000 appears 3 times, c001 twice, the rest once: the top 250 keep c000 and c001.
    const values = [...many, 'c299', 'c299', 'c001'];
    const big = fitFeatures(table({ k: ['categorical', values] }), ['k'], 'ordinal').features[0]!;
    expect(big.categories).toHaveLength(MAX_CATEGORIES.ordinal);
    expect(big.categories).toContain('c299');
    expect(big.categories).toContain('c001');
    expect(big.categories!.slice(0, 3)).toEqual(['c000', 'c001', 'c002']);
  });

  it('fits on the given rows only', () => {
    const t = table({ x: ['float', [1, 2, 3, 100]], k: ['categorical', ['a', 'b', 'c', 'z']] });
    const { features } = fitFeatures(t, ['x', 'k'], 'ordinal', [0, 1, 2]);
    expect(features[0]).toMatchObject({ impute: 2, max: 3 });
    expect(features[1]!.categories).toEqual(['a', 'b', 'c']);
  });
});

describe('buildMatrix', () => {
  const t = table({
    k: ['categorical', ['red', 'blue', null, 'green', 'blue']],
    x: ['float', [0.1, null, 3, 4, 1e-8]],
    b: ['boolean', [true, false, null, true, false]],
  });

  it('one-hot: numerics (imputed, scaled in float32) first, then the one-hot block; unseen is all zeros', () => {
    const { features } = fitFeatures(t, ['k', 'x', 'b'], 'onehot', [0, 1, 2, 4]);
    expect(matrixColumns(features, 'onehot')).toEqual(['x', 'b', 'k=blue', 'k=red']);
    const m = buildMatrix(features, 'onehot', t);
    expect([m.rows, m.cols]).toEqual([5, 4]);
    const x = features.find((f) => f.name === 'x')!;
    const f = Math.fround;
    const scaled = (v: number) => f(f(f(v) - f(x.mean!)) * f(1 / x.scale!));
    const row = (i: number) => Array.from(m.data.subarray(i * 4, i * 4 + 4));
    expect(row(0)[0]).toBe(scaled(0.1));
    expect(row(1)[0]).toBe(scaled(x.impute!));
    expect(row(0).slice(2)).toEqual([0, 1]);
    expect(row(2).slice(2)).toEqual([0, 0]); // missing
    expect(row(3).slice(2)).toEqual([0, 0]); // 'green' was not in the fitted rows
    // Every value is a float32.
    for (const v of m.data) expect(Math.fround(v)).toBe(v);
  });

  it('ordinal: raw float32 numerics and category codes, -1 for unseen or missing', () => {
    const { features } = fitFeatures(t, ['k', 'x', 'b'], 'ordinal', [0, 1, 2, 4]);
    expect(matrixColumns(features, 'ordinal')).toEqual(['x', 'b', 'k']);
    const m = buildMatrix(features, 'ordinal', t);
    expect(Array.from(m.data)).toEqual([
      Math.fround(0.1),
      1,
      1,
      features[1]!.impute!,
      0,
      0,
      3,
      features[2]!.impute!,
      -1,
      4,
      1,
      -1,
      Math.fround(1e-8),
      0,
      0,
    ]);
  });
});
