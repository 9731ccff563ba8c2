import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKeelError } from '../../src/core/errors.js';
import { openTable } from '../../src/data/formats/index.js';
import {
  BAD,
  coerce,
  inferSchema,
  isMissing,
  parseIsoDatetime,
  parseSchemaFile,
  rowCoercer,
} from '../../src/data/schema.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-schema-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (name: string, content: string): string => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, content);
  return f;
};
const csv = (header: string[], rows: (string | number)[][]): string =>
  [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';
const rejection = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isKeelError(e), `expected a KeelError, got ${String(e)}`).toBe(true);
  return e as { code: string; message: string; details?: { field?: string } };
};

describe('inferSchema', () => {
  it('infers each type from CSV strings, ignoring missing-value tokens', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => [
      i, // integer
      i % 10 === 0 ? 'NA' : (i / 4).toString(), // float (with integers among them) and NA
      ['true', 'False', 'TRUE', ''][i % 4]!, // boolean and empty
      i % 3 === 0
        ? `2024-01-${String((i % 28) + 1).padStart(2, '0')}`
        : `2024-02-01T10:${String(i % 60).padStart(2, '0')}:00Z`, // datetime
      ['red', 'green', 'blue', 'None'][i % 4]!, // categorical and None
      `free text number ${i}`, // text (200 distinct > 50 and > 5%)
      i % 2, // 0/1 are integers, not booleans
      i % 5 === 0 ? 'null' : 'NaN', // only missing: text
    ]);
    const file = write('types.csv', csv(['i', 'f', 'b', 'd', 'c', 't', 'bit', 'empty'], rows));
    const { schema, sample, complete } = await inferSchema(await openTable(file));
    expect(sample.length).toBe(200);
    expect(complete).toBe(true);
    expect(schema.columns).toEqual([
      { name: 'i', type: 'integer', nullable: false },
      { name: 'f', type: 'float', nullable: true },
      { name: 'b', type: 'boolean', nullable: true },
      { name: 'd', type: 'datetime', nullable: false },
      { name: 'c', type: 'categorical', nullable: true },
      { name: 't', type: 'text', nullable: false },
      { name: 'bit', type: 'integer', nullable: false },
      { name: 'empty', type: 'text', nullable: true },
    ]);
  });

  it('categorical: ≤ 50 distinct, or ≤ 5% distinct of the sample; mixed kinds fall to strings', async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => [
      `c${i % 100}`,
      `u${i}`,
      i % 2 ? 'x' : String(i % 3),
    ]);
    const file = write('card.csv', csv(['hundred', 'unique', 'mixed'], rows));
    const { schema } = await inferSchema(await openTable(file));
    // 100 distinct of 2000 = 5%: categorical; 2000 distinct: text; '0','1','2','x': categorical.
    expect(schema.columns.map((c) => c.type)).toEqual(['categorical', 'text', 'categorical']);
  });

  it('samples the first N rows only, gives them back, and leaves nullability open when the file is longer', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => [i < 10 ? String(i) : 'x']);
    const reader = await openTable(write('long.csv', csv(['v'], rows)));
    const inferred = await inferSchema(reader, 10);
    expect(inferred.sample.map((r) => r.line)).toEqual(Array.from({ length: 10 }, (_, i) => i + 2));
    expect(inferred.complete).toBe(false);
    expect(inferred.schema.columns).toEqual([{ name: 'v', type: 'integer', nullable: true }]);
    // Later rows that do not fit are malformed rows of the calling loop, named by file, line and column.
    const typed = rowCoercer(reader, inferred.schema);
    const bad = [];
    for await (const row of reader.rows()) {
      const r = typed(row);
      if (!Array.isArray(r)) bad.push(r);
    }
    expect(bad.length).toBe(20);
    expect(bad[0]).toEqual({
      file: reader.file,
      line: 12,
      reason: 'column "v": value "x" is not an integer',
    });
  });

  it('infers from JSON and Parquet values (numbers, booleans, nulls, timestamps)', async () => {
    const jsonl = write(
      'v.jsonl',
      [
        { n: 1, x: 1.5, b: true, s: 'a', ts: '2024-03-01T00:00:00+02:00' },
        { n: null, x: 2, b: false, s: 'b', ts: '2024-03-02' },
      ]
        .map((o) => JSON.stringify(o))
        .join('\n'),
    );
    const j = await inferSchema(await openTable(jsonl));
    expect(j.schema.columns.map((c) => [c.name, c.type, c.nullable])).toEqual([
      ['n', 'integer', true],
      ['x', 'float', false],
      ['b', 'boolean', false],
      ['s', 'categorical', false],
      ['ts', 'datetime', false],
    ]);
    const pq = path.join(dir, 'v.parquet');
    parquetWriteFile({
      filename: pq,
      columnData: [
        { name: 'big', data: [1n, 2n, null], type: 'INT64' },
        { name: 'when', data: [new Date(0), new Date(1000), new Date(2000)], type: 'TIMESTAMP' },
        { name: 'ok', data: [true, false, true], type: 'BOOLEAN' },
      ],
    });
    const p = await inferSchema(await openTable(pq));
    expect(p.schema.columns.map((c) => c.type)).toEqual(['integer', 'datetime', 'boolean']);
    const typed = rowCoercer(await openTable(pq), p.schema);
    expect(p.sample.map(typed)).toEqual([
      [1, 0, true],
      [2, 1000, false],
      [null, 2000, true],
    ]);
  });
});

describe('coerce', () => {
  it('turns missing tokens (and only those) into null', () => {
    for (const v of ['', '  ', 'NA', 'NaN', 'null', 'None', null, undefined, Number.NaN])
      expect(isMissing(v)).toBe(true);
    for (const v of ['na', 'n/a', '0', 'false', 0, false]) expect(isMissing(v)).toBe(false);
    expect(coerce('NA', 'integer')).toBeNull();
    expect(coerce('None', 'text')).toBeNull();
  });

  it('converts to each type or returns BAD', () => {
    expect(coerce(' 42 ', 'integer')).toBe(42);
    expect(coerce('4.2', 'integer')).toBe(BAD);
    expect(coerce('99999999999999999999', 'integer')).toBe(BAD);
    expect(coerce(7n, 'integer')).toBe(7);
    expect(coerce('1e3', 'float')).toBe(1000);
    expect(coerce('-inf', 'float')).toBe(Number.NEGATIVE_INFINITY);
    expect(coerce('abc', 'float')).toBe(BAD);
    expect(coerce('TRUE', 'boolean')).toBe(true);
    expect(coerce('False', 'boolean')).toBe(false);
    expect(coerce('1', 'boolean')).toBe(BAD);
    expect(coerce('yes', 'boolean')).toBe(BAD);
    expect(coerce('2024-01-02', 'datetime')).toBe(Date.UTC(2024, 0, 2));
    expect(coerce('2024-01-02T03:04:05.678Z', 'datetime')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
    expect(coerce('2024-01-02 03:04', 'datetime')).toBe(Date.UTC(2024, 0, 2, 3, 4));
    expect(coerce('2024-01-02T03:04:05+05:30', 'datetime')).toBe(Date.UTC(2024, 0, 1, 21, 34, 5));
    expect(coerce('2024-02-30', 'datetime')).toBe(BAD);
    expect(coerce('yesterday', 'datetime')).toBe(BAD);
    expect(coerce(12, 'categorical')).toBe('12');
    expect(coerce({ a: 1 }, 'text')).toBe('{"a":1}');
  });

  it('types CSV rows exactly as coerce does, on the fast paths too', async () => {
    const tricky: Record<string, string[]> = {
      float: [
        '523.17',
        ' 5 ',
        '5\t',
        '5.',
        '.5',
        '+.5',
        '-0',
        '007',
        '1e3',
        '1E-3',
        '1e999',
        '0',
        '0x10',
        '0X10',
        '0b1',
        '0o7',
        '-0x1',
        'Infinity',
        '-Infinity',
        '+inf',
        'INF',
        'NaN',
        'NA',
        '',
        ' ',
        '.',
        '-',
        '+',
        '1_000',
        '1,5',
        'e5',
        '5e',
      ],
      integer: [
        '42',
        '+42',
        '-42',
        '-0',
        '007',
        '4.2',
        '1e3',
        '999999999999999',
        '9999999999999999',
        '99999999999999999999',
        ' 42 ',
        '0x1',
        '',
        '+',
        '-',
        'NA',
        '٣',
      ],
      categorical: ['north3', ' x ', 'NA', ' NA ', '', ' ', 'None', 'é', 'a b', '"q"', '\u00a0y'],
      text: ['plain', ' padded ', 'null', 'nullx', '\u00a0', 'é '],
    };
    for (const [type, values] of Object.entries(tricky)) {
      const q = (v: string) => `"${v.replaceAll('"', '""')}"`;
      const reader = await openTable(write(`tricky-${type}.csv`, `v\n${values.map(q).join('\n')}\n`));
      const schema = { columns: [{ name: 'v', type: type as 'float', nullable: true }] };
      for (const reuse of [false, true]) {
        const typed = rowCoercer(reader, schema, { reuse });
        const got = [];
        for await (const row of reader.rows()) {
          const r = typed(row);
          got.push(Array.isArray(r) ? r[0] : BAD);
        }
        expect(got, `${type}${reuse ? ' (reuse)' : ''}`).toEqual(
          values.map((v) => coerce(v, type as 'float')),
        );
      }
    }
    const reader = await openTable(write('reuse.csv', 'a\n1\n2\n'));
    const typed = rowCoercer(
      reader,
      { columns: [{ name: 'a', type: 'integer', nullable: true }] },
      { reuse: true },
    );
    const rows = [];
    for await (const row of reader.rows()) rows.push(typed(row));
    expect(rows[0]).toBe(rows[1]);
    expect(rows[1]).toEqual([2]);
  });

  it('parses ISO dates as UTC, years below 100 included', () => {
    expect(parseIsoDatetime('0050-06-01')).toBe(new Date('0050-06-01T00:00:00Z').getTime());
    expect(parseIsoDatetime('2024-01-01T25:00')).toBeNull();
    expect(parseIsoDatetime('20240101')).toBeNull();
  });

  it('a row with a missing value in a non-nullable column is malformed', async () => {
    const reader = await openTable(write('nn.csv', 'a\n1\n\n'.replace('\n\n', '\nNA\n')));
    const typed = rowCoercer(reader, { columns: [{ name: 'a', type: 'integer', nullable: false }] });
    const out = [];
    for await (const row of reader.rows()) out.push(typed(row));
    expect(out).toEqual([
      [1],
      { file: reader.file, line: 3, reason: 'column "a": missing value in a non-nullable column' },
    ]);
    expect(() => rowCoercer(reader, { columns: [{ name: 'zz', type: 'text', nullable: true }] })).toThrow(
      /has no column "zz"/,
    );
  });
});

describe('schema files', () => {
  it('reads YAML or JSON and overrides inferred types', async () => {
    const data = write(
      'o.csv',
      csv(
        ['zip', 'amount'],
        [
          ['01234', '5'],
          ['99999', '6'],
        ],
      ),
    );
    const yamlFile = write('schema.yaml', 'columns:\n  - name: zip\n    type: categorical\n');
    const schema = await parseSchemaFile(yamlFile);
    expect(schema).toEqual({
      file: yamlFile,
      columns: [{ name: 'zip', type: 'categorical', nullable: true }],
    });
    const reader = await openTable(data);
    expect((await inferSchema(reader)).schema.columns[0]!.type).toBe('integer');
    const { schema: merged } = await inferSchema(reader, 10_000, schema);
    expect(merged.columns).toEqual([
      { name: 'zip', type: 'categorical', nullable: true },
      { name: 'amount', type: 'integer', nullable: false },
    ]);
    const jsonFile = write(
      'schema.json',
      JSON.stringify({ columns: [{ name: 'amount', type: 'float', nullable: false }] }),
    );
    expect((await parseSchemaFile(jsonFile)).columns).toEqual([
      { name: 'amount', type: 'float', nullable: false },
    ]);
    const unknownCol = write('unknown-col.yaml', 'columns: [{name: nope, type: text}]');
    const e = await rejection(inferSchema(reader, 10_000, await parseSchemaFile(unknownCol)));
    expect(e.message).toBe(`${unknownCol}: column "nope" is not in ${data}`);
  });

  it('rejects bad schema files naming the file and the field', async () => {
    const cases: [string, string, RegExp, string][] = [
      ['syntax.yaml', 'columns: [ {name: a', /syntax\.yaml: not valid YAML\/JSON/, 'schema'],
      [
        'type.yaml',
        'columns:\n  - name: a\n    type: number\n',
        /type\.yaml: columns\.0\.type: /,
        'columns.0.type',
      ],
      ['noname.json', '{"columns":[{"type":"text"}]}', /noname\.json: columns\.0\.name: /, 'columns.0.name'],
      [
        'typo.yaml',
        'columns:\n  - {name: a, type: text, nulable: true}\n',
        /typo\.yaml: columns\.0: .*nulable/,
        'columns.0',
      ],
      ['empty.yaml', '', /empty\.yaml: expected a mapping with a "columns" list/, 'columns'],
      ['nocols.yaml', 'cols: []', /nocols\.yaml: columns: /, 'columns'],
      [
        'dup.yaml',
        'columns: [{name: a, type: text}, {name: a, type: integer}]',
        /dup\.yaml: columns\.1\.name: duplicate column "a"/,
        'columns.1.name',
      ],
    ];
    for (const [name, content, message, field] of cases) {
      const e = await rejection(parseSchemaFile(write(name, content)));
      expect(e.code).toBe('INVALID_PARAMETER_VALUE');
      expect(e.message).toMatch(message);
      expect(e.details?.field).toBe(field);
    }
    const missing = path.join(dir, 'absent.yaml');
    expect((await rejection(parseSchemaFile(missing))).message).toBe(
      `${missing}: cannot read schema file (ENOENT)`,
    );
  });
});
