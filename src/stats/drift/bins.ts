/**
 * Shared plumbing for the drift tests: cleaning raw values the way Evidently does, counting
 * categories, binning numbers on fixed edges, and reading the same counts out of profiles.
 */
import { invalidParam } from '../../core/errors.js';
import type { ColumnProfile } from '../types.js';

/** A raw cell as the drift functions accept it; null/undefined/NaN/±∞ count as missing. */
export type Value = string | number | boolean | Date | null | undefined;

/** Finite numbers only: Evidently turns ±∞ into NaN and drops NaN before any test. */
export function finiteNumbers(xs: readonly Value[]): number[] {
  const out: number[] = [];
  for (const x of xs) {
    const v = x instanceof Date ? x.getTime() : x;
    if (typeof v === 'number' && Number.isFinite(v)) out.push(v);
  }
  return out;
}

/** The category key of a cell, or undefined when it is missing. */
export function categoryKey(x: Value): string | undefined {
  if (x === null || x === undefined) return undefined;
  if (typeof x === 'number') return Number.isFinite(x) ? String(x) : undefined;
  if (x instanceof Date) return Number.isNaN(x.getTime()) ? undefined : String(x.getTime());
  return String(x);
}

/** Counts per category, missing cells dropped. */
export function categoryCounts(xs: readonly Value[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const x of xs) {
    const k = categoryKey(x);
    if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

/** Reference and current counts aligned on the union of their categories (sorted, so results are stable). */
export interface AlignedCounts {
  keys: string[];
  ref: number[];
  cur: number[];
}

/** Aligns two category count maps on the union of their keys, zero-filling absent ones. */
export function alignCounts(
  ref: ReadonlyMap<string, number>,
  cur: ReadonlyMap<string, number>,
): AlignedCounts {
  const keys = [...new Set([...ref.keys(), ...cur.keys()])].sort();
  return { keys, ref: keys.map((k) => ref.get(k) ?? 0), cur: keys.map((k) => cur.get(k) ?? 0) };
}

/**
 * Counts on fixed edges as [underflow, bin 0, …, bin k−1, overflow]: bins are [eᵢ, eᵢ₊₁), the last
 * one closed — the layout of a profile `Histogram`, so raw and profile variants bin identically.
 */
export function binCounts(xs: readonly number[], edges: readonly number[]): number[] {
  const k = edges.length - 1;
  const counts = new Array<number>(k + 2).fill(0);
  const last = edges[k]!;
  for (const x of xs) {
    let slot: number;
    if (x < edges[0]!) slot = 0;
    else if (x > last) slot = k + 1;
    else if (x === last) slot = k;
    else slot = upperBound(edges, x); // index of the first edge > x, i.e. bin + 1
    counts[slot]! += 1;
  }
  return counts;
}

/** Number of sorted values ≤ x (binary search). */
export function upperBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Equal-width edges by Sturges' rule over the pooled data, as numpy's `histogram_bin_edges(bins='sturges')`. */
export function sturgesEdges(pooled: readonly number[]): number[] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const x of pooled) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  // numpy widens a zero range to ±0.5 and then uses one bin.
  if (lo === hi) return [lo - 0.5, hi + 0.5];
  // Same float steps as numpy (width first, then ceil(range / width)) so the bin count matches it.
  const width = (hi - lo) / (Math.log2(pooled.length) + 1);
  const bins = Math.ceil((hi - lo) / width);
  const step = (hi - lo) / bins;
  return Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * step));
}

/** Checks both profiles carry histograms on identical edges and returns their aligned counts. */
export function profileHistograms(
  ref: ColumnProfile,
  cur: ColumnProfile,
): { edges: number[]; ref: number[]; cur: number[] } {
  const a = ref.histogram;
  const b = cur.histogram;
  if (!a || !b) throw invalidParam(`column '${ref.name}': both profiles need a histogram`, ref.name);
  if (a.edges.length !== b.edges.length || a.edges.some((e, i) => e !== b.edges[i])) {
    throw invalidParam(
      `column '${ref.name}': reference and current histograms have different edges`,
      ref.name,
    );
  }
  return {
    edges: a.edges,
    ref: [a.underflow, ...a.counts, a.overflow],
    cur: [b.underflow, ...b.counts, b.overflow],
  };
}

/**
 * Category counts from two profiles' top-k. While both lists are exact this is the exact union of
 * categories; otherwise categories tracked on only one side (their count on the other side is
 * hidden in its `other`) are pooled with both `other`s into one "(other)" bin, so totals stay exact.
 */
export function profileCategoryCounts(
  ref: ColumnProfile,
  cur: ColumnProfile,
): AlignedCounts & { exact: boolean } {
  const a = ref.top;
  const b = cur.top;
  if (!a || !b) throw invalidParam(`column '${ref.name}': both profiles need top-k counts`, ref.name);
  const ra = new Map(a.items);
  const cb = new Map(b.items);
  const exact = a.exact && b.exact;
  const keep = (k: string): boolean => (ra.has(k) || a.exact) && (cb.has(k) || b.exact);
  const refMap = new Map<string, number>();
  const curMap = new Map<string, number>();
  let refOther = a.other;
  let curOther = b.other;
  for (const [k, n] of ra) {
    if (keep(k)) refMap.set(k, n);
    else refOther += n;
  }
  for (const [k, n] of cb) {
    if (keep(k)) curMap.set(k, n);
    else curOther += n;
  }
  const aligned = alignCounts(refMap, curMap);
  if (refOther > 0 || curOther > 0) {
    aligned.keys.push('(other)');
    aligned.ref.push(refOther);
    aligned.cur.push(curOther);
  }
  return { ...aligned, exact };
}

/** Drops positions empty on both sides (they carry no information and would add chi-squared df). */
export function dropEmpty(c: { ref: number[]; cur: number[] }): { ref: number[]; cur: number[] } {
  const keep = c.ref.map((r, i) => r > 0 || c.cur[i]! > 0);
  return { ref: c.ref.filter((_, i) => keep[i]), cur: c.cur.filter((_, i) => keep[i]) };
}

/** Sum of an array. */
export function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

/** True for column types Evidently treats as numerical. */
export function isNumericType(type: ColumnProfile['type']): boolean {
  return type === 'integer' || type === 'float' || type === 'datetime';
}

/**
 * Per-category (or, for numeric columns, per-bin incl. under/overflow) counts from two profiles,
 * with positions empty on both sides dropped. `exact` when they equal the raw per-value counts:
 * only for exact top-k lists; histogram bins may merge distinct values.
 */
export function profileCounts(
  ref: ColumnProfile,
  cur: ColumnProfile,
): { ref: number[]; cur: number[]; exact: boolean } {
  // Low-cardinality numeric columns carry exact per-value counts: test them as categories.
  if (isNumericType(ref.type) && !(ref.top?.exact && cur.top?.exact)) {
    return { ...dropEmpty(profileHistograms(ref, cur)), exact: false };
  }
  const c = profileCategoryCounts(ref, cur);
  return { ...dropEmpty(c), exact: c.exact };
}
