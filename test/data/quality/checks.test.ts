import { describe, expect, it } from 'vitest';
import {
  type CheckResult,
  evaluate,
  planChecks,
  RowChecker,
  summarize,
} from '../../../src/data/quality/checks.js';
import { type Expectation, parseExpectations } from '../../../src/data/quality/expectations.js';
import type { DatasetProfile } from '../../../src/stats/types.js';
import { type Col, profileOf } from './fixtures.js';

const COLS: Col[] = [
  { name: 'id', type: 'integer' },
  { name: 'age', type: 'integer' },
  { name: 'salary', type: 'float' },
  { name: 'region', type: 'categorical' },
  { name: 'zipcode', type: 'text' },
];
const ROWS: unknown[][] = [
  [1, 25, 50000, 'north', '12345'],
  [2, 30, null, 'south', '23456'],
  [3, 45, 72000.5, 'east', '34567'],
  [4, 17, 61000, 'west', 'ABCDE'],
  [5, 60, 58000, 'north', '45678'],
  [5, 101, 90000, 'central', '5678'],
  [7, 33, 40000, 'south', null],
  [8, 41, 45000, 'north', '67890'],
  [9, 52, 52000, null, '78901'],
  [10, 29, 47000, 'east', '89012'],
];

const parse = (body: string): Expectation[] => parseExpectations(`expectations:\n${body}`, 'test.yaml');

/** Plans, runs the row pass when needed, evaluates: the whole flow a caller follows. */
function run(body: string, opts: { topCap?: number; rows?: unknown[][]; cols?: Col[] } = {}): CheckResult[] {
  const cols = opts.cols ?? COLS;
  const rows = opts.rows ?? ROWS;
  const profile = profileOf(cols, rows, opts.topCap);
  const exps = parse(body);
  const plan = planChecks(exps, profile);
  if (!plan.needsRows) return evaluate(exps, profile);
  const checker = new RowChecker(
    plan.rowChecks,
    cols.map((c) => c.name),
  );
  for (const r of rows) checker.add(r);
  return evaluate(exps, profile, checker.finish());
}

const one = (body: string, opts?: Parameters<typeof run>[1]): CheckResult => run(body, opts)[0]!;

describe('profile-answered checks', () => {
  it('row_count', () => {
    expect(one('  - check: row_count\n    min: 5\n')).toEqual({
      check: 'row_count',
      success: true,
      observed: '10 rows',
    });
    expect(one('  - check: row_count\n    min: 20\n')).toMatchObject({
      success: false,
      observed: '10 rows, expected ≥ 20',
    });
    expect(one('  - check: row_count\n    min: 1\n    max: 8\n').observed).toBe('10 rows, expected [1, 8]');
  });

  it('schema: names and types, extra columns only with exact', () => {
    expect(one('  - check: schema\n    columns: {id: integer, age: integer, salary: float}\n')).toMatchObject(
      {
        success: true,
        observed: '3 columns match (2 more not checked)',
      },
    );
    // Whole numbers satisfy float.
    expect(one('  - check: schema\n    columns: {id: float}\n').success).toBe(true);
    expect(one('  - check: schema\n    columns: {age: float, salary: integer, email: text}\n')).toMatchObject(
      {
        success: false,
        observed: "'salary' is float, expected integer; missing column 'email'",
      },
    );
    const exact = one(
      '  - check: schema\n    columns: {id: integer, age: integer, salary: float}\n    exact: true\n',
    );
    expect(exact).toMatchObject({
      success: false,
      observed: "unexpected column 'region'; unexpected column 'zipcode'",
    });
  });

  it('not_null with and without mostly', () => {
    expect(one('  - check: not_null\n    column: salary\n')).toEqual({
      check: 'not_null',
      column: 'salary',
      success: false,
      observed: '90% non-null (1 of 10 null)',
      details: { unexpectedCount: 1, unexpectedPercent: 10 },
    });
    expect(one('  - check: not_null\n    column: salary\n    mostly: 0.9\n')).toMatchObject({
      success: true,
      observed: '90% non-null (1 of 10 null); mostly ≥ 90% required',
    });
    expect(one('  - check: not_null\n    column: age\n').observed).toBe('100% non-null (0 of 10 null)');
    const big: DatasetProfile = {
      rows: 950,
      badRows: 0,
      columns: [{ name: 'salary', type: 'float', count: 950, missing: 17, hll: '', distinctEstimate: 900 }],
    };
    const [r] = evaluate(parse('  - check: not_null\n    column: salary\n    mostly: 0.99\n'), big);
    expect(r).toMatchObject({
      success: false,
      observed: '98.2% non-null (17 of 950 null); mostly ≥ 99% required',
    });
    expect(r?.details?.unexpectedCount).toBe(17);
  });

  it('in_range inside the profile min/max needs no rows', () => {
    const exps = parse('  - check: in_range\n    column: age\n    min: 10\n    max: 200\n');
    const profile = profileOf(COLS, ROWS);
    expect(planChecks(exps, profile)).toEqual({ needsRows: false, rowChecks: [] });
    expect(evaluate(exps, profile)[0]).toMatchObject({
      success: true,
      observed: 'all 10 values in [10, 200] (min 17, max 101)',
      details: { unexpectedCount: 0, unexpectedPercent: 0 },
    });
  });

  it('in_set and no_new_categories from an exact top-k', () => {
    const exps = parse(
      '  - check: in_set\n    column: region\n    values: [north, south, east, west]\n' +
        '  - check: no_new_categories\n    column: region\n    reference: [north, south, east, west, central]\n',
    );
    const profile = profileOf(COLS, ROWS);
    expect(planChecks(exps, profile).needsRows).toBe(false);
    const [set, novel] = evaluate(exps, profile);
    expect(set).toMatchObject({
      success: false,
      observed: '1 of 9 values (11.1%) not in the set',
      details: { unexpectedCount: 1, sample: ['central'] },
    });
    expect(set?.details?.unexpectedPercent).toBeCloseTo(100 / 9);
    expect(novel).toMatchObject({ success: true, observed: 'no categories outside the 5 of the reference' });
  });

  it('reports missing columns', () => {
    const [a, b] = run('  - check: not_null\n    column: nope\n  - check: unique\n    column: nope\n');
    expect(a).toMatchObject({ success: false, observed: "column 'nope' not in the data" });
    expect(b).toMatchObject({ success: false, observed: "column 'nope' not in the data" });
  });
});

describe('row-pass checks', () => {
  it('plans every row check without a profile, and none of the profile ones', () => {
    const exps = parse(
      '  - check: row_count\n    min: 1\n  - check: not_null\n    column: id\n' +
        '  - check: unique\n    column: id\n  - check: in_range\n    column: age\n    min: 0\n',
    );
    expect(planChecks(exps).rowChecks.map((e) => e.check)).toEqual(['unique', 'in_range']);
    expect(planChecks(exps, profileOf(COLS, ROWS)).rowChecks.map((e) => e.check)).toEqual(['unique']);
  });

  it('in_range outside the profile range counts the values from the rows', () => {
    const body = '  - check: in_range\n    column: age\n    min: 18\n    max: 100\n';
    expect(one(body)).toEqual({
      check: 'in_range',
      column: 'age',
      success: false,
      observed: '2 of 10 values (20%) outside [18, 100] (min 17, max 101)',
      details: { unexpectedCount: 2, unexpectedPercent: 20, sample: [17, 101] },
    });
    expect(one(`${body}    mostly: 0.8\n`)).toMatchObject({
      success: true,
      observed: '2 of 10 values (20%) outside [18, 100] (min 17, max 101); mostly ≥ 80% required',
    });
    // Without the row pass the profile still proves the failure, but not the count.
    const exps = parse(body);
    expect(evaluate(exps, profileOf(COLS, ROWS))[0]).toMatchObject({
      success: false,
      observed: 'min 17, max 101 outside [18, 100]; counting the values outside needs a pass over the rows',
    });
  });

  it('in_set and no_new_categories when the top-k is not exact', () => {
    const body =
      '  - check: in_set\n    column: region\n    values: [north, south, east, west]\n    mostly: 0.8\n' +
      '  - check: no_new_categories\n    column: region\n    reference: [north, south, east, west]\n';
    const [set, novel] = run(body, { topCap: 2 });
    expect(set).toMatchObject({
      success: true,
      observed: '1 of 9 values (11.1%) not in the set; mostly ≥ 80% required',
      details: { unexpectedCount: 1, sample: ['central'] },
    });
    expect(novel).toMatchObject({
      success: false,
      observed: '1 of 9 values (11.1%) in new categories',
      details: { unexpectedCount: 1, sample: ['central'] },
    });
    expect(run(body.replace('west]\n', 'west, central]\n'), { topCap: 2 })[0]).toMatchObject({
      success: true,
      observed: 'all 9 values in the set; mostly ≥ 80% required',
    });
  });

  it('unique counts repeats of numbers and of strings', () => {
    expect(one('  - check: unique\n    column: id\n')).toEqual({
      check: 'unique',
      column: 'id',
      success: false,
      observed: '1 of 10 values (10%) repeat an earlier value',
      details: { unexpectedCount: 1, unexpectedPercent: 10, sample: [5] },
    });
    expect(one('  - check: unique\n    column: region\n')).toMatchObject({
      observed: '4 of 9 values (44.4%) repeat an earlier value',
      details: { unexpectedCount: 4, sample: ['north', 'south', 'east'] },
    });
    expect(one('  - check: unique\n    column: zipcode\n')).toMatchObject({
      success: true,
      observed: 'all 9 values distinct',
    });
  });

  it('unique over many numbers (typed buffer growth) and dates', () => {
    const cols: Col[] = [{ name: 'x', type: 'integer' }];
    const rows = Array.from({ length: 5000 }, (_, i) => [i % 4000]);
    expect(one('  - check: unique\n    column: x\n', { cols, rows })).toMatchObject({
      success: false,
      observed: '1000 of 5000 values (20%) repeat an earlier value',
      details: { unexpectedCount: 1000, sample: [0, 1, 2, 3, 4] },
    });
    const d = [{ name: 'd', type: 'datetime' }] satisfies Col[];
    const dates = [[new Date(0)], [new Date(1000)], [new Date(0)], [null]];
    expect(one('  - check: unique\n    column: d\n', { cols: d, rows: dates }).details?.unexpectedCount).toBe(
      1,
    );
  });

  it('regex', () => {
    const body = "  - check: regex\n    column: zipcode\n    pattern: '^[0-9]{5}$'\n";
    expect(one(body)).toEqual({
      check: 'regex',
      column: 'zipcode',
      success: false,
      observed: "2 of 9 values (22.2%) don't match /^[0-9]{5}$/",
      details: { unexpectedCount: 2, unexpectedPercent: (2 / 9) * 100, sample: ['ABCDE', '5678'] },
    });
    expect(one(`${body}    mostly: 0.7\n`).success).toBe(true);
    expect(one("  - check: regex\n    column: zipcode\n    pattern: '^[0-9A-Z]+$'\n")).toMatchObject({
      success: true,
      observed: 'all 9 values match /^[0-9A-Z]+$/',
    });
  });

  it('treats non-numeric values as out of range and NaN as missing', () => {
    const cols: Col[] = [{ name: 'v', type: 'float' }];
    const exps = parse('  - check: in_range\n    column: v\n    min: 0\n    max: 10\n');
    const checker = new RowChecker(exps, ['v']);
    for (const v of [1, Number.NaN, 'abc', '5', 11]) checker.add([v]);
    const [r] = evaluate(exps, profileOf(cols, [[1]]), checker.finish());
    expect(r).toMatchObject({
      success: false,
      observed: '2 of 4 values (50%) outside [0, 10] (min 1, max 11)',
      details: { unexpectedCount: 2, sample: ['abc', 11] },
    });
  });

  it('keeps at most five distinct samples', () => {
    const cols: Col[] = [{ name: 'c', type: 'categorical' }];
    const rows = ['a', 'b', 'b', 'c', 'd', 'e', 'f', 'g'].map((v) => [v]);
    const r = one('  - check: in_set\n    column: c\n    values: [z]\n', { cols, rows, topCap: 1 });
    expect(r.details).toEqual({
      unexpectedCount: 8,
      unexpectedPercent: 100,
      sample: ['a', 'b', 'c', 'd', 'e'],
    });
  });
});

describe('summarize', () => {
  it('counts passes and failures', () => {
    const results = run('  - check: row_count\n    min: 1\n  - check: unique\n    column: id\n');
    expect(summarize(results)).toEqual({ success: false, passed: 1, failed: 1 });
    expect(summarize([])).toEqual({ success: true, passed: 0, failed: 0 });
  });
});
