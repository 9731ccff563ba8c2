import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeelError } from '../../src/core/errors.js';
import { type CellValue, ColumnProfiler, DatasetProfiler } from '../../src/stats/profile.js';
import type { ColumnType } from '../../src/stats/types.js';

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
  fc.oneof(fc.double({ min: -2000, max: 2000, noNaN: true }), fc.constant(undefined), fc.constant(-0)),
  fc.oneof(fc.integer({ min: 1_600_000_000_000, max: 1_700_000_000_000 }), fc.constant(null)),
  fc.oneof(fc.boolean(), fc.constant(null)),
  fc.oneof(fc.constantFrom('red', 'green', 'blue', 'amber', ''), fc.constant(null)),
  fc.oneof(fc.string({ maxLength: 4 }), fc.constant(null)),
);

/** Column `c` of `rows`: a Float64Array (NaN for missing) for numeric columns when `typed`, else as is. */
const column = (rows: readonly (readonly CellValue[])[], c: number, typed: boolean): ArrayLike<CellValue> => {
  const values = rows.map((r) => r[c]);
  return typed && c < 4 ? Float64Array.from(values, (v) => (typeof v === 'number' ? v : Number.NaN)) : values;
};

describe('DatasetProfiler.addColumns', () => {
  it('gives the same profile as addRow on the kept rows, in batches, Float64Array or not', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.array(row, { maxLength: 40 }), fc.array(fc.boolean(), { maxLength: 40 })), {
          maxLength: 4,
        }),
        fc.boolean(),
        (batches, typed) => {
          const byRow = new DatasetProfiler(SCHEMA, { edges: EDGES });
          const byColumn = new DatasetProfiler(SCHEMA, { edges: EDGES });
          for (const [rows, drop] of batches) {
            const skip = Uint8Array.from(rows, (_, i) => (drop[i] ? 1 : 0));
            rows.forEach((r, i) => {
              if (skip[i] !== 1) byRow.addRow(r);
            });
            const cols = SCHEMA.map((_, c) => column(rows, c, typed));
            byColumn.addColumns(cols, rows.length, drop.some(Boolean) ? skip : null);
          }
          expect(JSON.stringify(byColumn.finish(3))).toBe(JSON.stringify(byRow.finish(3)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('counts an absent column as missing and refuses a column shorter than the batch', () => {
    const p = new DatasetProfiler([
      { name: 'a', type: 'float' },
      { name: 'b', type: 'categorical' },
    ]);
    p.addColumns([Float64Array.of(1, 2, 3)], 3);
    const out = p.finish();
    expect(out.rows).toBe(3);
    expect(out.columns[1]).toMatchObject({ name: 'b', count: 3, missing: 3 });
    let err: unknown;
    try {
      p.addColumns([Float64Array.of(1), ['x', 'y']], 2);
    } catch (e) {
      err = e;
    }
    expect(isKeelError(err)).toBe(true);
    expect((err as Error).message).toMatch(/column a: 1 values for 2 rows/);
  });

  it('ColumnProfiler.addMany equals add per cell', () => {
    const values = [1.5, null, Number.NaN, 3, Number.POSITIVE_INFINITY, -0, 2];
    const a = new ColumnProfiler('v', 'float');
    for (const v of values) a.add(v);
    const b = new ColumnProfiler('v', 'float');
    b.addMany(values);
    const c = new ColumnProfiler('v', 'float');
    c.addMany(Float64Array.from(values, (v) => v ?? Number.NaN));
    expect(b.finish()).toEqual(a.finish());
    expect(c.finish()).toEqual(a.finish());
  });
});
