import { describe, expect, it } from 'vitest';
import {
  columnDrift,
  columnDriftFromProfiles,
  DEFAULT_THRESHOLDS,
  datasetDrift,
  defaultMethod,
  isDrift,
} from '../../../src/stats/drift/index.js';
import { categoricalProfile, equalEdges, numericProfile } from './profiles.js';

// n values cycling through d distinct numbers (0..d−1), shifted by `shift`.
const nums = (n: number, d: number, shift = 0) => Array.from({ length: n }, (_, i) => (i % d) + shift);
const cats = (n: number, d: number) => Array.from({ length: n }, (_, i) => `c${i % d}`);

describe("Evidently's default test selection (registry.py::_get_default_stattest)", () => {
  it.each([
    // numeric, reference rows, distinct over ref ∪ cur → method
    [true, 1000, 6, 'ks'],
    [true, 1001, 6, 'wasserstein'],
    [true, 1000, 5, 'chisquare'],
    [true, 1000, 3, 'chisquare'],
    [true, 1000, 2, 'ztest'],
    [true, 1001, 5, 'jensenshannon'],
    [true, 1001, 2, 'jensenshannon'],
    [false, 1000, 50, 'chisquare'],
    [false, 1000, 3, 'chisquare'],
    [false, 1000, 2, 'ztest'],
    [false, 1001, 2, 'jensenshannon'],
    [false, 1001, 50, 'jensenshannon'],
  ] as const)('numeric=%s, %i rows, %i distinct → %s', (numeric, rows, distinct, method) => {
    expect(defaultMethod(numeric, rows, distinct)).toBe(method);
  });

  it('has Evidently’s default thresholds', () => {
    expect(DEFAULT_THRESHOLDS).toEqual({
      ks: 0.05,
      chisquare: 0.05,
      ztest: 0.05,
      jensenshannon: 0.1,
      wasserstein: 0.1,
      psi: 0.1,
    });
  });

  it('compares as Evidently: ks p ≤ thr, chisquare/z p < thr, distances ≥ thr', () => {
    expect(isDrift('ks', 0.3, 0.05, 0.05)).toBe(true);
    expect(isDrift('chisquare', 5, 0.05, 0.05)).toBe(false);
    expect(isDrift('ztest', 2, 0.05, 0.05)).toBe(false);
    expect(isDrift('wasserstein', 0.1, undefined, 0.1)).toBe(true);
    expect(isDrift('jensenshannon', 0.1, undefined, 0.1)).toBe(true);
    expect(isDrift('psi', 0.0999, undefined, 0.1)).toBe(false);
  });
});

describe('columnDrift on raw values', () => {
  it('picks KS for ≤ 1000 numeric rows with > 5 values and Wasserstein above', () => {
    const small = columnDrift(nums(1000, 10), nums(500, 10, 3), { column: 'age' });
    expect(small).toMatchObject({
      column: 'age',
      type: 'integer',
      method: 'ks',
      threshold: 0.05,
      approximate: false,
    });
    expect(small.pValue).toBeLessThan(0.05);
    expect(small.drifted).toBe(true);
    const large = columnDrift(nums(1001, 10), nums(500, 10), { column: 'age' });
    expect(large).toMatchObject({ method: 'wasserstein', threshold: 0.1, drifted: false });
    expect(large.pValue).toBeUndefined();
  });

  it('counts reference rows after dropping missing values, as Evidently', () => {
    const ref = [...nums(1000, 10), Number.NaN, null];
    expect(columnDrift(ref, nums(10, 10)).method).toBe('ks');
  });

  it('counts distinct values over reference and current together', () => {
    // Reference {0, 1}, current {2}: three values → chi-squared, not the z-test.
    expect(columnDrift(nums(100, 2), [2, 2]).method).toBe('chisquare');
    expect(columnDrift(nums(100, 2), [1, 0]).method).toBe('ztest');
  });

  it('categorical columns: chi-squared, z-test for binary, JS above 1000 rows', () => {
    expect(columnDrift(cats(1000, 4), cats(100, 4)).method).toBe('chisquare');
    expect(columnDrift([true, false, true], [false, false])).toMatchObject({
      type: 'boolean',
      method: 'ztest',
    });
    const js = columnDrift(cats(2000, 4), cats(100, 3));
    expect(js).toMatchObject({ type: 'categorical', method: 'jensenshannon', threshold: 0.1 });
    expect(js.statistic).toBeGreaterThan(0.1);
    expect(js.drifted).toBe(true);
  });

  it('honours per-column method and threshold overrides', () => {
    const r = columnDrift(nums(100, 10), nums(100, 10, 1), { method: 'psi', threshold: 0.25 });
    expect(r).toMatchObject({ method: 'psi', threshold: 0.25 });
    expect(r.drifted).toBe(r.statistic >= 0.25);
    expect(columnDrift(nums(100, 10), nums(100, 10), { threshold: 0.5 }).threshold).toBe(0.5);
  });

  it('rejects tests that do not fit the column, and text columns', () => {
    expect(() => columnDrift(['a'], ['b'], { column: 'city', method: 'ks' })).toThrow(/'city'.*numeric/);
    expect(() => columnDrift(['a'], ['b'], { column: 'note', type: 'text' })).toThrow(/'note'/);
    expect(() => columnDrift([null], [1], { column: 'x' })).toThrow(
      expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }),
    );
  });
});

describe('columnDrift from profiles', () => {
  it('applies the same rules and flags binned results as approximate', () => {
    const ref = nums(2000, 50);
    const edges = equalEdges(ref, 20);
    const r = columnDriftFromProfiles(
      numericProfile('x', ref, edges),
      numericProfile('x', nums(300, 50, 10), edges),
    );
    expect(r).toMatchObject({
      column: 'x',
      type: 'float',
      method: 'wasserstein',
      approximate: true,
      drifted: true,
    });
    const k = columnDriftFromProfiles(
      numericProfile('x', nums(800, 50), edges),
      numericProfile('x', nums(300, 50), edges),
    );
    expect(k).toMatchObject({ method: 'ks', approximate: true, drifted: false });
  });

  it('categorical profiles with exact top-k are not approximate and match the raw verdict', () => {
    const ref = cats(600, 4);
    const cur = [...cats(300, 4), ...Array(100).fill('c0')];
    const p = columnDriftFromProfiles(categoricalProfile('city', ref), categoricalProfile('city', cur));
    const raw = columnDrift(ref, cur, { column: 'city' });
    expect(p).toMatchObject({ method: 'chisquare', approximate: false, drifted: raw.drifted });
    expect(p.pValue).toBeCloseTo(raw.pValue!, 12);
  });

  it('throws invalidParam naming the column when histogram edges differ', () => {
    const a = numericProfile('income', nums(100, 10), [0, 5, 10]);
    const b = numericProfile('income', nums(100, 10), [0, 4, 10]);
    expect(() => columnDriftFromProfiles(a, b)).toThrow(/'income'.*different edges/);
  });
});

describe('datasetDrift (data_drift.py::get_dataset_drift)', () => {
  const r = (drifted: boolean) => ({ drifted });

  it('drifts when the share of drifted columns is ≥ 0.5', () => {
    expect(datasetDrift([r(true), r(false)])).toEqual({
      driftedColumns: 1,
      totalColumns: 2,
      share: 0.5,
      threshold: 0.5,
      drifted: true,
    });
    expect(datasetDrift([r(true), r(false), r(false)]).drifted).toBe(false);
  });

  it('takes a custom share and handles no columns', () => {
    expect(datasetDrift([r(true), r(false), r(false)], 0.3).drifted).toBe(true);
    expect(datasetDrift([])).toMatchObject({ totalColumns: 0, share: 0, drifted: false });
    expect(() => datasetDrift([], 0)).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
  });
});
