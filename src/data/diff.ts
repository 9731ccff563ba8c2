import { isNumericType, profileCategoryCounts, profileHistograms } from '../stats/drift/bins.js';
import { columnDriftFromProfiles, datasetDrift } from '../stats/drift/select.js';
import { histogramFromSketch, QuantileSketch } from '../stats/quantiles.js';
import type { ColumnProfile } from '../stats/types.js';
import type { ColumnDiff, DataDiff, SchemaChange } from './diff-types.js';
import type { DatasetVersion } from './versions.js';

export type { ColumnDiff, DataDiff, SchemaChange } from './diff-types.js';

const sameEdges = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((e, i) => e === b[i]);

/**
 * The current column on the reference's histogram edges. Versions added after their reference
 * already share its edges (exact counts); otherwise the counts are rebuilt from the current
 * quantile sketch (approximate within its stated accuracy).
 */
export function onReferenceEdges(ref: ColumnProfile, cur: ColumnProfile): ColumnProfile {
  const edges = ref.histogram?.edges;
  if (!edges || !cur.sketch || (cur.histogram && sameEdges(cur.histogram.edges, edges))) return cur;
  return { ...cur, histogram: histogramFromSketch(QuantileSketch.fromBase64(cur.sketch), edges) };
}

const share = (xs: number[]): number[] => {
  const total = xs.reduce((s, x) => s + x, 0);
  return xs.map((x) => (total > 0 ? x / total : 0));
};

const fmtEdge = (x: number): string =>
  Math.abs(x) >= 1e4 ? x.toExponential(2) : Number(x.toPrecision(4)).toString();

/** Both distributions on shared bins, for the report's charts. */
export function binsOf(ref: ColumnProfile, cur: ColumnProfile): ColumnDiff['bins'] {
  if (isNumericType(ref.type)) {
    const h = profileHistograms(ref, cur);
    const labels = [
      `< ${fmtEdge(h.edges[0]!)}`,
      ...h.edges.slice(0, -1).map((e, i) => `${fmtEdge(e)} – ${fmtEdge(h.edges[i + 1]!)}`),
      `> ${fmtEdge(h.edges[h.edges.length - 1]!)}`,
    ];
    // Under/overflow bins are drawn only when either side has values there.
    const keep = labels.map((_, i) => (i > 0 && i < labels.length - 1) || h.ref[i]! > 0 || h.cur[i]! > 0);
    const pick = <T>(xs: T[]) => xs.filter((_, i) => keep[i]);
    return { labels: pick(labels), reference: pick(share(h.ref)), current: pick(share(h.cur)) };
  }
  const c = profileCategoryCounts(ref, cur);
  return { labels: c.keys, reference: share(c.ref), current: share(c.cur) };
}

function schemaChange(from: DatasetVersion, to: DatasetVersion): SchemaChange {
  const a = new Map((from.schema?.columns ?? []).map((c) => [c.name, c.type]));
  const b = new Map((to.schema?.columns ?? []).map((c) => [c.name, c.type]));
  return {
    added: [...b].filter(([n]) => !a.has(n)).map(([name, type]) => ({ name, type })),
    removed: [...a].filter(([n]) => !b.has(n)).map(([name, type]) => ({ name, type })),
    changed: [...b]
      .filter(([n, t]) => a.has(n) && a.get(n) !== t)
      .map(([name, to]) => ({ name, from: a.get(name)!, to })),
  };
}

/**
 * Schema changes and per-column drift between two versions, computed from their stored profiles
 * only (no data is read), with Evidently's default test per column and dataset drift at a 50%
 * share. Text columns and columns whose type changed are reported as schema changes, not tested.
 */
export function diffVersions(from: DatasetVersion, to: DatasetVersion): DataDiff {
  const schema = schemaChange(from, to);
  const current = new Map((to.profile?.columns ?? []).map((c) => [c.name, c]));
  const columns: ColumnDiff[] = [];
  for (const ref of from.profile?.columns ?? []) {
    const cur = current.get(ref.name);
    if (!cur || cur.type !== ref.type || ref.type === 'text') continue;
    if (ref.count - ref.missing === 0 || cur.count - cur.missing === 0) continue;
    const aligned = onReferenceEdges(ref, cur);
    const r = columnDriftFromProfiles(ref, aligned);
    columns.push({
      column: r.column,
      type: r.type,
      method: r.method,
      statistic: r.statistic,
      ...(r.pValue !== undefined ? { pValue: r.pValue } : {}),
      threshold: r.threshold,
      drifted: r.drifted,
      approximate: r.approximate,
      bins: binsOf(ref, aligned),
    });
  }
  const d = datasetDrift(columns);
  return {
    from: from.ref,
    to: to.ref,
    rows: { from: from.rows, to: to.rows },
    schema,
    columns,
    dataset: d,
  };
}
