import fs from 'node:fs';
import { type CsvError, parse } from 'csv-parse';
import { invalidParam } from '../../core/errors.js';
import type { BadRow, RawRow, ReadOptions, TableReader } from './types.js';

/**
 * Streaming CSV/TSV reader on csv-parse. The first record is the header; every later record must
 * have exactly as many fields (no `relax_column_count`), otherwise it is a malformed row. Memory is
 * one record plus the stream buffers, except that an unterminated quote swallows the rest of the
 * file into one field: `MAX_RECORD_BYTES` bounds that.
 */
const MAX_RECORD_BYTES = 32 * 2 ** 20;
const BREAK = /\r\n|\r|\n/g;

/** Counts line breaks in csv-parse's `raw` text: its `lines` counter double-counts CRLF inside quotes. */
const breaks = (s: string): number => s.match(BREAK)?.length ?? 0;
const leadingBreaks = (s: string): number => breaks(/^[\r\n]*/.exec(s)?.[0] ?? '');

/** One parsed record with the physical line it starts on, or a malformed one with its reason. */
type Item = { line: number; fields: string[] } | { line: number; error: string };

/**
 * Parses `file` record by record. Line numbers come from counting breaks in each record's raw text
 * (empty lines skipped before a record are part of it), which stays right for CRLF files and quoted
 * newlines whatever the stream's chunking. Skipped (malformed) records are reported by a callback
 * during parsing, ahead of the records still buffered in the stream; `err.records` (records emitted
 * before the skip) puts them back in file order. (`on_record` would number records in order too,
 * but makes csv-parse about 2.5x slower.)
 */
async function* records(file: string, delimiter: string): AsyncGenerator<Item> {
  let cursor = 1;
  // A record's first line is after the blank lines its raw text starts with.
  const lead = (s: string): number => (s.startsWith('\n') || s.startsWith('\r') ? leadingBreaks(s) : 0);
  const startOf = (blank: number, total: number): number => {
    const start = cursor + blank;
    cursor += total;
    return start;
  };
  // Only counts are kept for a skipped record, not its text: a run of bad rows stays small.
  const skipped: { after: number; lead: number; total: number; error: string }[] = [];
  const parser = parse({
    delimiter,
    bom: true,
    raw: true,
    skip_empty_lines: true,
    // Real-world files carry stray quotes inside unquoted fields (5'10"); keep them literally.
    relax_quotes: true,
    relax_column_count: false,
    skip_records_with_error: true,
    max_record_size: MAX_RECORD_BYTES,
    on_skip: (err, raw) => {
      const s = raw ?? '';
      skipped.push({
        after: Number(err?.records ?? Number.POSITIVE_INFINITY),
        lead: lead(s),
        total: breaks(s),
        error: describe(err),
      });
      return undefined;
    },
  });
  const source = fs.createReadStream(file);
  source.on('error', (e) => parser.destroy(e));
  source.pipe(parser);
  let emitted = 0;
  let head = 0; // next skip to report (an index: shift() would make long runs of bad rows quadratic)
  try {
    for await (const rec of parser as AsyncIterable<{ record: string[]; raw: string }>) {
      for (; head < skipped.length && skipped[head]!.after <= emitted; head++) {
        const s = skipped[head]!;
        yield { line: startOf(s.lead, s.total), error: s.error };
      }
      if (head > 0 && head === skipped.length) {
        skipped.length = 0;
        head = 0;
      }
      emitted++;
      yield { line: startOf(lead(rec.raw), breaks(rec.raw)), fields: rec.record };
    }
    for (const s of skipped.slice(head)) yield { line: startOf(s.lead, s.total), error: s.error };
  } catch (e) {
    throw readError(file, e);
  } finally {
    source.destroy();
    parser.destroy();
  }
}

function describe(err: CsvError | undefined): string {
  if (!err) return 'malformed record';
  switch (err.code) {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
      return err.message.replace(
        /^Invalid Record Length: expect (\d+), got (\d+).*$/s,
        'expected $1 fields, got $2',
      );
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'unterminated quoted field (the quote is never closed)';
    case 'CSV_MAX_RECORD_SIZE':
      return `record larger than ${MAX_RECORD_BYTES / 2 ** 20} MiB (an unterminated quote?)`;
    default:
      return err.message.replace(/ at line \d+.*$/s, '');
  }
}

function readError(file: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return invalidParam(`${file}: no such file`, 'file');
  if (err.code === 'EISDIR') return invalidParam(`${file}: is a directory, not a CSV file`, 'file');
  if (err.code?.startsWith('CSV_')) return invalidParam(`${file}: ${err.message}`, 'file');
  return err;
}

/** Header names: blanks become `column_<n>`; duplicates are refused (a schema needs unique names). */
function headerColumns(file: string, header: string[]): string[] {
  const columns = header.map((h, i) => (h.trim() === '' ? `column_${i + 1}` : h));
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c))
      throw invalidParam(`${file}: line 1: duplicate column name "${c}" in the header`, 'file');
    seen.add(c);
  }
  return columns;
}

/** Opens a CSV (or TSV with `delimiter: '\t'`) file: reads the header now, rows on demand. */
export async function openCsv(file: string, opts: ReadOptions = {}): Promise<TableReader> {
  const delimiter = opts.delimiter ?? ',';
  if (delimiter.length === 0) throw invalidParam('CSV delimiter must not be empty', 'delimiter');
  let header: string[] | undefined;
  for await (const item of records(file, delimiter)) {
    if ('error' in item) throw invalidParam(`${file}: line ${item.line}: bad header: ${item.error}`, 'file');
    header = item.fields;
    break;
  }
  const columns = header ? headerColumns(file, header) : [];
  const bad: BadRow[] = [];
  return {
    file,
    format: 'csv',
    columns,
    bad,
    // Each call is a fresh pass over the file; `bad` is cleared so it holds this pass's rows.
    async *rows(): AsyncGenerator<RawRow> {
      bad.length = 0;
      let first = true;
      for await (const item of records(file, delimiter)) {
        if (first) {
          first = false;
          continue;
        }
        if ('error' in item) {
          if (opts.strict) throw invalidParam(`${file}: line ${item.line}: ${item.error}`, 'file');
          bad.push({ file, line: item.line, reason: item.error });
          continue;
        }
        yield { file, line: item.line, values: item.fields };
      }
    },
  };
}
