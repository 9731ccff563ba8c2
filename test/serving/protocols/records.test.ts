import { describe, expect, it } from 'vitest';
import { onnxFeeds } from '../../../src/models/train/index.js';
import { columnsToFeeds, recordsToFeeds } from '../../../src/serving/protocols/index.js';
import { mixedTable } from '../../models/train/mixed-table.js';
import { FOREIGN_IO, KEEL_IO, modelIOOf, PACKED_IO, tensor, thrown } from './io-fixture.js';
import { FEATURES, trained } from './trained.js';

describe('recordsToFeeds', () => {
  it('feeds each feature as an [N, 1] tensor of its input type', () => {
    const { feeds, rows } = recordsToFeeds(
      [
        { age: 42, income: 52000.5, region: 'north' },
        { region: 'south', income: 1e6, age: 18 },
      ],
      KEEL_IO,
    );
    expect(rows).toBe(2);
    expect(feeds).toEqual({
      age: { type: 'float32', dims: [2, 1], data: new Float32Array([42, 18]) },
      income: { type: 'float32', dims: [2, 1], data: new Float32Array([52000.5, 1e6]) },
      region: { type: 'string', dims: [2, 1], data: ['north', 'south'] },
    });
  });

  it('reads null as missing (NaN, or an unseen category), booleans as 1/0, numbers as category text', () => {
    const { feeds } = recordsToFeeds(
      [
        { age: null, income: true, region: null },
        { age: false, income: 3, region: 7 },
        { age: 1, income: 2, region: true },
        { age: 1, income: 2, region: 'NA' },
      ],
      KEEL_IO,
    );
    expect(Array.from(feeds.age!.data as Float32Array)).toEqual([Number.NaN, 0, 1, 1]);
    expect(Array.from(feeds.income!.data as Float32Array)).toEqual([1, 3, 2, 2]);
    // 'NA' was a missing value in the training table too, so the model saw ''.
    expect(feeds.region!.data).toEqual(['', '7', 'true', '']);
  });

  it('names the missing features and the record', () => {
    const e = thrown(() => recordsToFeeds([{ age: 1, income: 2, region: 'x' }, { age: 1 }], KEEL_IO));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toBe(
      'records: record 1 is missing feature(s) income, region (the model takes age, income, region)',
    );
    expect(e.details).toEqual({ field: 'records' });
  });

  it('refuses unknown features unless allowed as extras', () => {
    const recs = [{ age: 1, income: 2, region: 'x', customer_id: 'c9', agee: 3 }];
    const e = thrown(() => recordsToFeeds(recs, KEEL_IO));
    expect(e.message).toBe(
      'records: record 0 has unknown feature(s) customer_id, agee (the model takes age, income, region)',
    );
    expect(thrown(() => recordsToFeeds(recs, KEEL_IO, { allowExtra: ['customer_id'] })).message).toContain(
      'unknown feature(s) agee (',
    );
    const ok = recordsToFeeds([{ age: 1, income: 2, region: 'x', customer_id: 'c9' }], KEEL_IO, {
      allowExtra: ['customer_id'],
      field: 'inputs',
    });
    expect(Object.keys(ok.feeds)).toEqual(['age', 'income', 'region']);
  });

  it('refuses values of the wrong kind, naming record, feature and value', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ age: 'abc', income: 1, region: 'x' }, /^records: record 1: feature age takes a number .*got "abc"$/],
      [{ age: '42', income: 1, region: 'x' }, /record 1: feature age takes a number .*got "42"/],
      [{ age: 1, income: [1], region: 'x' }, /record 1: feature income takes a number .*got \[1\]/],
      [{ age: 1, income: 1, region: { a: 1 } }, /record 1: feature region takes a string .*got \{"a":1\}/],
    ];
    for (const [bad, re] of cases) {
      const e = thrown(() => recordsToFeeds([{ age: 1, income: 1, region: 'x' }, bad], KEEL_IO));
      expect(e.code).toBe('INVALID_PARAMETER_VALUE');
      expect(e.message).toMatch(re);
    }
    expect(thrown(() => recordsToFeeds([], KEEL_IO)).message).toMatch(/non-empty array/);
    expect(thrown(() => recordsToFeeds({ age: 1 }, KEEL_IO)).message).toMatch(/non-empty array/);
    expect(thrown(() => recordsToFeeds([[1, 2, 3]], KEEL_IO)).message).toMatch(/record 0 must be an object/);
  });

  it('feeds integer, double and bool inputs', () => {
    const io = modelIOOf({
      inputs: [
        tensor('n', 'int64', ['N', 1]),
        tensor('k', 'int32', ['N']),
        tensor('d', 'double', ['N', 1]),
        tensor('b', 'bool', ['N', 1]),
      ],
    });
    const { feeds } = recordsToFeeds(
      [
        { n: 12, k: -1, d: 0.1, b: true },
        { n: 2 ** 40, k: 5, d: null, b: 0 },
      ],
      io,
    );
    expect(feeds.n).toEqual({ type: 'int64', dims: [2, 1], data: new BigInt64Array([12n, 2n ** 40n]) });
    expect(feeds.k).toEqual({ type: 'int32', dims: [2], data: new Int32Array([-1, 5]) });
    expect(Array.from(feeds.d!.data as Float64Array)).toEqual([0.1, Number.NaN]);
    expect(feeds.d!.data).toBeInstanceOf(Float64Array);
    expect(feeds.b).toEqual({ type: 'bool', dims: [2, 1], data: new Uint8Array([1, 0]) });
    const one = { n: 1, k: 1, d: 1, b: true };
    expect(thrown(() => recordsToFeeds([one, { ...one, n: 1.5 }], io)).message).toMatch(
      /record 1: feature n takes integers/,
    );
    expect(thrown(() => recordsToFeeds([{ ...one, n: null }], io)).message).toMatch(
      /feature n takes integers \(no missing/,
    );
    expect(thrown(() => recordsToFeeds([{ ...one, b: 2 }], io)).message).toMatch(
      /feature b takes true\/false or 1\/0/,
    );
  });

  it('packs the features of a packed model into one [N, F] tensor in feature order', () => {
    const { feeds } = recordsToFeeds(
      [
        { c: 3, a: 1, b: 2 },
        { b: 5, c: null, a: 4 },
      ],
      PACKED_IO,
    );
    expect(feeds).toEqual({
      input: { type: 'float32', dims: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, Number.NaN]) },
    });
    expect(thrown(() => recordsToFeeds([{ a: 1, b: 2 }], PACKED_IO)).message).toMatch(
      /missing feature\(s\) c \(the model takes a, b, c\)/,
    );
  });

  it('feeds an unnamed [N, F] input from an array per record, and says how when given names', () => {
    const { feeds } = recordsToFeeds([{ x: [1, 2, 3, 4] }], FOREIGN_IO);
    expect(feeds.x).toEqual({ type: 'float32', dims: [1, 4], data: new Float32Array([1, 2, 3, 4]) });
    const e = thrown(() => recordsToFeeds([{ a: 1, b: 2, c: 3, d: 4 }], FOREIGN_IO));
    expect(e.message).toContain('missing feature(s) x');
    expect(e.message).toContain('model input x takes 4 unnamed values per row');
    expect(thrown(() => recordsToFeeds([{ x: [1, 2, 3] }], FOREIGN_IO)).message).toMatch(
      /feature x: 3 values do not fill shape \[4\]/,
    );
    expect(thrown(() => recordsToFeeds([{ x: 1 }], FOREIGN_IO)).message).toMatch(
      /feature x takes 4 values per row/,
    );
  });

  it('refuses a model input type the runtime cannot feed', () => {
    const io = modelIOOf({ inputs: [tensor('h', 'float16', ['N', 1])] });
    expect(thrown(() => recordsToFeeds([{ h: 1 }], io)).message).toContain(
      'model input h has type tensor(float16)',
    );
  });
});

describe('columnsToFeeds', () => {
  it('feeds columns like records', () => {
    const cols = { age: [42, null], income: [1, 2], region: ['north', null] };
    const byColumns = columnsToFeeds(cols, 2, KEEL_IO);
    const byRecords = recordsToFeeds(
      [
        { age: 42, income: 1, region: 'north' },
        { age: null, income: 2, region: null },
      ],
      KEEL_IO,
    );
    expect(byColumns).toEqual(byRecords);
  });

  it('names a short column, an unknown or missing one, and the row of a bad value', () => {
    expect(
      thrown(() => columnsToFeeds({ age: [1], income: [1, 2], region: ['a', 'b'] }, 2, KEEL_IO)).message,
    ).toBe('columns: column age has 1 values, expected 2 values');
    expect(
      thrown(() => columnsToFeeds({ age: [1], income: [1], region: ['a'], zip: [1] }, 1, KEEL_IO)).message,
    ).toMatch(/unknown column\(s\) zip/);
    expect(thrown(() => columnsToFeeds({ age: [1], income: [1] }, 1, KEEL_IO)).message).toMatch(
      /missing column\(s\) region/,
    );
    expect(
      thrown(() => columnsToFeeds({ age: [1, 'x'], income: [1, 2], region: ['a', 'b'] }, 2, KEEL_IO)).message,
    ).toMatch(/columns: row 1: feature age takes a number/);
  });
});

describe('a model Keel trained, read through modelIO()', () => {
  it('records built from table rows equal the feeds training scores with', () => {
    const { io, pipeline } = trained();
    expect(io.labelOutput).toBe('label');
    const score = mixedTable({ rows: 60, seed: 11, unseen: 0.2 });
    const records = Array.from({ length: score.rows }, (_, i) =>
      Object.fromEntries(FEATURES.map((f) => [f, score.columns[f]![i]])),
    );
    const { feeds, rows } = recordsToFeeds(records, io);
    expect(rows).toBe(60);
    const expected = onnxFeeds(pipeline.features, score);
    expect(Object.keys(feeds).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, f] of Object.entries(expected)) {
      expect(feeds[name]!.type).toBe(f.type);
      expect(feeds[name]!.dims).toEqual([...f.dims]);
      expect(Array.from(feeds[name]!.data as ArrayLike<unknown>)).toEqual(
        Array.from(f.data as ArrayLike<unknown>),
      );
    }
  });
});
