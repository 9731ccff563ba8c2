import {
  type AsyncBuffer,
  asyncBufferFromFile,
  type FileMetaData,
  parquetMetadataAsync,
  parquetRead,
  parquetSchema,
} from 'hyparquet';
import { invalidParam } from '../../core/errors.js';
import type { BadRow, RawRow, ReadOptions, TableReader } from './types.js';

/**
 * Parquet reader on hyparquet. The footer is read when the file is opened (a truncated or foreign
 * file fails there); rows are then decoded one row group at a time, so memory is bounded by the
 * largest row group rather than the file. Values keep hyparquet's types (INT64 as bigint,
 * timestamps as Date, ...); `line` is the 1-based row number. A row group that cannot be decoded
 * fails the whole read: there is no row boundary inside it to report.
 */
function unreadable(file: string, what: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return invalidParam(`${file}: no such file`, 'file');
  if (err.code === 'EISDIR') return invalidParam(`${file}: is a directory, not a Parquet file`, 'file');
  return invalidParam(`${file}: not a readable Parquet file (${what}: ${err.message})`, 'file');
}

/** Opens a Parquet file: parses its footer now, rows on demand (row group by row group). */
export async function openParquet(file: string, _opts: ReadOptions = {}): Promise<TableReader> {
  let buffer: AsyncBuffer;
  let metadata: FileMetaData;
  try {
    buffer = await asyncBufferFromFile(file);
    // A file shorter than the 8-byte footer makes hyparquet index outside its buffer: say so plainly.
    if (buffer.byteLength < 12) throw new Error(`${buffer.byteLength} bytes is too short for a Parquet file`);
    metadata = await parquetMetadataAsync(buffer);
  } catch (e) {
    throw unreadable(file, 'footer', e);
  }
  const columns = parquetSchema(metadata).children.map((c) => c.element.name);
  const bad: BadRow[] = [];
  return {
    file,
    format: 'parquet',
    columns,
    bad,
    async *rows(): AsyncGenerator<RawRow> {
      let start = 0;
      for (const [g, group] of metadata.row_groups.entries()) {
        const count = Number(group.num_rows);
        let rows: unknown[][] = [];
        try {
          await parquetRead({
            file: buffer,
            metadata,
            rowStart: start,
            rowEnd: start + count,
            rowFormat: 'array',
            onComplete: (r) => {
              rows = r;
            },
          });
        } catch (e) {
          throw unreadable(file, `row group ${g}, rows ${start + 1}-${start + count}`, e);
        }
        for (const [i, values] of rows.entries()) yield { file, line: start + i + 1, values };
        start += count;
      }
    },
  };
}
