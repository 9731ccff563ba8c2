import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asyncBufferFromFile, parquetRead } from 'hyparquet';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKeelError } from '../../src/core/errors.js';
import { columnCoercer } from '../../src/data/formats/columnar.js';
import { openTable } from '../../src/data/formats/index.js';
import type { BadRow, DataSchema, TableReader } from '../../src/data/formats/types.js';
import { rowCoercer } from '../../src/data/schema.js';
import { DatasetProfiler } from '../../src/stats/profile.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-parquet-fast-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const N = 2000;
const CATS = ['north', 'south', 'east', 'west', 'NA', ' padded ', 'centre-ville'];
const at = <T>(f: (i: number) => T): T[] => Array.from({ length: N }, (_, i) => f(i));

/** Every flat type the ingest path meets, with nulls, missing tokens, NaN and values that will not fit. */
function writeFixture(name: string, opts: { pageSize?: number; codec?: 'SNAPPY' | 'UNCOMPRESSED' } = {}) {
  const file = path.join(dir, name);
  parquetWriteFile({
    filename: file,
    columnData: [
      { name: 'id', data: Int32Array.from(at((i) => i)), type: 'INT32' },
      {
        name: 'big',
        data: at((i) => (i === 1500 ? 2n ** 60n : i % 13 === 0 ? null : BigInt(i * 3))),
        type: 'INT64',
      },
      { name: 'x', data: at((i) => (i % 11 === 0 ? null : i === 7 ? Number.NaN : i / 4)), type: 'DOUBLE' },
      { name: 'dense', data: Float64Array.from(at((i) => Math.sin(i) * 100)), type: 'DOUBLE' },
      { name: 'f32', data: at((i) => (i % 5) / 8), type: 'FLOAT' },
      { name: 'name', data: at((i) => (i % 17 === 0 ? null : CATS[i % CATS.length]!)), type: 'STRING' },
      { name: 'flag', data: at((i) => (i % 9 === 0 ? null : i % 3 === 0)), type: 'BOOLEAN' },
      {
        name: 'ts',
        data: at((i) => (i % 19 === 0 ? null : new Date(Date.UTC(2024, 0, 1) + i * 3_600_000))),
        type: 'TIMESTAMP',
      },
      { name: 'code', data: at((i) => (i === 1234 ? 'x' : String(i % 50))), type: 'STRING' },
      { name: 'must', data: at((i) => (i === 321 ? null : `m${i % 4}`)), type: 'STRING' },
      { name: 'note', data: at((i) => `free text number ${i}`), type: 'STRING' },
    ],
    rowGroupSize: 700,
    ...(opts.pageSize ? { pageSize: opts.pageSize } : {}),
    ...(opts.codec ? { codec: opts.codec } : {}),
  });
  return file;
}

const SCHEMA: DataSchema = {
  columns: [
    { name: 'id', type: 'integer', nullable: false },
    { name: 'big', type: 'integer', nullable: true }, // 2^60 does not fit
    { name: 'x', type: 'float', nullable: true },
    { name: 'dense', type: 'float', nullable: false },
    { name: 'f32', type: 'float', nullable: true },
    { name: 'name', type: 'categorical', nullable: true },
    { name: 'flag', type: 'boolean', nullable: true },
    { name: 'ts', type: 'datetime', nullable: true },
    { name: 'code', type: 'integer', nullable: true }, // 'x' does not fit
    { name: 'must', type: 'categorical', nullable: false }, // one null
    { name: 'note', type: 'text', nullable: true },
  ],
};

async function rowPath(reader: TableReader, schema: DataSchema) {
  const profiler = new DatasetProfiler(schema.columns);
  const typed = rowCoercer(reader, schema);
  const bad: BadRow[] = [];
  for await (const raw of reader.rows()) {
    const row = typed(raw);
    if (Array.isArray(row)) profiler.addRow(row);
    else bad.push(row);
  }
  return { profile: profiler.finish(bad.length), bad };
}

async function columnPath(reader: TableReader, schema: DataSchema) {
  const profiler = new DatasetProfiler(schema.columns);
  const typed = columnCoercer(reader, schema);
  const bad: BadRow[] = [];
  for await (const batch of reader.columnBatches!()) {
    const t = typed(batch);
    bad.push(...t.bad);
    profiler.addColumns(t.columns, t.rowCount, t.skip);
  }
  return { profile: profiler.finish(bad.length), bad };
}

describe('Parquet columnar reading', () => {
  for (const [label, opts] of [
    ['default pages, snappy', {}],
    ['small pages, uncompressed', { pageSize: 300, codec: 'UNCOMPRESSED' as const }],
  ] as const) {
    it(`rows() gives hyparquet's own values (${label})`, async () => {
      const file = writeFixture(`same-${opts.pageSize ?? 0}.parquet`, opts);
      const reader = await openTable(file);
      const rows: unknown[][] = [];
      for await (const r of reader.rows()) {
        expect(r.line).toBe(rows.length + 1);
        rows.push(r.values);
      }
      let expected: unknown[][] = [];
      await parquetRead({
        file: await asyncBufferFromFile(file),
        rowFormat: 'array',
        onComplete: (r) => {
          expected = r;
        },
      });
      expect(rows.length).toBe(N);
      expect(rows).toStrictEqual(expected);
      expect(rows[0]).toStrictEqual([0, null, null, 0, 0, null, null, null, '0', 'm0', 'free text number 0']);
    });

    it(`columnBatches() holds the same values as rows(), a row group per batch (${label})`, async () => {
      const file = writeFixture(`batches-${opts.pageSize ?? 0}.parquet`, opts);
      const reader = await openTable(file);
      const rows: unknown[][] = [];
      for await (const r of reader.rows()) rows.push(r.values);
      const firsts: number[] = [];
      const transposed: unknown[][] = [];
      for await (const b of reader.columnBatches!()) {
        firsts.push(b.firstRow);
        expect(b.columns.length).toBe(reader.columns.length);
        for (let i = 0; i < b.rowCount; i++) transposed.push(b.columns.map((c) => c[i]));
      }
      expect(firsts).toEqual([1, 701, 1401]);
      expect(transposed).toStrictEqual(rows);
    });

    it(`the columnar path profiles exactly as the row path, bad rows included (${label})`, async () => {
      const file = writeFixture(`profile-${opts.pageSize ?? 0}.parquet`, opts);
      const byRow = await rowPath(await openTable(file), SCHEMA);
      const byColumn = await columnPath(await openTable(file), SCHEMA);
      expect(JSON.stringify(byColumn.profile)).toBe(JSON.stringify(byRow.profile));
      expect(byColumn.bad).toEqual(byRow.bad);
      expect(byColumn.bad).toEqual([
        { file, line: 322, reason: 'column "must": missing value in a non-nullable column' },
        { file, line: 1235, reason: 'column "code": value "x" is not an integer' },
        { file, line: 1501, reason: 'column "big": value "1152921504606846976" is not an integer' },
      ]);
      expect(byColumn.profile.rows).toBe(N - 3);
      const x = byColumn.profile.columns.find((c) => c.name === 'x')!;
      expect(x.missing).toBe(byRow.profile.columns.find((c) => c.name === 'x')!.missing);
      expect(x.missing).toBeGreaterThan(N / 11); // nulls and the NaN
    });
  }

  it('the first failing column in schema order names a row with several bad values', async () => {
    const file = writeFixture('order.parquet');
    const schema: DataSchema = {
      columns: SCHEMA.columns.map((c) => (c.name === 'note' ? { ...c, type: 'integer' as const } : c)),
    };
    const byRow = await rowPath(await openTable(file), schema);
    const byColumn = await columnPath(await openTable(file), schema);
    expect(byColumn.bad).toEqual(byRow.bad);
    expect(byColumn.bad.length).toBe(N);
    expect(byColumn.bad[321]!.reason).toMatch(/column "must"/);
    expect(byColumn.bad[0]!.reason).toMatch(/column "note": value "free text number 0" is not an integer/);
    expect(JSON.stringify(byColumn.profile)).toBe(JSON.stringify(byRow.profile));
  });

  it('a schema column missing from the file is refused up front, as by rowCoercer', async () => {
    const reader = await openTable(writeFixture('lacks.parquet'));
    const schema: DataSchema = { columns: [{ name: 'nope', type: 'float', nullable: true }] };
    expect(() => columnCoercer(reader, schema)).toThrow(/has no column "nope"/);
  });

  it('a truncated or corrupted file fails with the file and the row group', async () => {
    const good = writeFixture('good.parquet', { codec: 'UNCOMPRESSED' });
    const bytes = fs.readFileSync(good);
    const cut = path.join(dir, 'cut.parquet');
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    const e1 = await openTable(cut).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(isKeelError(e1)).toBe(true);
    expect(e1!.message).toMatch(/cut\.parquet: not a readable Parquet file \(footer/);

    // Footer intact, data pages overwritten: the footer opens, decoding the row group fails.
    const broken = Buffer.from(bytes);
    broken.fill(0xff, 4, Math.floor(bytes.length / 2));
    const bad = path.join(dir, 'broken.parquet');
    fs.writeFileSync(bad, broken);
    const reader = await openTable(bad);
    const drain = async () => {
      for await (const _ of reader.columnBatches!()) {
        /* read everything */
      }
    };
    const e2 = await drain().then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(isKeelError(e2)).toBe(true);
    expect(e2!.message).toMatch(/broken\.parquet: not a readable Parquet file \(row group 0, rows 1-700: /);
  });
});
