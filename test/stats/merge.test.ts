import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeelError } from '../../src/core/errors.js';
import {
  type CellValue,
  DatasetProfiler,
  type MergeProfileOptions,
  mergeDatasetProfiles,
  mergeManyProfiles,
  ProfileMerger,
} from '../../src/stats/profile.js';
import type { ColumnType, DatasetProfile } from '../../src/stats/types.js';
import { referenceMergeDatasets } from './merge-reference.js';

/**
 * Columns chosen to reach every order-dependent merge rule: a float with derived histograms, a
 * float binned on fixed edges in some profiles and derived in others, an integer whose exact
 * per-value counts are dropped once the union passes 32 values, and categories past a top-k cap
 * of 3 (Space-Saving, truncated at every step).
 */
const COLUMNS: { name: string; type: ColumnType }[] = [
  { name: 'x', type: 'float' },
  { name: 'f', type: 'float' },
  { name: 'n', type: 'integer' },
  { name: 't', type: 'datetime' },
  { name: 'b', type: 'boolean' },
  { name: 'c', type: 'categorical' },
  { name: 's', type: 'text' },
];
const EDGES = { f: [-100, -1, 0, 0.5, 1, 100] };
const TOPK_CAP = 3;

const cell: Record<string, fc.Arbitrary<CellValue>> = {
  x: fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(null)),
  f: fc.oneof(fc.double({ min: -200, max: 200, noNaN: true }), fc.constant(undefined)),
  n: fc.oneof(fc.integer({ min: 0, max: 45 }), fc.constant(null)),
  t: fc.oneof(fc.integer({ min: 1_600_000_000_000, max: 1_700_000_000_000 }), fc.constant(null)),
  b: fc.oneof(fc.boolean(), fc.constant(null)),
  c: fc.oneof(fc.constantFrom('red', 'green', 'blue', 'amber', 'teal', 'plum'), fc.constant(null)),
  s: fc.oneof(fc.string({ maxLength: 3 }), fc.constant(null)),
};

/** A stored profile: some of the columns in some order, `f` on fixed edges or not, a few rows. */
const profile: fc.Arbitrary<DatasetProfile> = fc
  .record({
    columns: fc.shuffledSubarray(COLUMNS, { minLength: 1 }),
    fixed: fc.boolean(),
    rows: fc.nat(20),
    badRows: fc.nat(2),
  })
  .chain(({ columns, fixed, rows, badRows }) =>
    fc
      .array(fc.tuple(...columns.map((c) => cell[c.name]!)), { minLength: rows, maxLength: rows })
      .map((data) => {
        const p = new DatasetProfiler(columns, { ...(fixed ? { edges: EDGES } : {}), topKCap: TOPK_CAP });
        for (const r of data) p.addRow(r);
        // Stored profiles are read back from JSON.
        return JSON.parse(JSON.stringify(p.finish(badRows))) as DatasetProfile;
      }),
  );

const OPTIONS: MergeProfileOptions[] = [{}, { topKCap: TOPK_CAP }, { bins: 4, topKCap: TOPK_CAP }];

type Merge2 = (a: DatasetProfile, b: DatasetProfile, opts: MergeProfileOptions) => DatasetProfile;

/** The pairwise left fold; with the reference merge, what the n-way merge must reproduce. */
const foldPairwise = (
  ps: DatasetProfile[],
  opts: MergeProfileOptions,
  merge: Merge2 = referenceMergeDatasets,
) => ps.slice(1).reduce((acc, p) => merge(acc, p, opts), ps[0]!);

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return isKeelError(e) ? e.code : String(e);
  }
};

describe('mergeManyProfiles', () => {
  it('is bit for bit the pairwise left fold of the reference merge, whatever the columns, edges and caps', () => {
    fc.assert(
      fc.property(
        fc.array(profile, { minLength: 1, maxLength: 6 }),
        fc.constantFrom(...OPTIONS),
        (ps, opts) => {
          // The stored form, string for string: moments to the last bit, sketches, top-k order.
          const expected = JSON.stringify(foldPairwise(ps, opts));
          expect(JSON.stringify(mergeManyProfiles(ps, opts))).toBe(expected);
          expect(JSON.stringify(foldPairwise(ps, opts, mergeDatasetProfiles))).toBe(expected);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('merges 144 window profiles like the pairwise fold (the monitoring day)', () => {
    const rows = (w: number, n: number): CellValue[][] =>
      Array.from({ length: n }, (_, i) => {
        const v = Math.sin(w * 131 + i) * (w < 100 ? 50 : 80);
        return [
          v,
          v / 3,
          (w + i) % 40,
          1_650_000_000_000 + w * 600_000 + i,
          i % 3 === 0,
          `k${(w * i) % 7}`,
          null,
        ];
      });
    const windows = Array.from({ length: 144 }, (_, w) => {
      const p = new DatasetProfiler(COLUMNS, { edges: EDGES });
      for (const r of rows(w, 50)) p.addRow(r);
      return JSON.parse(JSON.stringify(p.finish())) as DatasetProfile;
    });
    const many = mergeManyProfiles(windows);
    expect(JSON.stringify(many)).toBe(JSON.stringify(foldPairwise(windows, {})));
    expect(many.rows).toBe(144 * 50);
    // 40 distinct integers in the union: more than a numeric column keeps exact counts for.
    expect(many.columns.find((c) => c.name === 'n')!.top).toBeUndefined();
  });

  it('returns a single profile as it is, and an empty profile for none', () => {
    const p = fc.sample(profile, { numRuns: 1, seed: 7 })[0]!;
    expect(mergeManyProfiles([p])).toBe(p);
    expect(mergeManyProfiles([])).toEqual({ rows: 0, badRows: 0, columns: [] });
  });

  it('refuses what the pairwise merge refuses: another type, other fixed edges', () => {
    const of = (type: ColumnType, edges?: number[]) => {
      const p = new DatasetProfiler([{ name: 'v', type }], edges ? { edges: { v: edges } } : {});
      p.addRow([1]);
      return p.finish();
    };
    const cases = [
      [of('float'), of('integer')],
      [of('float', [0, 1, 2]), of('float', [0, 1, 3])],
      [of('float'), of('float', [0, 1, 2]), of('float', [0, 1, 3])],
    ];
    for (const ps of cases) {
      expect(codeOf(() => mergeManyProfiles(ps))).toBe('INVALID_PARAMETER_VALUE');
      expect(codeOf(() => foldPairwise(ps, {}))).toBe('INVALID_PARAMETER_VALUE');
      expect(codeOf(() => foldPairwise(ps, {}, mergeDatasetProfiles))).toBe('INVALID_PARAMETER_VALUE');
    }
  });
});

describe('ProfileMerger', () => {
  const window = (seed: number, cType: ColumnType = 'categorical'): DatasetProfile => {
    const p = new DatasetProfiler([
      { name: 'x', type: 'float' },
      { name: 'f', type: 'float' },
      { name: 'c', type: cType },
    ]);
    for (let i = 0; i < 20; i++)
      p.addRow([seed * i, (seed + i) % 5, cType === 'categorical' ? `v${i % 4}` : i]);
    return JSON.parse(JSON.stringify(p.finish())) as DatasetProfile;
  };

  it('leaves its state as it was when a profile is refused, so merging can go on', () => {
    const [a, b, d] = [window(1), window(2), window(4)];
    // Column c changes type: x and f would merge, c cannot, and nothing of the profile may stay.
    const retyped = window(3, 'float');
    // A corrupt sketch in the last column: every column before it decodes fine.
    const corrupt = window(5);
    corrupt.columns[2]!.hll = `${corrupt.columns[2]!.hll.slice(0, -4)}!!!!`;
    const m = new ProfileMerger().add(a).add(b);
    for (const bad of [retyped, corrupt]) {
      expect(codeOf(() => m.add(bad))).toBe('INVALID_PARAMETER_VALUE');
      expect(m.size).toBe(2);
      expect(JSON.stringify(m.result())).toBe(JSON.stringify(mergeDatasetProfiles(a, b)));
    }
    m.add(d);
    expect(JSON.stringify(m.result())).toBe(JSON.stringify(mergeManyProfiles([a, b, d])));
  });

  it('does not decode a lone profile: a refused second one leaves the first as it was', () => {
    const a = window(1);
    const m = new ProfileMerger().add(a);
    expect(codeOf(() => m.add(window(2, 'float')))).toBe('INVALID_PARAMETER_VALUE');
    expect(m.result()).toBe(a);
  });

  it('keeps merging after a result was taken, without changing that result', () => {
    const [a, b, c] = [window(1), window(2), window(3)];
    const m = new ProfileMerger().add(a).add(b);
    const first = m.result();
    const frozen = JSON.stringify(first);
    m.add(c);
    expect(JSON.stringify(first)).toBe(frozen);
    expect(JSON.stringify(m.result())).toBe(JSON.stringify(mergeManyProfiles([a, b, c])));
  });
});
