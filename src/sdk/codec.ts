import { decodeDouble } from '../core/doubles.js';
import type { Metric, Run } from '../tracking/types.js';

export { decodeDouble, encodeDouble } from '../core/doubles.js';

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
