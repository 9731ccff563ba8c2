import type { ColumnType } from '../stats/types.js';

/** One column's drift verdict, with what the report draws: both distributions on the same bins. */
export interface ColumnDiff {
  column: string;
  type: ColumnType;
  method: string;
  statistic: number;
  pValue?: number;
  threshold: number;
  drifted: boolean;
  /** True when computed from profiles (binned/sketched) rather than raw values. */
  approximate: boolean;
  /** Bin labels (numeric ranges or categories) and each side's share of rows per bin. */
  bins: { labels: string[]; reference: number[]; current: number[] };
}

export interface SchemaChange {
  added: { name: string; type: ColumnType }[];
  removed: { name: string; type: ColumnType }[];
  changed: { name: string; from: ColumnType; to: ColumnType }[];
}

export interface DataDiff {
  from: string;
  to: string;
  rows: { from: number; to: number };
  schema: SchemaChange;
  columns: ColumnDiff[];
  dataset: {
    driftedColumns: number;
    totalColumns: number;
    share: number;
    threshold: number;
    drifted: boolean;
  };
}
