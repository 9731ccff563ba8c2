/**
 * Merging stored profiles (windows, replicas, file chunks). `ProfileMerger` decodes each profile's
 * sketches once into mutable objects (HLL registers, DDSketch bins, top-k counters), folds them
 * into one accumulator and encodes once at the end: n profiles cost n decodes and one encode,
 * where a pairwise fold decodes and re-encodes the running result (a dense HLL is 16 KiB per
 * column) at every step.
 *
 * The result is the left fold of the pairwise merge, field for field. Registers, bins and counts
 * are order-free; moments (floating point), top-k lists past their cap (truncated at each step)
 * and the fixed/derived histogram rules depend on the order, so the accumulator takes the same
 * steps in the same order — it only skips the encode/decode between them.
 */
import { invalidParam } from '../core/errors.js';
import { DEFAULT_BINS, mergeHistograms, quantileEdges } from './histogram.js';
import { HLL_PRECISION, Hll } from './hll.js';
import { mergeMoments } from './moments.js';
import { assemble, DATETIME, kindOf, LOW_CARDINALITY, NUMERIC } from './parts.js';
import { histogramFromSketch, QuantileSketch } from './quantiles.js';
import { DEFAULT_TOPK_CAP, TopKAccumulator } from './topk.js';
import type { ColumnProfile, ColumnType, DatasetProfile, Histogram, Moments, TopK } from './types.js';

/** Options for merging stored profiles. */
export interface MergeProfileOptions {
  /** Bins when derived histograms are re-derived from the merged sketch (default 20). */
  bins?: number;
  /** Top-k cap for the merged categories (default 1000). */
  topKCap?: number;
}

interface Settings {
  bins: number;
  topKCap: number;
}

const settings = (opts: MergeProfileOptions): Settings => ({
  bins: opts.bins ?? DEFAULT_BINS,
  topKCap: opts.topKCap ?? DEFAULT_TOPK_CAP,
});

/** One side of a column merge with its sketches decoded (fresh objects the merge may take over). */
interface Side {
  type: ColumnType;
  count: number;
  missing: number;
  /** null: no values seen (a column absent from its profile), i.e. empty default-precision registers. */
  hll: Hll | null;
  sketch: QuantileSketch | undefined;
  moments: Moments | undefined;
  histogram: Histogram | undefined;
  top: TopK | undefined;
}

const EMPTY_TOP: TopK = { items: [], other: 0, exact: true };

const decoded = (c: ColumnProfile): Side => ({
  type: c.type,
  count: c.count,
  missing: c.missing,
  hll: Hll.fromBase64(c.hll),
  sketch: c.sketch === undefined ? undefined : QuantileSketch.fromBase64(c.sketch),
  moments: c.moments,
  histogram: c.histogram,
  top: c.top,
});

/** A column a profile lacks, as a fresh profiler of its type reports it: all `rows` rows missing. */
function absent(type: ColumnType, rows: number): Side {
  const kind = kindOf(type);
  return {
    type,
    count: rows,
    missing: rows,
    hll: null,
    sketch: kind === NUMERIC || kind === DATETIME ? new QuantileSketch() : undefined,
    moments: undefined,
    histogram: undefined,
    // Categories and booleans always carry a (here empty) top-k; numeric columns their low-cardinality counts.
    top: kind === DATETIME ? undefined : EMPTY_TOP,
  };
}

const copyHistogram = (h: Histogram): Histogram => ({ ...h, edges: [...h.edges], counts: [...h.counts] });

/** A fixed histogram plus `sketch` binned onto its edges (approximate within the sketch's accuracy). */
function addSketch(fixed: Histogram, sketch: QuantileSketch): Histogram {
  const approx = histogramFromSketch(sketch, fixed.edges);
  approx.fixed = true;
  return mergeHistograms(fixed, approx);
}

const NO_HISTOGRAM = 0;
/** Derived from the column's sketch (none while it is empty), only when the result is asked for. */
const DERIVED = 1;
const FIXED = 2;

/** One column's merge state. */
class ColumnMerge {
  readonly type: ColumnType;
  private readonly kind: number;
  private count: number;
  private missing: number;
  private readonly hll: Hll;
  private sketch: QuantileSketch | undefined;
  private moments: Moments | undefined;
  private histKind: number;
  /** The histogram while FIXED (never mutated: each step makes a new one). */
  private histogram: Histogram | undefined;
  private top: TopKAccumulator | undefined;

  constructor(
    readonly name: string,
    side: Side,
    private readonly options: Settings,
  ) {
    this.type = side.type;
    this.kind = kindOf(side.type);
    this.count = side.count;
    this.missing = side.missing;
    this.hll = side.hll ?? new Hll();
    this.sketch = side.sketch;
    this.moments = side.moments;
    const h = side.histogram;
    this.histKind = h === undefined ? NO_HISTOGRAM : h.fixed === true ? FIXED : DERIVED;
    this.histogram = this.histKind === FIXED ? h : undefined;
    // A numeric column's low-cardinality counts merge at the default cap (they never reach it).
    if (side.top !== undefined)
      this.top =
        this.kind === NUMERIC
          ? TopKAccumulator.fromTopK(side.top)
          : TopKAccumulator.fromTopK(side.top, options.topKCap);
  }

  /**
   * Check that `b` can be folded in and compute everything that can fail; returns the commit,
   * which cannot throw. A refused merge therefore leaves the state as it was.
   */
  prepare(b: Side): () => void {
    if (b.type !== this.type)
      throw invalidParam(
        `column ${this.name}: cannot merge a ${this.type} profile with a ${b.type} one`,
        'type',
      );
    const precision = b.hll?.precision ?? HLL_PRECISION;
    if (precision !== this.hll.precision)
      throw invalidParam(`cannot merge HLL sketches of precision ${this.hll.precision} and ${precision}`);
    const sa = this.sketch;
    const sb = b.sketch;
    if (sa && sb && sa.relativeAccuracy !== sb.relativeAccuracy)
      throw invalidParam('cannot merge quantile sketches of different relative accuracy');

    // Histogram rules: fixed + fixed add exactly (same edges, else refused); fixed + derived keeps
    // the fixed edges and bins the derived side's sketch onto them (before this step's sketch merge,
    // so `sa` is still the accumulated side alone); derived + derived is re-derived at the end.
    const hb = b.histogram;
    const fixedB = hb?.fixed === true;
    let histKind = FIXED;
    let histogram = this.histogram;
    if (this.histKind === FIXED) {
      if (fixedB) histogram = mergeHistograms(histogram!, hb!);
      else if (hb !== undefined && sb !== undefined && sb.count > 0) histogram = addSketch(histogram!, sb);
    } else if (fixedB) {
      histogram =
        this.histKind === NO_HISTOGRAM || sa === undefined || sa.count === 0 ? hb! : addSketch(hb!, sa);
    } else {
      histKind = DERIVED;
      histogram = undefined;
    }

    const moments =
      this.moments && b.moments ? mergeMoments(this.moments, b.moments) : (this.moments ?? b.moments);

    let incoming: TopKAccumulator | undefined;
    if (this.kind === NUMERIC) {
      if (this.top && b.top) incoming = TopKAccumulator.fromTopK(b.top);
    } else if (this.top || b.top) {
      incoming = TopKAccumulator.fromTopK(b.top ?? EMPTY_TOP, this.options.topKCap);
    }

    return () => {
      this.count += b.count;
      this.missing += b.missing;
      if (b.hll !== null) this.hll.merge(b.hll);
      if (sa && sb) sa.merge(sb);
      else this.sketch = sa ?? sb;
      this.moments = moments;
      this.histKind = histKind;
      this.histogram = histogram;
      if (this.kind === NUMERIC) {
        // Per-value counts survive only while every side kept them and the union stays small.
        const top = incoming && this.top ? this.top.merge(incoming) : undefined;
        this.top = top && top.tracked <= LOW_CARDINALITY ? top : undefined;
      } else if (incoming) {
        this.top = (this.top ?? new TopKAccumulator(this.options.topKCap)).merge(incoming);
      }
    };
  }

  /** The merged column in its stored form (the state is left as it is). */
  result(): ColumnProfile {
    const sketch = this.sketch;
    let histogram: Histogram | undefined;
    if (this.histKind === FIXED) histogram = copyHistogram(this.histogram!);
    else if (this.histKind === DERIVED && sketch && sketch.count > 0)
      histogram = histogramFromSketch(sketch, quantileEdges(sketch, this.options.bins));
    return assemble({
      name: this.name,
      type: this.type,
      count: this.count,
      missing: this.missing,
      hll: this.hll,
      moments: this.moments ? { ...this.moments } : undefined,
      sketch,
      histogram,
      top: this.top?.toTopK(),
    });
  }
}

function indexByName<T extends { name: string }>(items: readonly T[]): Map<string, T> {
  const out = new Map<string, T>();
  for (const it of items) {
    if (out.has(it.name)) throw invalidParam(`profile has two columns named ${it.name}`, 'columns');
    out.set(it.name, it);
  }
  return out;
}

/**
 * Folds stored dataset profiles, in the order added, into one: `add` each, then `result()`.
 * Columns are matched by name (first seen first); a column a profile lacks counts that profile's
 * rows as missing; the same name with another type is refused. A refused `add` (INVALID_PARAMETER_VALUE)
 * leaves the merger as it was, so a caller can skip or restart from that profile.
 */
export class ProfileMerger {
  private readonly options: Settings;
  /** The first profile, kept as it is until a second one needs merging. */
  private first: DatasetProfile | undefined;
  private columns: ColumnMerge[] | undefined;
  private byName = new Map<string, ColumnMerge>();
  private rows = 0;
  private badRows = 0;
  private added = 0;

  constructor(opts: MergeProfileOptions = {}) {
    this.options = settings(opts);
  }

  /** Profiles folded in so far. */
  get size(): number {
    return this.added;
  }

  /** Fold one profile in. */
  add(p: DatasetProfile): this {
    if (this.added === 0) {
      this.first = p;
      this.rows = p.rows;
      this.badRows = p.badRows;
      this.added = 1;
      return this;
    }
    let columns = this.columns;
    let byName = this.byName;
    if (columns === undefined) {
      columns = this.first!.columns.map((c) => new ColumnMerge(c.name, decoded(c), this.options));
      byName = indexByName(columns);
    }
    const incoming = indexByName(p.columns);
    const commits = columns.map((acc) => {
      const c = incoming.get(acc.name);
      return acc.prepare(c ? decoded(c) : absent(acc.type, p.rows));
    });
    const fresh: ColumnMerge[] = [];
    for (const c of p.columns) {
      if (byName.has(c.name)) continue;
      const acc = new ColumnMerge(c.name, absent(c.type, this.rows), this.options);
      commits.push(acc.prepare(decoded(c)));
      fresh.push(acc);
    }
    for (const commit of commits) commit();
    for (const acc of fresh) {
      columns.push(acc);
      byName.set(acc.name, acc);
    }
    this.columns = columns;
    this.byName = byName;
    this.first = undefined;
    this.rows += p.rows;
    this.badRows += p.badRows;
    this.added++;
    return this;
  }

  /** The merged profile: a single profile is returned as it is; none gives an empty profile. */
  result(): DatasetProfile {
    if (this.columns === undefined)
      return this.first ?? { rows: this.rows, badRows: this.badRows, columns: [] };
    return { rows: this.rows, badRows: this.badRows, columns: this.columns.map((c) => c.result()) };
  }
}

/** Merge stored dataset profiles in one pass: the same profile as folding `mergeDatasetProfiles` left to right. */
export function mergeManyProfiles(
  profiles: Iterable<DatasetProfile>,
  opts: MergeProfileOptions = {},
): DatasetProfile {
  const m = new ProfileMerger(opts);
  for (const p of profiles) m.add(p);
  return m.result();
}

/**
 * Merge two stored dataset profiles. Columns are matched by name (a's order, then b's new ones);
 * a column only one side has counts the other side's rows as missing. Same name, different type → error.
 */
export function mergeDatasetProfiles(
  a: DatasetProfile,
  b: DatasetProfile,
  opts: MergeProfileOptions = {},
): DatasetProfile {
  return new ProfileMerger(opts).add(a).add(b).result();
}

/** Merge two stored profiles of the same column (same name and type); a new profile. */
export function mergeColumnProfiles(
  a: ColumnProfile,
  b: ColumnProfile,
  opts: MergeProfileOptions = {},
): ColumnProfile {
  if (a.name !== b.name)
    throw invalidParam(`cannot merge profiles of columns ${a.name} and ${b.name}`, 'name');
  const acc = new ColumnMerge(a.name, decoded(a), settings(opts));
  acc.prepare(decoded(b))();
  return acc.result();
}
