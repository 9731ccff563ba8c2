import type { ColumnType } from '../../stats/types.js';

export type TableFormat = 'csv' | 'jsonl' | 'parquet';

/** One row as read, values aligned with the reader's columns (raw: strings for CSV, JSON/Parquet types otherwise). */
export interface RawRow {
  file: string;
  /** 1-based line number (CSV/JSONL; the header is line 1 in CSV) or row number (Parquet). */
  line: number;
  values: unknown[];
}

export interface BadRow {
  file: string;
  line: number;
  reason: string;
}

/** A streaming reader of one tabular file. */
export interface TableReader {
  file: string;
  format: TableFormat;
  columns: string[];
  /** Streams well-formed rows; malformed ones are appended to `bad` (or throw in strict mode). */
  rows(): AsyncGenerator<RawRow>;
  bad: BadRow[];
  /**
   * Columnar formats only (Parquet): the same rows as `rows()`, a batch (row group) at a time, as
   * one array per column in `columns` order, each `rowCount` long; row `i` of a batch is line
   * `firstRow + i`. Missing values are null (or NaN in a Float64Array). See `columnar.ts`.
   */
  columnBatches?(): AsyncGenerator<{ firstRow: number; rowCount: number; columns: ArrayLike<unknown>[] }>;
}

export interface ReadOptions {
  format?: TableFormat;
  /** CSV delimiter (default ','). */
  delimiter?: string;
  /** Reject the whole file at the first malformed row (with file and line) instead of counting it. */
  strict?: boolean;
}

/** A column of a dataset schema. */
export interface SchemaColumn {
  name: string;
  type: ColumnType;
  nullable: boolean;
}

export interface DataSchema {
  columns: SchemaColumn[];
}
