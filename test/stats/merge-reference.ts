/**
 * The oracle for the merge tests: the pairwise merge as Keel specified it before the one-pass
 * merger (src/stats/merge.ts) replaced it — each step decodes both sides, merges, and encodes the
 * result. Kept verbatim (imports aside) so that the property tests compare the optimised merge
 * with an independent statement of the rules, not with itself.
 */
import { invalidParam } from '../../src/core/errors.js';
import { DEFAULT_BINS, mergeHistograms, quantileEdges } from '../../src/stats/histogram.js';
import { Hll } from '../../src/stats/hll.js';
import { mergeMoments } from '../../src/stats/moments.js';
import { assemble, kindOf, LOW_CARDINALITY, NUMERIC } from '../../src/stats/parts.js';
import { ColumnProfiler, type MergeProfileOptions } from '../../src/stats/profile.js';
import { histogramFromSketch, QuantileSketch } from '../../src/stats/quantiles.js';
import { DEFAULT_TOPK_CAP, TopKAccumulator } from '../../src/stats/topk.js';
import type { ColumnProfile, DatasetProfile, Histogram, TopK } from '../../src/stats/types.js';

const decodeSketch = (p: ColumnProfile): QuantileSketch | undefined =>
  p.sketch === undefined ? undefined : QuantileSketch.fromBase64(p.sketch);

/**
 * Histogram of a merge. Fixed + fixed add exactly (edges must match). Derived ones are re-derived
 * from the merged sketch — equal to the derived histogram of the union, since the merged sketch is
 * bin-for-bin the union's. Fixed + derived keeps the fixed edges and bins the derived side's
 * sketch onto them (approximate, within the sketch's accuracy around each edge).
 */
function mergeHistogramParts(
  a: ColumnProfile,
  b: ColumnProfile,
  sa: QuantileSketch | undefined,
  sb: QuantileSketch | undefined,
  merged: QuantileSketch | undefined,
  bins: number,
): Histogram | undefined {
  const ha = a.histogram;
  const hb = b.histogram;
  const fixedA = ha?.fixed === true;
  const fixedB = hb?.fixed === true;
  if (fixedA && fixedB) return mergeHistograms(ha!, hb!);
  if (fixedA || fixedB) {
    const [fixed, other, otherSketch] = fixedA ? [ha!, hb, sb] : [hb!, ha, sa];
    if (other === undefined || otherSketch === undefined || otherSketch.count === 0)
      return copyHistogram(fixed);
    const approx = histogramFromSketch(otherSketch, fixed.edges);
    approx.fixed = true;
    return mergeHistograms(fixed, approx);
  }
  if (merged === undefined || merged.count === 0) return undefined;
  return histogramFromSketch(merged, quantileEdges(merged, bins));
}

const copyHistogram = (h: Histogram): Histogram => ({
  ...h,
  edges: [...h.edges],
  counts: [...h.counts],
});

/** Merge two stored profiles of the same column (same name and type); a new profile. */
export function referenceMergeColumns(
  a: ColumnProfile,
  b: ColumnProfile,
  opts: MergeProfileOptions = {},
): ColumnProfile {
  if (a.name !== b.name)
    throw invalidParam(`cannot merge profiles of columns ${a.name} and ${b.name}`, 'name');
  if (a.type !== b.type)
    throw invalidParam(`column ${a.name}: cannot merge a ${a.type} profile with a ${b.type} one`, 'type');
  const hll = Hll.fromBase64(a.hll).merge(Hll.fromBase64(b.hll));
  const sa = decodeSketch(a);
  const sb = decodeSketch(b);
  let sketch: QuantileSketch | undefined;
  if (sa && sb) sketch = QuantileSketch.fromBase64(a.sketch!).merge(sb);
  else sketch = sa ?? sb;
  const moments = a.moments && b.moments ? mergeMoments(a.moments, b.moments) : (a.moments ?? b.moments);
  let top: TopK | undefined;
  if (kindOf(a.type) === NUMERIC) {
    // Per-value counts of a numeric column survive a merge only while both sides kept them and
    // the union stays low-cardinality.
    if (a.top && b.top) {
      const merged = TopKAccumulator.fromTopK(a.top).merge(TopKAccumulator.fromTopK(b.top)).toTopK();
      top = merged.items.length <= LOW_CARDINALITY ? merged : undefined;
    }
  } else if (a.top || b.top) {
    const cap = opts.topKCap ?? DEFAULT_TOPK_CAP;
    const empty: TopK = { items: [], other: 0, exact: true };
    top = TopKAccumulator.fromTopK(a.top ?? empty, cap)
      .merge(TopKAccumulator.fromTopK(b.top ?? empty, cap))
      .toTopK();
  }
  return assemble({
    name: a.name,
    type: a.type,
    count: a.count + b.count,
    missing: a.missing + b.missing,
    hll,
    moments: moments ? { ...moments } : undefined,
    sketch,
    histogram: mergeHistogramParts(a, b, sa, sb, sketch, opts.bins ?? DEFAULT_BINS),
    top,
  });
}

/** Profile of a column absent from one side of a dataset merge: all of that side's rows are missing. */
function absentColumn(like: ColumnProfile, rows: number): ColumnProfile {
  const p = new ColumnProfiler(like.name, like.type).finish();
  p.count = rows;
  p.missing = rows;
  return p;
}

/**
 * Merge two stored dataset profiles. Columns are matched by name (a's order, then b's new ones);
 * a column only one side has counts the other side's rows as missing. Same name, different type → error.
 */
export function referenceMergeDatasets(
  a: DatasetProfile,
  b: DatasetProfile,
  opts: MergeProfileOptions = {},
): DatasetProfile {
  const byName = new Map(b.columns.map((c) => [c.name, c]));
  const names = new Set(a.columns.map((c) => c.name));
  const columns = a.columns.map((ca) =>
    referenceMergeColumns(ca, byName.get(ca.name) ?? absentColumn(ca, b.rows), opts),
  );
  for (const cb of b.columns)
    if (!names.has(cb.name)) columns.push(referenceMergeColumns(absentColumn(cb, a.rows), cb, opts));
  return { rows: a.rows + b.rows, badRows: a.badRows + b.badRows, columns };
}
