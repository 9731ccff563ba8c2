import { describe, expect, it } from 'vitest';
import type { DataSchema } from '../../../src/data/formats/types.js';
import { evaluate, planChecks, RowChecker, summarize } from '../../../src/data/quality/checks.js';
import { type Expectation, parseExpectations } from '../../../src/data/quality/expectations.js';
import { suggestExpectations } from '../../../src/data/quality/suggest.js';
import { type Col, profileOf } from './fixtures.js';

const COLS: Col[] = [
  { name: 'id', type: 'integer' },
  { name: 'age', type: 'integer' },
  { name: 'salary', type: 'float' },
  { name: 'region', type: 'categorical' },
  { name: 'zipcode', type: 'text' },
  { name: 'note', type: 'text' },
  { name: 'joined', type: 'datetime' },
  { name: 'approved', type: 'boolean' },
  { name: 'delta', type: 'float' },
  { name: 'version', type: 'integer' },
  { name: 'children', type: 'integer' },
];
const SCHEMA: DataSchema = { columns: COLS.map((c) => ({ ...c, nullable: true })) };
const REGIONS = ['north', 'south', 'east', 'west'];

/** Deterministic reference rows; `drift` shifts ages and adds an unseen region. */
function rows(n: number, drift = false): unknown[][] {
  return Array.from({ length: n }, (_, i) => [
    i + 1,
    20 + ((i * 7) % 60) + (drift ? 30 : 0),
    i % 25 === 0 ? null : 30000 + ((i * 1234.5) % 90000),
    drift && i % 10 === 0 ? 'central' : REGIONS[i % 4],
    String(10000 + i * 37),
    `note ${i % 7}`,
    new Date(Date.UTC(2024, 0, 1) + i * 86_400_000),
    i % 3 === 0,
    -5 + ((i * 0.37) % 10),
    3,
    i % 5,
  ]);
}

/** Suggest → parse → plan → row pass → evaluate, as `keel data suggest` then `keel data check` do. */
function check(exps: Expectation[], data: unknown[][]) {
  const profile = profileOf(COLS, data);
  const plan = planChecks(exps, profile);
  const checker = new RowChecker(
    plan.rowChecks,
    COLS.map((c) => c.name),
  );
  for (const r of data) checker.add(r);
  return evaluate(exps, profile, checker.finish());
}

describe('suggestExpectations', () => {
  const reference = rows(200);
  const text = suggestExpectations(profileOf(COLS, reference), SCHEMA);
  const exps = parseExpectations(text, 'suggested.yaml');
  const find = (check: string, column?: string) =>
    exps.find((e) => e.check === check && (column === undefined || ('column' in e && e.column === column)));

  it('writes commented YAML', () => {
    expect(text).toMatch(/^# Suggested by keel from a reference profile \(200 rows, 11 columns\)/);
    expect(text).toContain("# at least half the reference's 200 rows");
    expect(text).toContain('# reference range [20, 79] widened by 10% of its width on each side');
    expect(text).toContain('values: [ east, north, south, west ]');
    expect(text).toContain('reference: [ east, north, south, west ]');
    expect(text).toContain('# No in_range on datetime columns');
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(110);
  });

  it('derives each check from the profile', () => {
    expect(find('row_count')).toEqual({ check: 'row_count', min: 100 });
    expect(find('schema')).toMatchObject({ exact: false, columns: { id: 'integer', joined: 'datetime' } });
    // 192 of 200 non-null = 96% → 0.95.
    expect(find('not_null', 'salary')).toEqual({ check: 'not_null', column: 'salary', mostly: 0.95 });
    expect(find('not_null', 'id')).toEqual({ check: 'not_null', column: 'id', mostly: 1 });
    // [20, 79] ± 5.9, rounded outwards to integers.
    expect(find('in_range', 'age')).toEqual({
      check: 'in_range',
      column: 'age',
      min: 14,
      max: 85,
      mostly: 1,
    });
    // [-5, 4.99…] ± 0.999, rounded outwards to two significant digits of the margin.
    expect(find('in_range', 'delta')).toMatchObject({ min: -6, max: 5.99 });
    // Non-negative reference: the lower bound stops at 0 rather than going below.
    expect(find('in_range', 'children')).toMatchObject({ min: 0, max: 5 });
    expect(text).toContain('# reference range [0, 4] widened by 10% of its width on each side, not below 0');
    // A constant column has no width: 10% of its value instead.
    expect(find('in_range', 'version')).toMatchObject({ min: 2, max: 4 });
    expect(find('in_set', 'region')).toMatchObject({ values: ['east', 'north', 'south', 'west'] });
    expect(find('no_new_categories', 'region')).toMatchObject({
      reference: ['east', 'north', 'south', 'west'],
    });
    expect(find('unique', 'id')).toBeDefined();
    expect(find('unique', 'zipcode')).toBeDefined();
    expect(find('unique', 'note')).toBeUndefined();
    // Identifiers grow and time moves forward: no range for either.
    expect(find('in_range', 'id')).toBeUndefined();
    expect(find('in_range', 'joined')).toBeUndefined();
    expect(find('in_set', 'approved')).toBeUndefined();
  });

  it('passes on the reference data itself', () => {
    const results = check(exps, reference);
    expect(results.filter((r) => !r.success)).toEqual([]);
    expect(summarize(results)).toEqual({ success: true, passed: exps.length, failed: 0 });
  });

  it('fails the suggested in_range, in_set and no_new_categories on drifted data', () => {
    const results = check(exps, rows(200, true));
    const failed = results.filter((r) => !r.success).map((r) => `${r.check} ${r.column}`);
    expect(failed.sort()).toEqual(['in_range age', 'in_set region', 'no_new_categories region']);
    const novel = results.find((r) => r.check === 'no_new_categories');
    expect(novel).toMatchObject({
      observed: '20 of 200 values (10%) in new categories',
      details: { sample: ['central'] },
    });
  });

  it('skips not_null for mostly-missing columns and unique within HLL error only', () => {
    const cols: Col[] = [{ name: 'x', type: 'integer' }];
    const sparse = Array.from({ length: 100 }, (_, i) => [i === 0 ? 1 : null]);
    const suggested = parseExpectations(
      suggestExpectations(profileOf(cols, sparse), {
        columns: [{ name: 'x', type: 'integer', nullable: true }],
      }),
      's.yaml',
    );
    expect(suggested.map((e) => e.check)).toEqual(['row_count', 'schema', 'in_range']);
    const profile = profileOf(
      cols,
      Array.from({ length: 1000 }, (_, i) => [i]),
    );
    const schema: DataSchema = { columns: [{ name: 'x', type: 'integer', nullable: false }] };
    const withEstimate = (distinctEstimate: number) => {
      const p = structuredClone(profile);
      p.columns[0]!.distinctEstimate = distinctEstimate;
      return parseExpectations(suggestExpectations(p, schema), 's.yaml').some((e) => e.check === 'unique');
    };
    expect(withEstimate(1013)).toBe(true);
    expect(withEstimate(985)).toBe(true);
    expect(withEstimate(950)).toBe(false);
  });
});
