/**
 * Column-at-a-time typing of a columnar reader's batches (`TableReader.columnBatches`), the fast
 * counterpart of `rowCoercer`: same values, same bad rows, same reasons.
 *
 * Each schema column is typed in one loop (Float64Array columns of a float or integer schema
 * column are checked in place and passed through; string columns of a categorical or text column
 * are passed through unless a value is a missing token). A value that does not fit marks its row
 * in a per-batch mask; the rows of the mask are then re-typed by `rowCoercer`, which gives each
 * its BadRow (first offending column in schema order, same message as the row path). Consumers
 * skip masked rows in every column (`DatasetProfiler.addColumns(columns, rowCount, skip)`), so a
 * row with a bad value is excluded from the profile exactly as in row-major mode.
 */
import type { CellValue } from '../../stats/profile.js';
import { BAD, coerce, isMissing, rowCoercer } from '../schema.js';
import type { BadRow, DataSchema, SchemaColumn, TableReader } from './types.js';

/** A batch of rows as columns (what `TableReader.columnBatches` yields). */
export interface ColumnBatch {
  /** Line (1-based row number) of the batch's first row. */
  firstRow: number;
  rowCount: number;
  /** One array per reader column, `rowCount` long; missing values are null (or NaN in a Float64Array). */
  columns: ArrayLike<unknown>[];
}

/** A batch typed under a schema. */
export interface TypedBatch {
  rowCount: number;
  /** Typed values in schema order: a Float64Array (NaN when missing) or numbers/strings/booleans/null. */
  columns: ArrayLike<CellValue>[];
  /** 1 for each row with a value that does not fit (its values in `columns` are meaningless); null when none. */
  skip: Uint8Array | null;
  /** The rows of `skip`, in row order, with file, line and reason as `rowCoercer` gives them. */
  bad: BadRow[];
}

/**
 * A function typing the column batches of `reader` under `schema` (by column name, as
 * `rowCoercer`; a schema column the file lacks is an error up front).
 */
export function columnCoercer(reader: TableReader, schema: DataSchema): (batch: ColumnBatch) => TypedBatch {
  const byRow = rowCoercer(reader, schema); // also checks every schema column is in the file
  const index = schema.columns.map((c) => reader.columns.indexOf(c.name));
  return (batch) => {
    const n = batch.rowCount;
    let skip: Uint8Array | null = null;
    const mark = (i: number): void => {
      skip ??= new Uint8Array(n);
      skip[i] = 1;
    };
    const columns = schema.columns.map((col, j) => {
      const raw = batch.columns[index[j]!];
      if (!raw || raw.length < n)
        throw new Error(`${reader.file}: column batch is missing "${col.name}" values`);
      return typeColumn(raw, col, n, mark);
    });
    const bad: BadRow[] = [];
    const mask = skip as Uint8Array | null;
    if (mask !== null) {
      for (let i = 0; i < n; i++) {
        if (mask[i] !== 1) continue;
        const line = batch.firstRow + i;
        const typed = byRow({ file: reader.file, line, values: batch.columns.map((c) => c[i]) });
        if (Array.isArray(typed)) throw new Error(`${reader.file}:${line}: column and row typing disagree`);
        bad.push(typed);
      }
    }
    return { rowCount: n, columns, skip: mask, bad };
  };
}

/** Rows whose value fits the column are typed in the result; the others are passed to `mark`. */
function typeColumn(
  raw: ArrayLike<unknown>,
  col: SchemaColumn,
  n: number,
  mark: (i: number) => void,
): ArrayLike<CellValue> {
  const nullable = col.nullable;
  if (raw instanceof Float64Array && (col.type === 'float' || col.type === 'integer')) {
    const integer = col.type === 'integer';
    if (!integer && nullable) return raw;
    for (let i = 0; i < n; i++) {
      const x = raw[i]!;
      if (Number.isNaN(x)) {
        if (!nullable) mark(i);
      } else if (integer && !Number.isSafeInteger(x)) mark(i);
    }
    return raw;
  }
  if (col.type === 'categorical' || col.type === 'text') {
    // Strings are their own typed value unless they are a missing token: copy only then.
    let out: unknown[] | null = null;
    for (let i = 0; i < n; i++) {
      const v = raw[i];
      if (typeof v === 'string' && !maybeMissing(v)) continue;
      const c = typeof v === 'string' ? (isMissing(v) ? null : v) : coerce(v, col.type);
      if (c === null && !nullable) mark(i);
      if (c === v) continue;
      out ??= Array.from(raw);
      out[i] = c === BAD ? null : c;
    }
    return (out ?? raw) as ArrayLike<CellValue>;
  }
  const out = new Array<CellValue>(n);
  for (let i = 0; i < n; i++) {
    const c = coerce(raw[i], col.type);
    if (c === BAD || (c === null && !nullable)) {
      mark(i);
      out[i] = null;
    } else out[i] = c;
  }
  return out;
}

/**
 * False only for strings that cannot be a missing token: longer than every token and without
 * anything `trim()` would remove at either end (printable ASCII there).
 */
function maybeMissing(s: string): boolean {
  if (s.length <= 4) return true;
  const a = s.charCodeAt(0);
  const b = s.charCodeAt(s.length - 1);
  return a <= 0x20 || a >= 0x7f || b <= 0x20 || b >= 0x7f;
}
