/**
 * Hand-made profiles for the quality tests. The real profiler lives elsewhere; this builds the same
 * shapes exactly (distinct counts exact, top-k exact up to `topCap`) from a few rows.
 */
import type { ColumnProfile, ColumnType, DatasetProfile } from '../../../src/stats/types.js';

export interface Col {
  name: string;
  type: ColumnType;
}

const missing = (v: unknown) => v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));

/** The profile of `rows` (values aligned with `cols`). */
export function profileOf(cols: Col[], rows: unknown[][], topCap = 50): DatasetProfile {
  return {
    rows: rows.length,
    badRows: 0,
    columns: cols.map((c, i) =>
      column(
        c,
        rows.map((r) => r[i]),
        topCap,
      ),
    ),
  };
}

function column(c: Col, values: unknown[], topCap: number): ColumnProfile {
  const present = values.filter((v) => !missing(v));
  const p: ColumnProfile = {
    name: c.name,
    type: c.type,
    count: values.length,
    missing: values.length - present.length,
    hll: '',
    distinctEstimate: new Set(present.map(String)).size,
  };
  if (c.type === 'integer' || c.type === 'float' || c.type === 'datetime') {
    const xs = present.map((v) => (v instanceof Date ? v.getTime() : Number(v)));
    const mean = xs.reduce((s, x) => s + x, 0) / (xs.length || 1);
    p.moments = {
      count: xs.length,
      mean,
      m2: xs.reduce((s, x) => s + (x - mean) ** 2, 0),
      min: xs.length ? Math.min(...xs) : 0,
      max: xs.length ? Math.max(...xs) : 0,
    };
  }
  if (c.type === 'categorical' || c.type === 'text' || c.type === 'boolean') {
    const counts = new Map<string, number>();
    for (const v of present) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
    const items = [...counts].sort((a, b) => b[1] - a[1]);
    const kept = items.slice(0, topCap);
    p.top = {
      items: kept,
      other: present.length - kept.reduce((s, [, n]) => s + n, 0),
      exact: items.length <= topCap,
    };
  }
  return p;
}
