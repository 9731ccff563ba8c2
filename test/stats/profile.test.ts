import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeelError } from '../../src/core/errors.js';
import { Hll } from '../../src/stats/hll.js';
import {
  type CellValue,
  ColumnProfiler,
  DatasetProfiler,
  LOW_CARDINALITY,
  mergeColumnProfiles,
  mergeDatasetProfiles,
} from '../../src/stats/profile.js';
import { QUANTILE_RELATIVE_ACCURACY, QuantileSketch } from '../../src/stats/quantiles.js';
import type { ColumnProfile, ColumnType, DatasetProfile } from '../../src/stats/types.js';

const SCHEMA: { name: string; type: ColumnType }[] = [
  { name: 'x', type: 'float' },
  { name: 'n', type: 'integer' },
  { name: 'f', type: 'float' }, // fixed edges
  { name: 't', type: 'datetime' },
  { name: 'b', type: 'boolean' },
  { name: 'c', type: 'categorical' },
  { name: 's', type: 'text' },
];
const EDGES = { f: [-1000, -10, 0, 0.5, 10, 1000] };

const row = fc.tuple(
  fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(null), fc.constant(Number.NaN)),
  fc.oneof(fc.integer({ min: -50, max: 50 }), fc.constant(null)),
  fc.oneof(fc.double({ min: -2000, max: 2000, noNaN: true }), fc.constant(undefined)),
  fc.oneof(fc.integer({ min: 1_600_000_000_000, max: 1_700_000_000_000 }), fc.constant(null)),
  fc.oneof(fc.boolean(), fc.constant(null)),
  fc.oneof(fc.constantFrom('red', 'green', 'blue', 'amber', ''), fc.constant(null)),
  fc.oneof(fc.string({ maxLength: 4 }), fc.constant(null)),
);
const rows = fc.array(row, { maxLength: 60 });

const profileOf = (data: readonly (readonly CellValue[])[]): DatasetProfile => {
  const p = new DatasetProfiler(SCHEMA, { edges: EDGES });
  for (const r of data) p.addRow(r);
  return p.finish();
};

/** Largest finite magnitude in a column (≥ 1): the scale the moments' rounding is relative to. */
const scaleOf = (data: readonly (readonly CellValue[])[], i: number): number =>
  data.reduce((m, r) => {
    const v = r[i];
    return typeof v === 'number' && Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m;
  }, 1);

/**
 * The mergeability contract: count, missing, min, max, sketches (bin for bin, so the serialised
 * strings match), HLL registers, histograms and exact top-k identical; mean and m2 within 1e-9
 * relative to the data's scale (floating-point summation order differs).
 */
function expectSameProfile(
  actual: DatasetProfile,
  expected: DatasetProfile,
  data: readonly (readonly CellValue[])[],
): void {
  expect(actual.rows).toBe(expected.rows);
  expect(actual.badRows).toBe(expected.badRows);
  expect(actual.columns.map((c) => c.name)).toEqual(expected.columns.map((c) => c.name));
  actual.columns.forEach((a, i) => {
    const e = expected.columns[i]!;
    const { moments: ma, ...restA } = a;
    const { moments: me, ...restE } = e;
    expect(restA).toEqual(restE);
    expect(ma === undefined).toBe(me === undefined);
    if (ma && me) {
      const scale = scaleOf(data, i);
      expect([ma.count, ma.min, ma.max]).toEqual([me.count, me.min, me.max]);
      expect(Math.abs(ma.mean - me.mean)).toBeLessThanOrEqual(1e-9 * scale);
      expect(Math.abs(ma.m2 - me.m2)).toBeLessThanOrEqual(1e-9 * me.count * scale * scale);
    }
  });
}

describe('ColumnProfiler', () => {
  it('profiles a numeric column with known values', () => {
    const p = new ColumnProfiler('x', 'float');
    for (const v of [
      2,
      4,
      4,
      4,
      5,
      5,
      7,
      9,
      null,
      undefined,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      'oops',
      '',
    ])
      p.add(v);
    p.add('4'); // numeric strings are parsed
    const c = p.finish();
    expect(c.count).toBe(15);
    expect(c.missing).toBe(6);
    expect(c.moments!.count).toBe(9);
    expect(c.moments!.mean).toBeCloseTo(44 / 9, 12);
    expect([c.moments!.min, c.moments!.max]).toEqual([2, 9]);
    expect(c.distinctEstimate).toBe(5);
    expect(c.quantileAccuracy).toBe(QUANTILE_RELATIVE_ACCURACY);
    const s = QuantileSketch.fromBase64(c.sketch!);
    expect(s.count).toBe(9);
    expect(Math.abs(s.quantile(0.5) - 4)).toBeLessThanOrEqual(0.04);
    // Derived histogram: quantile edges from the exact min to the exact max, every value binned.
    const h = c.histogram!;
    expect(h.fixed).toBeUndefined();
    expect([h.edges[0], h.edges[h.edges.length - 1]]).toEqual([2, 9]);
    expect(h.counts.reduce((a, b) => a + b) + h.underflow + h.overflow).toBe(9);
    // Five distinct values: exact per-value counts, so drift can test the column as categories.
    expect(c.top).toEqual({
      items: [
        ['4', 4],
        ['5', 2],
        ['2', 1],
        ['7', 1],
        ['9', 1],
      ],
      other: 0,
      exact: true,
    });
  });

  it('drops per-value counts of a numeric column past LOW_CARDINALITY distinct values, also in merges', () => {
    const few = new ColumnProfiler('x', 'integer');
    for (let i = 0; i < 1000; i++) few.add(i % LOW_CARDINALITY);
    const many = new ColumnProfiler('x', 'integer');
    for (let i = 0; i < 1000; i++) many.add(i);
    expect(few.finish().top?.items).toHaveLength(LOW_CARDINALITY);
    expect(many.finish().top).toBeUndefined();
    expect(mergeColumnProfiles(few.finish(), many.finish()).top).toBeUndefined();
    const shifted = new ColumnProfiler('x', 'integer');
    for (let i = 0; i < 10; i++) shifted.add(100 + i);
    // The union has LOW_CARDINALITY + 10 values: too many to keep.
    expect(mergeColumnProfiles(few.finish(), shifted.finish()).top).toBeUndefined();
    // 1000 values over 32: the most frequent occurs 32 times on each side.
    expect(mergeColumnProfiles(few.finish(), few.finish()).top?.items[0]?.[1]).toBe(64);
  });

  it('bins exactly on fixed edges', () => {
    const p = new ColumnProfiler('x', 'integer', { edges: [0, 10, 20] });
    for (const v of [-5, 0, 9, 10, 20, 21, 15]) p.add(v);
    expect(p.finish().histogram).toEqual({
      edges: [0, 10, 20],
      counts: [2, 3],
      underflow: 1,
      overflow: 1,
      fixed: true,
    });
  });

  it('profiles booleans as 0/1 moments plus top-k', () => {
    const p = new ColumnProfiler('b', 'boolean');
    for (const v of [true, false, true, 'true', 'no', 1, null, 'maybe']) p.add(v);
    const c = p.finish();
    expect([c.count, c.missing]).toEqual([8, 2]);
    expect(c.moments!.mean).toBeCloseTo(4 / 6, 12);
    expect(c.top).toEqual({
      items: [
        ['true', 4],
        ['false', 2],
      ],
      other: 0,
      exact: true,
    });
    expect(c.distinctEstimate).toBe(2);
    expect(c.sketch).toBeUndefined();
  });

  it('profiles categoricals with top-k and HLL only (numbers counted as their strings)', () => {
    const p = new ColumnProfiler('c', 'categorical');
    for (const v of ['a', 'b', 'a', 3, '3', null, Number.NaN, true]) p.add(v);
    const c = p.finish();
    expect([c.count, c.missing, c.distinctEstimate]).toEqual([8, 2, 4]);
    expect(c.top!.items).toEqual([
      ['3', 2],
      ['a', 2],
      ['b', 1],
      ['true', 1],
    ]);
    expect(c.moments).toBeUndefined();
    expect(c.histogram).toBeUndefined();
  });

  it('profiles datetimes as epoch milliseconds, from numbers or ISO strings', () => {
    const p = new ColumnProfiler('t', 'datetime');
    for (const v of ['2024-01-01T00:00:00Z', 1_704_067_200_000 + 1000, 'not a date', null]) p.add(v);
    const c = p.finish();
    expect(c.missing).toBe(2);
    expect([c.moments!.min, c.moments!.max]).toEqual([1_704_067_200_000, 1_704_067_201_000]);
  });

  it('gives a constant column one closed bin and an all-missing one no moments', () => {
    const k = new ColumnProfiler('k', 'float');
    for (let i = 0; i < 5; i++) k.add(3.25);
    expect(k.finish().histogram).toEqual({ edges: [3.25, 3.25], counts: [5], underflow: 0, overflow: 0 });
    const m = new ColumnProfiler('m', 'float');
    m.add(null);
    const c = m.finish();
    expect([c.count, c.missing, c.distinctEstimate]).toEqual([1, 1, 0]);
    expect(c.moments).toBeUndefined();
    expect(c.histogram).toBeUndefined();
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
  });

  it('rejects unknown types and bad edges', () => {
    expect(() => new ColumnProfiler('x', 'complex' as ColumnType)).toThrow();
    expect(() => new ColumnProfiler('x', 'float', { edges: [1] })).toThrow();
    expect(
      () =>
        new DatasetProfiler([
          { name: 'a', type: 'float' },
          { name: 'a', type: 'text' },
        ]),
    ).toThrow();
  });
});

describe('profile merging (property-based)', () => {
  it('merge(profile(A), profile(B)) equals profile(A ∪ B)', () => {
    fc.assert(
      fc.property(rows, rows, (a, b) => {
        const all = [...a, ...b];
        expectSameProfile(mergeDatasetProfiles(profileOf(a), profileOf(b)), profileOf(all), all);
      }),
      { numRuns: 60 },
    );
  });

  it('is associative and commutative', () => {
    fc.assert(
      fc.property(rows, rows, rows, (a, b, c) => {
        const [pa, pb, pc] = [profileOf(a), profileOf(b), profileOf(c)];
        const all = [...a, ...b, ...c];
        const whole = profileOf(all);
        expectSameProfile(mergeDatasetProfiles(mergeDatasetProfiles(pa, pb), pc), whole, all);
        expectSameProfile(mergeDatasetProfiles(pa, mergeDatasetProfiles(pb, pc)), whole, all);
        expectSameProfile(mergeDatasetProfiles(pc, mergeDatasetProfiles(pb, pa)), whole, all);
      }),
      { numRuns: 40 },
    );
  });

  it('keeps merged quantiles within the sketch accuracy of the exact ones', () => {
    const values = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), {
      minLength: 1,
      maxLength: 200,
    });
    fc.assert(
      fc.property(values, values, (a, b) => {
        const col = (xs: number[]) => {
          const p = new ColumnProfiler('x', 'float');
          for (const x of xs) p.add(x);
          return p.finish();
        };
        const merged = QuantileSketch.fromBase64(mergeColumnProfiles(col(a), col(b)).sketch!);
        const sorted = [...a, ...b].sort((x, y) => x - y);
        for (const q of [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1]) {
          const exact = sorted[Math.floor(q * (sorted.length - 1))]!;
          expect(Math.abs(merged.quantile(q) - exact)).toBeLessThanOrEqual(
            0.01 * Math.abs(exact) * (1 + 1e-9) + 1e-307,
          );
        }
      }),
      { numRuns: 50 },
    );
  });

  it('round-trips through JSON unchanged and merges with an empty profile as identity', () => {
    fc.assert(
      fc.property(rows, (a) => {
        const p = profileOf(a);
        const back = JSON.parse(JSON.stringify(p)) as DatasetProfile;
        expect(back).toEqual(p);
        expectSameProfile(mergeDatasetProfiles(back, profileOf([])), p, a);
        expectSameProfile(mergeDatasetProfiles(profileOf([]), back), p, a);
      }),
      { numRuns: 40 },
    );
  });
});

describe('profile merging (cases)', () => {
  const col = (type: ColumnType, xs: CellValue[], edges?: number[]): ColumnProfile => {
    const p = new ColumnProfiler('x', type, edges ? { edges } : {});
    for (const x of xs) p.add(x);
    return p.finish();
  };

  it('re-derives quantile histograms from the merged sketch when the windows differ', () => {
    const a = col('float', [1, 2, 3, 4]);
    const b = col('float', [100, 200, 300]);
    expect(a.histogram!.edges).not.toEqual(b.histogram!.edges);
    expect(mergeColumnProfiles(a, b).histogram).toEqual(col('float', [1, 2, 3, 4, 100, 200, 300]).histogram);
  });

  it('refuses different fixed edges, types and names with INVALID_PARAMETER_VALUE', () => {
    const cases: [ColumnProfile, ColumnProfile][] = [
      [col('float', [1], [0, 1, 2]), col('float', [1], [0, 1, 3])],
      [col('float', [1]), col('integer', [1])],
      [col('float', [1]), { ...col('float', [1]), name: 'y' }],
    ];
    for (const [a, b] of cases) {
      try {
        mergeColumnProfiles(a, b);
        expect.unreachable();
      } catch (e) {
        expect(isKeelError(e) && e.code).toBe('INVALID_PARAMETER_VALUE');
      }
    }
  });

  it('keeps fixed edges when merging with a derived histogram (approximately binning the other side)', () => {
    const fixed = col('float', [1, 5, 9], [0, 4, 8, 12]);
    const derived = col('float', [2, 6, 10, 13]);
    const m = mergeColumnProfiles(fixed, derived);
    expect(m.histogram).toEqual({
      edges: [0, 4, 8, 12],
      counts: [2, 2, 2],
      underflow: 0,
      overflow: 1,
      fixed: true,
    });
    expect(mergeColumnProfiles(derived, fixed).histogram).toEqual(m.histogram);
  });

  it('merges datasets with different columns, counting an absent column as missing', () => {
    const a = new DatasetProfiler([
      { name: 'x', type: 'float' },
      { name: 'c', type: 'categorical' },
    ]);
    a.addRow([1, 'p']);
    a.addRow([2, 'q']);
    const b = new DatasetProfiler([
      { name: 'c', type: 'categorical' },
      { name: 'y', type: 'integer' },
    ]);
    b.addRow(['p', 7]);
    const m = mergeDatasetProfiles(a.finish(1), b.finish(2));
    expect([m.rows, m.badRows]).toEqual([3, 3]);
    expect(m.columns.map((c) => [c.name, c.count, c.missing])).toEqual([
      ['x', 3, 1],
      ['c', 3, 0],
      ['y', 3, 2],
    ]);
    expect(m.columns[1]!.top!.items).toEqual([
      ['p', 2],
      ['q', 1],
    ]);
    expect(Hll.fromBase64(m.columns[1]!.hll).estimate()).toBeCloseTo(2, 3);
  });
});
