import { describe, expect, it } from 'vitest';
import { type Feed, loadModel, predict } from '../../../src/models/onnx/runtime.js';
import { onnxFeeds } from '../../../src/models/train/index.js';
import {
  invocationsResponse,
  parseCsvText,
  parseInvocations,
  recordsToFeeds,
} from '../../../src/serving/protocols/index.js';
import type { Tensors } from '../../../src/serving/runtime/types.js';
import { mixedTable } from '../../models/train/mixed-table.js';
import { FOREIGN_IO, KEEL_IO, modelIOOf, PACKED_IO, tensor, thrown } from './io-fixture.js';
import { FEATURES, trained } from './trained.js';

const JSON_CT = 'application/json';
const ROWS = [
  { age: 42, income: 52000.5, region: 'north' },
  { age: null, income: 1, region: 'south' },
];
const EXPECTED = recordsToFeeds(ROWS, KEEL_IO);

describe('parseInvocations: JSON', () => {
  it('dataframe_split: columns in any order, index ignored', () => {
    const body = {
      dataframe_split: {
        index: [7, 8],
        columns: ['region', 'age', 'income'],
        data: [
          ['north', 42, 52000.5],
          ['south', null, 1],
        ],
      },
    };
    expect(parseInvocations(JSON_CT, body, KEEL_IO)).toEqual(EXPECTED);
  });

  it('dataframe_records, and instances / inputs as records', () => {
    expect(parseInvocations(JSON_CT, { dataframe_records: ROWS }, KEEL_IO)).toEqual(EXPECTED);
    expect(parseInvocations(JSON_CT, { instances: ROWS }, KEEL_IO)).toEqual(EXPECTED);
    expect(parseInvocations('application/json; charset=utf-8', { inputs: ROWS }, KEEL_IO)).toEqual(EXPECTED);
  });

  it('instances / inputs as an object of input name → values, flat or nested', () => {
    const flat = { age: [42, null], income: [52000.5, 1], region: ['north', 'south'] };
    const nested = { age: [[42], [null]], income: [[52000.5], [1]], region: [['north'], ['south']] };
    expect(parseInvocations(JSON_CT, { inputs: flat }, KEEL_IO)).toEqual(EXPECTED);
    expect(parseInvocations(JSON_CT, { instances: nested }, KEEL_IO)).toEqual(EXPECTED);
    const short = thrown(() => parseInvocations(JSON_CT, { inputs: { ...flat, age: [1] } }, KEEL_IO));
    expect(short.message).toMatch(/inputs: input (age|income) has [12] rows/);
    expect(
      thrown(() => parseInvocations(JSON_CT, { inputs: { age: [1], income: [1] } }, KEEL_IO)).message,
    ).toBe('inputs: missing input(s) region (the model takes age, income, region)');
    expect(
      thrown(() => parseInvocations(JSON_CT, { inputs: { ...flat, zip: [1, 2] } }, KEEL_IO)).message,
    ).toContain('inputs: zip is not an input of the model');
  });

  it('instances / inputs as rows of a single-input model, and params passed through', () => {
    const res = parseInvocations(
      JSON_CT,
      {
        inputs: [
          [1, 2, 3, 4],
          [5, 6, 7, 8],
        ],
        params: { top_k: 2 },
      },
      FOREIGN_IO,
    );
    expect(res).toEqual({
      feeds: { x: { type: 'float32', dims: [2, 4], data: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]) } },
      rows: 2,
      params: { top_k: 2 },
    });
    // A single [N, 1] input takes a flat list of values.
    const one = modelIOOf({ inputs: [tensor('v', 'double', ['N', 1])] });
    expect(parseInvocations(JSON_CT, { instances: [0.5, 1.5, null] }, one).feeds.v).toEqual({
      type: 'float64',
      dims: [3, 1],
      data: new Float64Array([0.5, 1.5, Number.NaN]),
    });
    expect(thrown(() => parseInvocations(JSON_CT, { inputs: [[1, 2, 3]] }, FOREIGN_IO)).message).toMatch(
      /inputs: input x: values of shape \[1, 3\] do not fit the model input's shape \[-1, 4\]/,
    );
    expect(thrown(() => parseInvocations(JSON_CT, { inputs: [[1, 2], [3]] }, KEEL_IO)).message).toMatch(
      /feeds a model with one input; this model takes age, income, region/,
    );
  });

  it('a packed model takes rows, records, or columns by feature name', () => {
    const want = { input: { type: 'float32', dims: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) } };
    expect(
      parseInvocations(
        JSON_CT,
        {
          inputs: [
            [1, 2, 3],
            [4, 5, 6],
          ],
        },
        PACKED_IO,
      ).feeds,
    ).toEqual(want);
    expect(
      parseInvocations(JSON_CT, { inputs: { c: [3, 6], a: [1, 4], b: [2, 5] } }, PACKED_IO).feeds,
    ).toEqual(want);
    expect(
      parseInvocations(
        JSON_CT,
        {
          dataframe_split: {
            columns: ['b', 'a', 'c'],
            data: [
              [2, 1, 3],
              [5, 4, 6],
            ],
          },
        },
        PACKED_IO,
      ).feeds,
    ).toEqual(want);
  });

  it('dataframe_split feeds an unnamed single input by position, as MLflow does', () => {
    const want = { x: { type: 'float32', dims: [1, 4], data: new Float32Array([1, 2, 3, 4]) } };
    expect(
      parseInvocations(JSON_CT, { dataframe_split: { data: [[1, 2, 3, 4]] } }, FOREIGN_IO).feeds,
    ).toEqual(want);
    expect(
      parseInvocations(
        JSON_CT,
        { dataframe_split: { columns: ['f0', 'f1', 'f2', 'f3'], data: [[1, 2, 3, 4]] } },
        FOREIGN_IO,
      ).feeds,
    ).toEqual(want);
    // A Keel model's features have names: they are required.
    expect(
      thrown(() => parseInvocations(JSON_CT, { dataframe_split: { data: [[1, 2, 'x']] } }, KEEL_IO)).message,
    ).toBe('dataframe_split: name the columns (the model takes age, income, region)');
  });

  it('dataframe_split errors name the row, the column and the value', () => {
    const split = (data: unknown[][], columns = ['age', 'income', 'region']) => ({
      dataframe_split: { columns, data },
    });
    expect(
      thrown(() =>
        parseInvocations(
          JSON_CT,
          split([
            [1, 2, 'x'],
            [1, 2],
          ]),
          KEEL_IO,
        ),
      ).message,
    ).toBe('dataframe_split: row 1 has 2 values, expected 3 values (columns: age, income, region)');
    expect(thrown(() => parseInvocations(JSON_CT, split([[1, 'abc', 'x']]), KEEL_IO)).message).toMatch(
      /^dataframe_split: row 0: feature income takes a number .*got "abc"$/,
    );
    expect(
      thrown(() => parseInvocations(JSON_CT, split([[1, 2]], ['age', 'income']), KEEL_IO)).message,
    ).toMatch(/missing column\(s\) region/);
    expect(
      thrown(() =>
        parseInvocations(JSON_CT, split([[1, 2, 'x', 0]], ['age', 'income', 'region', 'zip']), KEEL_IO),
      ).message,
    ).toMatch(/unknown column\(s\) zip/);
  });

  it('tolerates a sticky-routing field only when allowed', () => {
    const rows = ROWS.map((r, i) => ({ ...r, customer: `c${i}` }));
    const opts = { allowExtra: ['customer'] };
    expect(thrown(() => parseInvocations(JSON_CT, { dataframe_records: rows }, KEEL_IO)).message).toContain(
      'unknown feature(s) customer',
    );
    expect(parseInvocations(JSON_CT, { dataframe_records: rows }, KEEL_IO, opts)).toEqual(EXPECTED);
    expect(parseInvocations(JSON_CT, { inputs: rows }, KEEL_IO, opts)).toEqual(EXPECTED);
    const csv = 'customer,region,age,income\nc0,north,42,52000.5\nc1,south,,1\n';
    expect(parseInvocations('text/csv', csv, KEEL_IO, opts)).toEqual(EXPECTED);
    const cols = {
      age: [42, null],
      income: [52000.5, 1],
      region: ['north', 'south'],
      customer: ['c0', 'c1'],
    };
    expect(parseInvocations(JSON_CT, { inputs: cols }, KEEL_IO, opts)).toEqual(EXPECTED);
  });

  it('exactly one format key, else BAD_REQUEST with MLflow’s wording', () => {
    for (const body of [{ dataframe_records: ROWS, instances: ROWS }, {}, { columns: ['a'], data: [[1]] }]) {
      const e = thrown(() => parseInvocations(JSON_CT, body, KEEL_IO));
      expect(e.code).toBe('BAD_REQUEST');
      expect(e.status).toBe(400);
      expect(e.message).toContain('The input must be a JSON dictionary with exactly one of the input fields');
      expect(e.message).toContain("'dataframe_split', 'dataframe_records', 'instances', 'inputs'");
      expect(e.message).toContain(`Received dictionary with input fields: [${Object.keys(body).join(', ')}]`);
    }
    expect(thrown(() => parseInvocations(JSON_CT, ROWS, KEEL_IO)).message).toContain('Received a list');
    expect(thrown(() => parseInvocations(JSON_CT, { inputs: ROWS, params: 3 }, KEEL_IO)).details).toEqual({
      field: 'params',
    });
  });
});

describe('parseInvocations: CSV', () => {
  it('parses a header and rows, numbers for numeric inputs and text for categories', () => {
    const csv = 'region,age,income\r\nnorth,42,52000.5\r\n\r\n"south",,1\r\n';
    expect(parseInvocations('text/csv', csv, KEEL_IO)).toEqual(EXPECTED);
    expect(
      parseInvocations('text/csv; charset=UTF-8', new TextEncoder().encode(`\ufeff${csv}`), KEEL_IO),
    ).toEqual(EXPECTED);
  });

  it('reads missing tokens, booleans and quoted fields as dataset ingestion does', () => {
    const csv = 'age,income,region\nNA,true,"east, upper"\n1e3,FALSE,"say ""hi""\nthere"\n-inf,NaN,None\n';
    const { feeds } = parseInvocations('text/csv', csv, KEEL_IO);
    expect(Array.from(feeds.age!.data as Float32Array)).toEqual([Number.NaN, 1000, -Infinity]);
    expect(Array.from(feeds.income!.data as Float32Array)).toEqual([1, 0, Number.NaN]);
    expect(feeds.region!.data).toEqual(['east, upper', 'say "hi"\nthere', '']);
  });

  it('names the line of a ragged row, an unclosed quote, or a bad value', () => {
    const ragged = thrown(() => parseInvocations('text/csv', 'age,income,region\n1,2,a\n3,4\n', KEEL_IO));
    expect(ragged.code).toBe('INVALID_PARAMETER_VALUE');
    expect(ragged.message).toBe('CSV line 3: expected 3 fields (as in the header), got 2');
    expect(
      thrown(() => parseInvocations('text/csv', 'age,income,region\n1,2,"a\n3,4,b\n', KEEL_IO)).message,
    ).toBe('CSV line 2: unterminated quoted field (the quote is never closed)');
    // The quoted line break moves the next row to line 4.
    expect(
      thrown(() => parseInvocations('text/csv', 'age,income,region\n1,2,"a\nb"\nx,4,c\n', KEEL_IO)).message,
    ).toMatch(/^body: CSV line 4: feature age takes a number .*got "x"$/);
    expect(thrown(() => parseInvocations('text/csv', 'age,income,region\n', KEEL_IO)).message).toMatch(
      /no rows/,
    );
    expect(thrown(() => parseInvocations('text/csv', '', KEEL_IO)).message).toMatch(/empty/);
    expect(thrown(() => parseInvocations('text/csv', 'age,age,region\n1,2,3\n', KEEL_IO)).message).toMatch(
      /column age appears twice/,
    );
    expect(thrown(() => parseInvocations('text/csv', 'age,income\n1,2\n', KEEL_IO)).message).toMatch(
      /missing column\(s\) region/,
    );
  });

  it('keeps quotes that do not open a field, as the dataset reader does', () => {
    expect(parseCsvText('a,b\n5\'10",x"y\n"q"z,w\n').rows).toEqual([
      ['5\'10"', 'x"y'],
      ['"q"z', 'w'],
    ]);
  });
});

describe('parseInvocations: content types', () => {
  it('415 for anything but JSON or CSV in UTF-8, listing what is accepted', () => {
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
      const e = thrown(() => parseInvocations(ct, '{}', KEEL_IO));
      expect(e.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(e.status).toBe(415);
      expect(e.message).toContain('application/json, text/csv');
    }
    expect(thrown(() => parseInvocations('text/csv; charset=latin-1', 'a\n1', KEEL_IO)).message).toMatch(
      /only supports UTF-8/,
    );
    expect(thrown(() => parseInvocations('application/json; format=pandas-split', {}, KEEL_IO)).status).toBe(
      415,
    );
  });
});

describe('invocationsResponse', () => {
  it('a classifier gives one object per row keyed by output name', () => {
    const outputs: Tensors = {
      probabilities: { type: 'float32', dims: [2, 2], data: new Float32Array([0.25, 0.75, 0.5, 0.5]) },
      label: { type: 'int64', dims: [2], data: new BigInt64Array([1n, 0n]) },
    };
    expect(invocationsResponse(KEEL_IO, outputs, 2)).toEqual({
      predictions: [
        { label: 1, probabilities: [0.25, 0.75] },
        { label: 0, probabilities: [0.5, 0.5] },
      ],
    });
  });

  it('a single output gives a flat list: scalars, or a list per row', () => {
    const reg = { output: { type: 'float32', dims: [3, 1], data: new Float32Array([1.5, 2.5, 3.5]) } };
    expect(invocationsResponse(PACKED_IO, reg, 3)).toEqual({ predictions: [1.5, 2.5, 3.5] });
    const wide = { y: { type: 'float64', dims: [2, 2], data: new Float64Array([1, 2, 3, 4]) } };
    expect(invocationsResponse(FOREIGN_IO, wide, 2)).toEqual({
      predictions: [
        [1, 2],
        [3, 4],
      ],
    });
    const cube = { y: { type: 'int32', dims: [1, 2, 2], data: new Int32Array([1, 2, 3, 4]) } };
    expect(invocationsResponse(FOREIGN_IO, cube, 1)).toEqual({
      predictions: [
        [
          [1, 2],
          [3, 4],
        ],
      ],
    });
    const labels = { label: { type: 'string', dims: [2], data: ['gold', 'silver'] } };
    expect(invocationsResponse(KEEL_IO, labels, 2)).toEqual({ predictions: ['gold', 'silver'] });
  });

  it('refuses outputs that are not batched along dim 0', () => {
    const odd = { y: { type: 'float32', dims: [3], data: new Float32Array(3) } };
    expect(thrown(() => invocationsResponse(FOREIGN_IO, odd, 2)).code).toBe('INTERNAL_ERROR');
  });
});

describe('a trained Keel model end to end (in-process onnxruntime)', () => {
  it('a CSV request predicts what batch scoring predicts', async () => {
    const { io, pipeline, bytes } = trained();
    const table = mixedTable({ rows: 25, seed: 5, unseen: 0.2 });
    const cell = (v: unknown) => (v === null ? '' : String(v));
    const csv = [
      FEATURES.join(','),
      ...Array.from({ length: table.rows }, (_, i) =>
        FEATURES.map((f) => cell(table.columns[f]![i])).join(','),
      ),
    ].join('\n');
    const { feeds, rows } = parseInvocations('text/csv', csv, io);
    expect(rows).toBe(25);
    const session = await loadModel(bytes);
    try {
      // Codec feeds carry runtime tensor types (WireTensor.type is a plain string).
      const got = await predict(session, feeds as Record<string, Feed>, {
        outputs: ['label', 'probabilities'],
      });
      const want = await predict(session, onnxFeeds(pipeline.features, table), {
        outputs: ['probabilities'],
      });
      expect(got.probabilities!.data).toEqual(want.probabilities!.data);
      // A boolean target: the classes (and so the labels) are the strings 'false' and 'true'.
      expect(got.label!.type).toBe('string');
      const outputs: Tensors = {
        label: { type: 'string', dims: got.label!.dims, data: got.label!.data as string[] },
        probabilities: {
          type: 'float32',
          dims: got.probabilities!.dims,
          data: Float32Array.from(got.probabilities!.data as number[]),
        },
      };
      const { predictions } = invocationsResponse(io, outputs, rows);
      expect(predictions).toHaveLength(25);
      const first = predictions[0] as { label: unknown; probabilities: number[] };
      expect(Object.keys(first)).toEqual(['label', 'probabilities']);
      expect(first.probabilities).toEqual((want.probabilities!.data as number[]).slice(0, 2));
      expect(io.classes!.map(String)).toContain(first.label);
    } finally {
      await session.release();
    }
  });
});
