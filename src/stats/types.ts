/**
 * Column and dataset profiles: mergeable summaries from which data quality, drift and reports
 * are computed without the raw rows (DESIGN.md principle 4). Everything here is plain JSON.
 */
export type ColumnType = 'integer' | 'float' | 'boolean' | 'categorical' | 'datetime' | 'text';

/** Count, mean and sum of squared deviations (Welford / Chan et al.), min and max: merge exactly. */
export interface Moments {
  count: number;
  mean: number;
  /** Sum of squared deviations from the mean (variance = m2 / count, sample variance = m2 / (count-1)). */
  m2: number;
  min: number;
  max: number;
}

/** A histogram on fixed edges: counts[i] holds values in [edges[i], edges[i+1]) (last bin closed). */
export interface Histogram {
  edges: number[];
  counts: number[];
  /** Values below the first edge / above the last one (only when the edges came from a reference). */
  underflow: number;
  overflow: number;
  /**
   * Added with the stats layer: true when the edges were given (e.g. a reference profile's), so
   * merging adds counts exactly; absent when they were derived from the profile's own quantile
   * sketch, so a merge re-derives them from the merged sketch (two windows' derived edges differ,
   * and adding counts on different edges is impossible). Without it a merge cannot tell the two apart.
   */
  fixed?: boolean;
}

/** Top categories with exact counts while the number of distinct values stays under the cap. */
export interface TopK {
  /** [value, count], most frequent first. */
  items: [string, number][];
  /** Count of values outside `items`. */
  other: number;
  /** True while every distinct value was tracked (counts are then exact). */
  exact: boolean;
}

export interface ColumnProfile {
  name: string;
  type: ColumnType;
  /** Rows seen, missing ones included. */
  count: number;
  missing: number;
  /** HyperLogLog registers, serialised (base64); `distinctEstimate` is derived from them. */
  hll: string;
  distinctEstimate: number;
  /** Numeric, datetime (epoch ms) and boolean (0/1) columns. */
  moments?: Moments;
  /** Quantile sketch, serialised (base64); relative accuracy stated in `quantileAccuracy`. */
  sketch?: string;
  quantileAccuracy?: number;
  histogram?: Histogram;
  /** Categorical, boolean and text columns. */
  top?: TopK;
}

export interface DatasetProfile {
  rows: number;
  /** Rows rejected while reading (malformed), not counted in `rows`. */
  badRows: number;
  columns: ColumnProfile[];
}
