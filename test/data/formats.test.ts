import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKeelError } from '../../src/core/errors.js';
import { detectFormat, openTable } from '../../src/data/formats/index.js';
import type { RawRow, ReadOptions, TableReader } from '../../src/data/formats/types.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-formats-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (name: string, content: string | Buffer): string => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, content);
  return f;
};
const all = async (r: TableReader): Promise<RawRow[]> => {
  const out: RawRow[] = [];
  for await (const row of r.rows()) out.push(row);
  return out;
};
const open = async (name: string, content: string | Buffer, opts: ReadOptions = {}) => {
  const reader = await openTable(write(name, content), opts);
  const rows = await all(reader);
  return { reader, rows, lines: rows.map((r) => r.line), values: rows.map((r) => r.values) };
};
/** The KeelError a promise rejects with. */
const rejection = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isKeelError(e), `expected a KeelError, got ${String(e)}`).toBe(true);
  return e as { code: string; status: number; message: string };
};

describe('CSV', () => {
  it('reads the header, quoted fields with delimiters, escaped quotes and embedded newlines', async () => {
    const { reader, values, lines } = await open(
      'quoted.csv',
      'id,name,note\n1,"Smith, J.","said ""hi"""\n2,plain,"two\nlines"\n3,x,\n',
    );
    expect(reader.format).toBe('csv');
    expect(reader.columns).toEqual(['id', 'name', 'note']);
    expect(values).toEqual([
      ['1', 'Smith, J.', 'said "hi"'],
      ['2', 'plain', 'two\nlines'],
      ['3', 'x', ''],
    ]);
    expect(lines).toEqual([2, 3, 5]);
    expect(reader.bad).toEqual([]);
  });

  it('reports ragged rows with the physical line they start on, skipping blank lines, and keeps going', async () => {
    const csv = [
      'a,b,c',
      '1,2,3',
      '"multi',
      'line",5,6',
      '',
      '7,8',
      '9,10,11',
      '"p',
      'q",1',
      '',
      '12,13,14,15',
      '16,17,18',
    ];
    const { reader, lines, values } = await open('ragged.csv', `${csv.join('\n')}\n`);
    expect(lines).toEqual([2, 3, 7, 12]);
    expect(values.at(-1)).toEqual(['16', '17', '18']);
    expect(reader.bad).toEqual([
      { file: reader.file, line: 6, reason: 'expected 3 fields, got 2' },
      { file: reader.file, line: 8, reason: 'expected 3 fields, got 2' },
      { file: reader.file, line: 11, reason: 'expected 3 fields, got 4' },
    ]);
  });

  it('keeps ragged rows in file order across stream chunks (a large file)', async () => {
    const lines = ['k,v'];
    for (let i = 1; i <= 50_000; i++)
      lines.push(i % 997 === 0 ? `${i}` : i % 1009 === 0 ? `"${i}\nx",1` : `${i},v${i}`);
    const { reader, rows } = await open('large.csv', `${lines.join('\n')}\n`);
    // Line of row i: 1 (header) + i + the extra line of each quoted two-line record before it.
    const lineOf = (i: number): number => 1 + i + Math.floor((i - 1) / 1009);
    const badIs = Array.from({ length: 50_000 }, (_, k) => k + 1).filter((i) => i % 997 === 0);
    expect(reader.bad.map((b) => b.line)).toEqual(badIs.map(lineOf));
    expect(rows.length).toBe(50_000 - badIs.length);
    for (const r of rows) expect(r.line).toBe(lineOf(Number(r.values[0]!.toString().split('\n')[0])));
  });

  it('counts lines right in CRLF files, also with CRLF inside quotes', async () => {
    const csv = ['a,b', '1,"x', 'y"', '2', '3,4'].join('\r\n');
    const { reader, lines } = await open('crlf.csv', `${csv}\r\n`);
    expect(lines).toEqual([2, 5]);
    expect(reader.bad.map((b) => b.line)).toEqual([4]);
  });

  it('reports an unterminated quote at the line it opens', async () => {
    const { reader, lines } = await open('unterminated.csv', 'a,b\n1,2\n3,"open\n4,5\n');
    expect(lines).toEqual([2]);
    expect(reader.bad).toEqual([
      { file: reader.file, line: 3, reason: 'unterminated quoted field (the quote is never closed)' },
    ]);
  });

  it('strict mode rejects the file at the first malformed row, naming file and line', async () => {
    const file = write('strict.csv', 'a,b\n1,2\n3,4\n5\n6,7\n');
    const reader = await openTable(file, { strict: true });
    const e = await rejection(all(reader));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.status).toBe(400);
    expect(e.message).toBe(`${file}: line 4: expected 2 fields, got 1`);
    const unterminated = await openTable(write('strict2.csv', 'a,b\n"x,1\n'), { strict: true });
    expect((await rejection(all(unterminated))).message).toMatch(
      /strict2\.csv: line 2: unterminated quoted field/,
    );
  });

  it('takes a delimiter, reads .tsv as tab-separated, and strips a BOM', async () => {
    const semi = await open('semi.csv', 'a;b\n"x;y";2\n', { delimiter: ';' });
    expect(semi.reader.columns).toEqual(['a', 'b']);
    expect(semi.values).toEqual([['x;y', '2']]);
    const tsv = await open('data.tsv', '\uFEFFname\tscore\nalice\t1,5\nbob\t2\n');
    expect(tsv.reader.columns).toEqual(['name', 'score']);
    expect(tsv.values).toEqual([
      ['alice', '1,5'],
      ['bob', '2'],
    ]);
  });

  it('gives a fresh pass (and a fresh bad list) on each rows() call, and stops reading when the caller does', async () => {
    const { reader } = await open('twice.csv', 'a\n1\n2\n3\n');
    expect((await all(reader)).length).toBe(3);
    for await (const row of reader.rows()) {
      expect(row.line).toBe(2);
      break;
    }
  });

  it('refuses duplicate header names; names blank ones', async () => {
    const file = write('dup.csv', 'a,b,a\n1,2,3\n');
    expect((await rejection(openTable(file))).message).toBe(
      `${file}: line 1: duplicate column name "a" in the header`,
    );
    expect((await open('blank.csv', 'a,,c\n1,2,3\n')).reader.columns).toEqual(['a', 'column_2', 'c']);
  });

  it('parses records split across read chunks: quotes, CRLF, a field longer than a chunk', async () => {
    // Several read chunks long, so records, CRLF pairs and escaped quotes fall on chunk boundaries.
    const long = `${'x'.repeat(100_000)}\r\n""${'y'.repeat(100_000)}`;
    const expected: { line: number; values: string[] }[] = [];
    let text = 'id,note,n\r\n';
    let line = 2;
    for (let i = 1; i <= 12_000; i++) {
      const note = i === 5000 ? long : i % 7 === 0 ? `a "q", ${i}\r\nz` : i % 5 === 0 ? `n,${i}` : `v${i}`;
      const quoted = i % 5 === 0 || i % 7 === 0 || i === 5000;
      text += `${i},${quoted ? `"${note.replaceAll('"', '""')}"` : note},${i * 3}\r\n`;
      expected.push({ line, values: [String(i), note, String(i * 3)] });
      line += 1 + (note.match(/\r\n/g)?.length ?? 0);
      if (i % 1000 === 0) {
        text += '\r\n'; // blank line: skipped, but counted
        line++;
      }
    }
    const { reader, rows } = await open('chunks.csv', text);
    expect(reader.bad).toEqual([]);
    expect(rows.map((r) => ({ line: r.line, values: r.values }))).toEqual(expected);
  });

  it('reads old Mac files (CR line breaks) and keeps stray quotes in unquoted fields literally', async () => {
    const mac = await open('mac.csv', 'a,b\r1,"x\ry"\r2,3\r');
    expect(mac.values).toEqual([
      ['1', 'x\ry'],
      ['2', '3'],
    ]);
    expect(mac.lines).toEqual([2, 4]);
    const relaxed = await open('relaxed.csv', `name,height\nbob,5'10"\n"x"y,2\nann,"6'"\n`);
    expect(relaxed.values).toEqual([
      ['bob', `5'10"`],
      ['"x"y', '2'],
      ['ann', `6'`],
    ]);
  });

  it('an empty file has no columns and no rows; a missing file is a 400 naming it', async () => {
    const empty = await open('empty.csv', '');
    expect(empty.reader.columns).toEqual([]);
    expect(empty.rows).toEqual([]);
    const missing = path.join(dir, 'nope.csv');
    expect((await rejection(openTable(missing))).message).toBe(`${missing}: no such file`);
  });
});

describe('JSON Lines', () => {
  it('reads objects; columns are the union of keys in first-seen order; absent keys are null', async () => {
    const { reader, values, lines } = await open(
      'good.jsonl',
      '{"a":1,"b":"x"}\n\n{"b":"y","c":true}\r\n  {"a":null,"c":false,"d":{"n":1}}\n',
    );
    expect(reader.format).toBe('jsonl');
    expect(reader.columns).toEqual(['a', 'b', 'c', 'd']);
    expect(values).toEqual([
      [1, 'x', null, null],
      [null, 'y', true, null],
      [null, null, false, { n: 1 }],
    ]);
    expect(lines).toEqual([1, 3, 4]);
  });

  it('reports invalid JSON and non-objects with their line; strict mode throws naming file and line', async () => {
    const content = '{"a":1}\n{"a":\n[1,2]\n"str"\nnull\n{"a":2,"late":1}\n';
    const { reader, values } = await open('bad.ndjson', content);
    expect(reader.columns).toEqual(['a', 'late']);
    expect(values).toEqual([
      [1, null],
      [2, 1],
    ]);
    expect(reader.bad.map((b) => b.line)).toEqual([2, 3, 4, 5]);
    expect(reader.bad[0]!.reason).toMatch(/^invalid JSON/);
    expect(reader.bad[1]!.reason).toBe('not a JSON object (got an array)');
    expect(reader.bad[2]!.reason).toBe('not a JSON object (got "str")');
    const file = write('bad-strict.jsonl', content);
    const e = await rejection(all(await openTable(file, { strict: true })));
    expect(e.message).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: line 2: invalid JSON`),
    );
  });

  it('takes columns from the first 1000 objects only', async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ i }));
    lines.push(JSON.stringify({ i: 1000, extra: 'ignored' }));
    const { reader, values } = await open('wide.jsonl', `${lines.join('\n')}\n`);
    expect(reader.columns).toEqual(['i']);
    expect(values.at(-1)).toEqual([1000]);
  });
});

describe('Parquet', () => {
  it('reads back a file written with hyparquet-writer, row group by row group', async () => {
    const file = path.join(dir, 'data.parquet');
    const n = 2500;
    parquetWriteFile({
      filename: file,
      columnData: [
        { name: 'id', data: Array.from({ length: n }, (_, i) => i), type: 'INT32' },
        {
          name: 'name',
          data: Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : `n${i}`)),
          type: 'STRING',
        },
        { name: 'score', data: Float64Array.from({ length: n }, (_, i) => i / 2), type: 'DOUBLE' },
        { name: 'flag', data: Array.from({ length: n }, (_, i) => i % 2 === 0), type: 'BOOLEAN' },
      ],
      rowGroupSize: 1000,
    });
    const reader = await openTable(file);
    expect(reader.format).toBe('parquet');
    expect(reader.columns).toEqual(['id', 'name', 'score', 'flag']);
    const rows = await all(reader);
    expect(rows.length).toBe(n);
    expect(rows[0]).toEqual({ file, line: 1, values: [0, null, 0, true] });
    expect(rows[1002]).toEqual({ file, line: 1003, values: [1002, 'n1002', 501, true] });
    expect(rows[1001]!.values[1]).toBeNull();
    expect(rows.at(-1)!.line).toBe(n);
  });

  it('a truncated or non-Parquet file is a 400 naming the file and the problem', async () => {
    const good = path.join(dir, 'whole.parquet');
    parquetWriteFile({ filename: good, columnData: [{ name: 'x', data: [1, 2, 3], type: 'INT32' }] });
    const bytes = fs.readFileSync(good);
    const cut = write('cut.parquet', bytes.subarray(0, bytes.length - 10));
    const e = await rejection(openTable(cut));
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/cut\.parquet: not a readable Parquet file \(footer: .*PAR1/);
    const tiny = write('tiny.parquet', 'PAR');
    expect((await rejection(openTable(tiny))).message).toMatch(
      /tiny\.parquet: not a readable Parquet file .*too short/,
    );
    const csvNamedParquet = write('csv.parquet', 'a,b\n1,2\n'.repeat(10));
    expect((await rejection(openTable(csvNamedParquet))).message).toMatch(
      /csv\.parquet: not a readable Parquet file/,
    );
  });
});

describe('openTable', () => {
  it('chooses the format by extension or option; an unknown extension is a 400', async () => {
    expect(detectFormat('x.CSV')).toEqual({ format: 'csv' });
    expect(detectFormat('x.tsv')).toEqual({ format: 'csv', delimiter: '\t' });
    expect(detectFormat('x.ndjson').format).toBe('jsonl');
    expect(detectFormat('x.parquet').format).toBe('parquet');
    const txt = write('data.txt', '{"a":1}\n');
    const e = await rejection(openTable(txt));
    expect(e.message).toMatch(/data\.txt: unknown table format \(extension "\.txt"\)/);
    expect((await openTable(txt, { format: 'jsonl' })).columns).toEqual(['a']);
  });
});
