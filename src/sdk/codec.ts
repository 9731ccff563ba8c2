import type { Metric, Run } from '../tracking/types.js';

/**
 * JSON has no NaN or Infinity (JSON.stringify would send null), so the API carries non-finite
 * doubles as the names "NaN", "Infinity" and "-Infinity" in both directions.
 */
export const encodeDouble = (v: number): number | string =>
  Number.isNaN(v)
    ? 'NaN'
    : v === Number.POSITIVE_INFINITY
      ? 'Infinity'
      : v === Number.NEGATIVE_INFINITY
        ? '-Infinity'
        : v;

/** A double from the wire back to a number ("NaN" → NaN, "-Infinity" → -Infinity). */
export const decodeDouble = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

/** A metric as received, with its value decoded. */
export const decodeMetric = (m: Metric): Metric => ({ ...m, value: decodeDouble(m.value) });

/** A run as received, with its latest metric values decoded. */
export const decodeRun = (r: Run): Run => ({
  ...r,
  data: { ...r.data, metrics: r.data.metrics.map(decodeMetric) },
});

/** One URL path segment (ids, names and keys may contain '/', spaces, '%'…). */
export const seg = (s: string): string => encodeURIComponent(s);

/** A relative file path for a URL: each segment encoded, the slashes kept. */
export const filePath = (p: string): string =>
  p
    .split('/')
    .filter((s) => s !== '')
    .map(encodeURIComponent)
    .join('/');
