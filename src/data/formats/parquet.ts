import {
  type AsyncBuffer,
  asyncBufferFromFile,
  type DecodedArray,
  type FileMetaData,
  parquetMetadataAsync,
  parquetRead,
  parquetSchema,
  type RowGroup,
  type SchemaTree,
} from 'hyparquet';
// The page-level functions are hyparquet's own (exported under hyparquet/src): decoding flat
// columns page by page skips its row assembly, which was most of the read time. They are not
// its stable API, so package.json pins hyparquet exactly; tests compare against parquetRead.
import { parquetHeader, readPage } from 'hyparquet/src/column.js';
import { convert, convertWithDictionary, DEFAULT_PARSERS } from 'hyparquet/src/convert.js';
import { decompressPage, readDataPage, readDataPageV2 } from 'hyparquet/src/datapage.js';
import { getMaxDefinitionLevel, getTreePath, isFlatColumn } from 'hyparquet/src/schema.js';
import { invalidParam } from '../../core/errors.js';
import type { ColumnBatch } from './columnar.js';
import type { BadRow, RawRow, ReadOptions, TableReader } from './types.js';

/**
 * Parquet reader on hyparquet. The footer is read when the file is opened (a truncated or foreign
 * file fails there); data is then decoded one row group at a time, so memory is bounded by the
 * largest row group rather than the file. Values keep hyparquet's types (INT64 as bigint,
 * timestamps as Date, ...); `line` is the 1-based row number. A row group that cannot be decoded
 * fails the whole read: there is no row boundary inside it to report.
 *
 * Decoding is columnar: flat (non-nested) columns are decoded page by page with hyparquet's own
 * page decoders (same values as `parquetRead`), but without its generic list assembly, which
 * boxes every value into a growing array and dominated the read time. A column chunk without
 * nulls whose values decode to a numeric typed array stays one `Float64Array`. Nested columns go
 * through `parquetRead`. `rows()` transposes each decoded row group; `columnBatches()` hands the
 * columns over as they are (missing values: null, or NaN in a `Float64Array`).
 */
function unreadable(file: string, what: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return invalidParam(`${file}: no such file`, 'file');
  if (err.code === 'EISDIR') return invalidParam(`${file}: is a directory, not a Parquet file`, 'file');
  return invalidParam(`${file}: not a readable Parquet file (${what}: ${err.message})`, 'file');
}

type ColumnDecoder = Parameters<typeof readDataPage>[2];
/** One decoded column of a row group: a Float64Array (no nulls) or values with null for missing. */
type DecodedColumn = Float64Array | unknown[];

/** Typed arrays whose elements are plain numbers, exactly representable as doubles. */
const isNumberArray = (a: DecodedArray): boolean =>
  a instanceof Float64Array ||
  a instanceof Float32Array ||
  a instanceof Int32Array ||
  a instanceof Uint32Array ||
  a instanceof Int16Array ||
  a instanceof Uint16Array ||
  a instanceof Int8Array ||
  a instanceof Uint8Array;

/** `out`'s first `n` values in a plain array of length `size` (when a Float64Array column meets a null). */
function toPlain(out: Float64Array, n: number, size: number): unknown[] {
  const a = new Array<unknown>(size);
  for (let i = 0; i < n; i++) a[i] = out[i];
  return a;
}

/**
 * Decodes a flat column chunk of `rows` rows from `view` (the chunk's bytes): dictionary and data
 * pages (v1 and v2), any codec and encoding hyparquet supports.
 */
function decodeFlatChunk(
  view: DataView,
  decoder: ColumnDecoder,
  maxDef: number,
  rows: number,
): DecodedColumn {
  const reader = { view, offset: 0 };
  const leaf = decoder.schemaPath[1];
  const required: ColumnDecoder | null =
    maxDef > 0 && leaf
      ? {
          ...decoder,
          schemaPath: [
            decoder.schemaPath[0]!,
            { ...leaf, element: { ...leaf.element, repetition_type: 'REQUIRED' } },
          ],
        }
      : null;
  let dictionary: DecodedArray | undefined;
  let out: DecodedColumn | null = null;
  let row = 0;
  while (row < rows && reader.offset < view.byteLength - 1) {
    const header = parquetHeader(reader);
    if (header.type === 'DICTIONARY_PAGE') {
      const { data } = readPage(reader, header, decoder, undefined, undefined, 0);
      if (data) dictionary = convert(data, decoder);
      continue;
    }
    const bytes = new Uint8Array(view.buffer, view.byteOffset + reader.offset, header.compressed_page_size);
    reader.offset += header.compressed_page_size;
    let page: { definitionLevels: number[] | undefined; dataPage: DecodedArray };
    let encoding: string;
    let count: number;
    let nulls: boolean;
    if (header.type === 'DATA_PAGE_V2') {
      const h = header.data_page_header_v2;
      if (!h) throw new Error('parquet data page header v2 is undefined');
      encoding = h.encoding;
      count = h.num_values;
      nulls = maxDef > 0 && h.num_nulls > 0;
      if (maxDef > 0 && !nulls && required) {
        // No nulls: skip decoding a definition level per value by reading the page as a REQUIRED
        // column's (levels cut off; values, codec and encoding unchanged).
        const cut = h.definition_levels_byte_length + h.repetition_levels_byte_length;
        page = readDataPageV2(
          bytes.subarray(cut),
          {
            ...header,
            uncompressed_page_size: header.uncompressed_page_size - cut,
            data_page_header_v2: { ...h, definition_levels_byte_length: 0, repetition_levels_byte_length: 0 },
          },
          required,
        );
      } else page = readDataPageV2(bytes, header, decoder);
    } else if (header.type === 'DATA_PAGE') {
      const h = header.data_page_header;
      if (!h) throw new Error('parquet data page header is undefined');
      const raw = decompressPage(
        bytes,
        Number(header.uncompressed_page_size),
        decoder.codec,
        decoder.compressors,
      );
      page = readDataPage(raw, h, decoder);
      encoding = h.encoding;
      count = h.num_values;
      nulls = (page.definitionLevels?.length ?? 0) > 0; // emptied by hyparquet when the page has no nulls
    } else {
      throw new Error(`parquet unsupported page type: ${header.type}`);
    }
    const values = convertWithDictionary(page.dataPage, dictionary, encoding as never, decoder);
    if (row + count > rows) throw new Error(`column chunk has more than ${rows} values`);
    if (out === null && count === rows && !nulls) {
      // The common single-page chunk: keep the decoded array.
      if (values.length !== count) throw new Error(`page has ${values.length} values, expected ${count}`);
      out =
        values instanceof Float64Array
          ? values
          : isNumberArray(values)
            ? Float64Array.from(values as ArrayLike<number>)
            : Array.isArray(values)
              ? values
              : Array.from(values as ArrayLike<unknown>);
      row += count;
      continue;
    }
    if (out === null)
      out = !nulls && isNumberArray(values) ? new Float64Array(rows) : new Array<unknown>(rows);
    else if (out instanceof Float64Array && (nulls || !isNumberArray(values))) out = toPlain(out, row, rows);
    if (!nulls) {
      if (values.length !== count) throw new Error(`page has ${values.length} values, expected ${count}`);
      if (out instanceof Float64Array) out.set(values as ArrayLike<number>, row);
      else for (let i = 0; i < count; i++) out[row + i] = values[i];
    } else {
      const def = page.definitionLevels!;
      let k = 0;
      for (let i = 0; i < count; i++) out[row + i] = def[i] === maxDef ? values[k++] : null;
      if (k !== values.length) throw new Error(`page has ${values.length} values, expected ${k}`);
    }
    row += count;
  }
  if (row !== rows) throw new Error(`column chunk ends after ${row} of ${rows} values`);
  return out ?? new Array<unknown>(rows).fill(null);
}

interface ColumnSpec {
  name: string;
  /** Decoding parameters of a flat column; null for nested ones (read with parquetRead). */
  flat: { schemaPath: SchemaTree[]; maxDef: number } | null;
}

/** Decodes every column of one row group, in `specs` order. */
async function decodeGroup(
  buffer: AsyncBuffer,
  metadata: FileMetaData,
  group: RowGroup,
  groupStart: number,
  specs: ColumnSpec[],
): Promise<DecodedColumn[]> {
  const rows = Number(group.num_rows);
  const out: DecodedColumn[] = new Array(specs.length);
  const chunks = new Map(group.columns.map((c) => [c.meta_data?.path_in_schema.join('.') ?? '', c]));
  // One read spanning the flat columns' chunks (they are contiguous in every writer we know).
  const ranges = specs.map((s) => {
    if (!s.flat) return null;
    const chunk = chunks.get(s.name);
    const meta = chunk?.meta_data;
    if (!meta) throw new Error(`no column chunk for "${s.name}"`);
    if (chunk.file_path) throw new Error('parquet file_path not supported');
    const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
    return { meta, start, end: start + Number(meta.total_compressed_size) };
  });
  const present = ranges.filter((r) => r !== null);
  if (present.length > 0) {
    const lo = Math.min(...present.map((r) => r.start));
    const hi = Math.max(...present.map((r) => r.end));
    const bytes = await buffer.slice(lo, hi);
    if (bytes.byteLength !== hi - lo) throw new Error(`read ${bytes.byteLength} of ${hi - lo} bytes`);
    for (const [i, spec] of specs.entries()) {
      const r = ranges[i];
      if (!r || !spec.flat) continue;
      const decoder: ColumnDecoder = {
        pathInSchema: r.meta.path_in_schema,
        type: r.meta.type,
        element: spec.flat.schemaPath.at(-1)!.element,
        schemaPath: spec.flat.schemaPath,
        codec: r.meta.codec,
        parsers: DEFAULT_PARSERS,
      };
      try {
        out[i] = decodeFlatChunk(
          new DataView(bytes, r.start - lo, r.end - r.start),
          decoder,
          spec.flat.maxDef,
          rows,
        );
      } catch (e) {
        throw new Error(`column "${spec.name}": ${(e as Error).message}`);
      }
    }
  }
  const nested = specs.flatMap((s, i) => (s.flat ? [] : [i]));
  if (nested.length > 0) {
    let data: unknown[][] = [];
    await parquetRead({
      file: buffer,
      metadata,
      columns: nested.map((i) => specs[i]!.name),
      rowStart: groupStart,
      rowEnd: groupStart + rows,
      rowFormat: 'array',
      onComplete: (r) => {
        data = r;
      },
    });
    if (data.length !== rows) throw new Error(`decoded ${data.length} of ${rows} rows`);
    for (const [j, i] of nested.entries()) out[i] = data.map((r) => r[j]);
  }
  return out;
}

/** Opens a Parquet file: parses its footer now, data on demand (row group by row group). */
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
  const tree = parquetSchema(metadata);
  const columns = tree.children.map((c) => c.element.name);
  const specs: ColumnSpec[] = tree.children.map((c) => {
    const schemaPath = getTreePath(tree, [c.element.name]);
    return {
      name: c.element.name,
      flat: isFlatColumn(schemaPath) ? { schemaPath, maxDef: getMaxDefinitionLevel(schemaPath) } : null,
    };
  });
  const bad: BadRow[] = [];

  /** Decoded row groups in order, each with its first row (0-based). */
  async function* groups(): AsyncGenerator<{ start: number; rows: number; data: DecodedColumn[] }> {
    let start = 0;
    for (const [g, group] of metadata.row_groups.entries()) {
      const rows = Number(group.num_rows);
      let data: DecodedColumn[];
      try {
        data = await decodeGroup(buffer, metadata, group, start, specs);
      } catch (e) {
        throw unreadable(file, `row group ${g}, rows ${start + 1}-${start + rows}`, e);
      }
      yield { start, rows, data };
      start += rows;
    }
  }

  return {
    file,
    format: 'parquet',
    columns,
    bad,
    async *rows(): AsyncGenerator<RawRow> {
      for await (const { start, rows, data } of groups()) {
        for (let i = 0; i < rows; i++) {
          const values = new Array<unknown>(data.length);
          for (let c = 0; c < data.length; c++) values[c] = data[c]![i];
          yield { file, line: start + i + 1, values };
        }
      }
    },
    async *columnBatches(): AsyncGenerator<ColumnBatch> {
      for await (const { start, rows, data } of groups())
        yield { firstRow: start + 1, rowCount: rows, columns: data };
    },
  };
}
