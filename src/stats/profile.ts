/**
 * Column and dataset profiling (DESIGN.md principle 4): one streaming pass builds, per column,
 * counts, moments, a quantile sketch, a histogram, top-k categories and a distinct-count sketch;
 * stored profiles merge (windows, replicas, file chunks) without the raw rows (merge.ts).
 *
 * Hot path: `ColumnProfiler.add` is one monomorphic method with a switch on a small integer kind,
 * allocates nothing per value, hashes numbers by their bits (no string conversion) and hashes a
 * category into the HLL only when the top-k counter has not seen it before (re-adding a value to
 * an HLL never changes it, so the registers are the same as hashing every value).
 */
import { invalidParam } from '../core/errors.js';
import { DEFAULT_BINS, emptyHistogram, quantileEdges } from './histogram.js';
import { Hll } from './hll.js';
import { emptyMoments } from './moments.js';
import { assemble, BOOLEAN, CATEGORY, DATETIME, kindOf, LOW_CARDINALITY, NUMERIC } from './parts.js';
import { histogramFromSketch, QuantileSketch } from './quantiles.js';
import { TopKAccumulator } from './topk.js';
import type { ColumnProfile, ColumnType, DatasetProfile, Histogram, Moments, TopK } from './types.js';

// Merging lives in merge.ts; re-exported so `stats/profile.js` stays the one import for profiles.
export {
  type MergeProfileOptions,
  mergeColumnProfiles,
  mergeDatasetProfiles,
  mergeManyProfiles,
  ProfileMerger,
} from './merge.js';
export { LOW_CARDINALITY } from './parts.js';

/** One cell as the readers hand it over; null, undefined and NaN are missing. */
export type CellValue = number | string | boolean | null | undefined;

/** Options for a column profiler (and, per column, for a dataset profiler). */
export interface ColumnProfilerOptions {
  /** Fixed histogram edges (e.g. the reference profile's), making histograms merge exactly. */
  edges?: readonly number[];
  /** Number of quantile bins when edges are derived at `finish()` (default 20). */
  bins?: number;
  /** Distinct categories counted exactly before switching to Space-Saving (default 1000). */
  topKCap?: number;
}

/** A number from a cell (strings parsed; '' and unparsable → NaN, i.e. missing). */
const toNumber = (v: CellValue): number => {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return Number.NaN;
};

/** Epoch milliseconds from a cell: numbers are taken as epoch ms, strings parsed as dates. */
const toEpochMs = (v: CellValue): number => {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? Number(v) : t;
  }
  return Number.NaN;
};

/** 1/0 from a cell, or -1 when missing or not a boolean (true/false/1/0/yes/no, any case). */
const toBit = (v: CellValue): number => {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v === 1 ? 1 : v === 0 ? 0 : -1;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true' || s === '1' || s === 'yes' || s === 't' || s === 'y') return 1;
    if (s === 'false' || s === '0' || s === 'no' || s === 'f' || s === 'n') return 0;
  }
  return -1;
};

/** Streaming profile of one column: `add` every cell, then `finish()`. */
export class ColumnProfiler {
  readonly name: string;
  readonly type: ColumnType;
  private readonly kind: number;
  private count = 0;
  private missing = 0;
  private readonly hll = new Hll();
  private readonly moments: Moments | null;
  private readonly sketch: QuantileSketch | null;
  private readonly top: TopKAccumulator | null;
  private readonly bins: number;
  /** Fixed edges as a typed array for the hot path, with their counts. */
  private readonly edges: Float64Array | null = null;
  private readonly hist: Float64Array | null = null;
  private underflow = 0;
  private overflow = 0;
  /**
   * Exact value counts of a numeric column while it has at most LOW_CARDINALITY distinct values:
   * Evidently tests such columns (≤ 5 values) as categories, which needs per-value counts.
   * Dropped (null) at the first value beyond the cap, so high-cardinality columns pay nothing.
   */
  private lowCard: Map<number, number> | null;

  constructor(name: string, type: ColumnType, opts: ColumnProfilerOptions = {}) {
    this.name = name;
    this.type = type;
    this.kind = kindOf(type);
    const numeric = this.kind === NUMERIC || this.kind === DATETIME;
    this.moments = this.kind === CATEGORY ? null : emptyMoments();
    this.sketch = numeric ? new QuantileSketch() : null;
    this.top = this.kind === BOOLEAN || this.kind === CATEGORY ? new TopKAccumulator(opts.topKCap) : null;
    this.lowCard = this.kind === NUMERIC ? new Map() : null;
    this.bins = opts.bins ?? DEFAULT_BINS;
    if (!Number.isInteger(this.bins) || this.bins < 1)
      throw invalidParam('bins must be a positive integer', 'bins');
    if (opts.edges && numeric) {
      this.edges = Float64Array.from(emptyHistogram(opts.edges).edges);
      this.hist = new Float64Array(this.edges.length - 1);
    }
  }

  /** Count one cell (null, undefined, NaN, ±Infinity and unparsable numbers/dates/booleans are missing). */
  add(v: CellValue): void {
    this.count++;
    switch (this.kind) {
      case NUMERIC:
        this.addNumber(typeof v === 'number' ? v : toNumber(v));
        return;
      case DATETIME:
        this.addNumber(typeof v === 'number' ? v : toEpochMs(v));
        return;
      case BOOLEAN: {
        const bit = typeof v === 'boolean' ? (v ? 1 : 0) : toBit(v);
        if (bit < 0) {
          this.missing++;
          return;
        }
        this.welford(bit);
        const label = bit === 1 ? 'true' : 'false';
        if (this.top!.add(label)) this.hll.add(label);
        return;
      }
      default: {
        if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) {
          this.missing++;
          return;
        }
        const s = typeof v === 'string' ? v : String(v);
        if (this.top!.add(s)) this.hll.add(s);
      }
    }
  }

  /**
   * Count `n` cells of a column at once (default: all of `values`), skipping rows whose `skip`
   * entry is 1; the same profile as `add` on each kept cell in order. A Float64Array of a numeric
   * or datetime column takes a loop without per-cell type checks.
   */
  addMany(values: ArrayLike<CellValue>, skip: Uint8Array | null = null, n = values.length): void {
    if (values instanceof Float64Array && (this.kind === NUMERIC || this.kind === DATETIME)) {
      for (let i = 0; i < n; i++) {
        if (skip !== null && skip[i] === 1) continue;
        this.count++;
        this.addNumber(values[i]!);
      }
      return;
    }
    for (let i = 0; i < n; i++) {
      if (skip !== null && skip[i] === 1) continue;
      this.add(values[i]);
    }
  }

  private addNumber(x: number): void {
    // x - x is 0 for every finite number and NaN for NaN and ±Infinity.
    if (x - x !== 0) {
      this.missing++;
      return;
    }
    x += 0; // −0 → 0, so min/max and the HLL hash do not depend on the sign of zero
    this.welford(x);
    this.sketch!.add(x);
    this.hll.addNumber(x);
    const low = this.lowCard;
    if (low !== null) {
      const c = low.get(x);
      if (c !== undefined) low.set(x, c + 1);
      else if (low.size < LOW_CARDINALITY) low.set(x, 1);
      else this.lowCard = null;
    }
    const edges = this.edges;
    if (edges !== null) {
      const last = edges.length - 1;
      if (x < edges[0]!) this.underflow++;
      else if (x > edges[last]!) this.overflow++;
      else {
        let lo = 0;
        let hi = last - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >>> 1;
          if (edges[mid]! <= x) lo = mid;
          else hi = mid - 1;
        }
        this.hist![lo]!++;
      }
    }
  }

  /** Welford's update, inlined on our own Moments object (same as moments.addValue). */
  private welford(x: number): void {
    const m = this.moments!;
    const n = m.count + 1;
    const delta = x - m.mean;
    const mean = m.mean + delta / n;
    m.m2 += delta * (x - mean);
    m.mean = mean;
    m.count = n;
    if (x < m.min) m.min = x;
    if (x > m.max) m.max = x;
  }

  /** The column's profile so far (the profiler can keep going afterwards). */
  finish(): ColumnProfile {
    let histogram: Histogram | undefined;
    if (this.edges !== null) {
      histogram = {
        edges: Array.from(this.edges),
        counts: Array.from(this.hist!),
        underflow: this.underflow,
        overflow: this.overflow,
        fixed: true,
      };
    } else if (this.sketch !== null && this.sketch.count > 0) {
      histogram = histogramFromSketch(this.sketch, quantileEdges(this.sketch, this.bins));
    }
    return assemble({
      name: this.name,
      type: this.type,
      count: this.count,
      missing: this.missing,
      hll: this.hll,
      moments: this.moments && this.moments.count > 0 ? { ...this.moments } : undefined,
      sketch: this.sketch ?? undefined,
      histogram,
      top: this.top?.toTopK() ?? (this.lowCard ? lowCardTop(this.lowCard) : undefined),
    });
  }
}

function lowCardTop(counts: Map<number, number>): TopK {
  const items = [...counts].map(([v, n]): [string, number] => [String(v), n]);
  items.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return { items, other: 0, exact: true };
}

/** Options for a dataset profiler. */
export interface DatasetProfilerOptions {
  /** Fixed histogram edges per numeric/datetime column name. */
  edges?: Record<string, readonly number[]>;
  bins?: number;
  topKCap?: number;
}

/** Streaming profile of a table: `addRow` each row (cells in schema order), then `finish()`. */
export class DatasetProfiler {
  private readonly columns: ColumnProfiler[];
  private rows = 0;

  constructor(schema: readonly { name: string; type: ColumnType }[], opts: DatasetProfilerOptions = {}) {
    const seen = new Set<string>();
    this.columns = schema.map(({ name, type }) => {
      if (seen.has(name)) throw invalidParam(`duplicate column name: ${name}`, 'schema');
      seen.add(name);
      const edges = opts.edges?.[name];
      return new ColumnProfiler(name, type, {
        ...(edges ? { edges } : {}),
        ...(opts.bins !== undefined ? { bins: opts.bins } : {}),
        ...(opts.topKCap !== undefined ? { topKCap: opts.topKCap } : {}),
      });
    });
  }

  /** Count one row; cells beyond the schema are ignored, absent ones are missing. */
  addRow(values: readonly CellValue[]): void {
    this.rows++;
    const cols = this.columns;
    for (let i = 0; i < cols.length; i++) cols[i]!.add(values[i]);
  }

  /**
   * Count `rowCount` rows given as columns (schema order, each at least `rowCount` long; an absent
   * column is all missing), skipping the rows whose `skip` entry is 1 in every column: the same
   * profile as `addRow` on each kept row in order, column loops instead of row loops.
   */
  addColumns(
    columns: readonly (ArrayLike<CellValue> | undefined)[],
    rowCount: number,
    skip: Uint8Array | null = null,
  ): void {
    let kept = rowCount;
    if (skip !== null) for (let i = 0; i < rowCount; i++) kept -= skip[i] === 1 ? 1 : 0;
    this.rows += kept;
    const cols = this.columns;
    for (let c = 0; c < cols.length; c++) {
      const values = columns[c];
      if (values !== undefined && values.length < rowCount)
        throw invalidParam(
          `column ${cols[c]!.name}: ${values.length} values for ${rowCount} rows`,
          'columns',
        );
      cols[c]!.addMany(values ?? new Array<undefined>(rowCount), skip, rowCount);
    }
  }

  /** The dataset profile; `badRows` = rows the reader rejected (not counted in `rows`). */
  finish(badRows = 0): DatasetProfile {
    return { rows: this.rows, badRows, columns: this.columns.map((c) => c.finish()) };
  }
}
