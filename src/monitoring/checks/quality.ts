/**
 * Data quality of a window relative to the reference profile: missing rates, values outside the
 * reference's range, categories the reference never saw, and features missing or unexpected.
 */
import { isNumericType } from '../../stats/drift/bins.js';
import { histogramFromSketch, QuantileSketch } from '../../stats/quantiles.js';
import type { ColumnProfile } from '../../stats/types.js';
import type { ColumnQuality } from '../types.js';

const MAX_LISTED = 20;

/** Share of `cur`'s values below the reference minimum or above its maximum. */
function outOfRange(ref: ColumnProfile, cur: ColumnProfile): number | null {
  const present = cur.count - cur.missing;
  if (!ref.moments || !cur.moments || present === 0) return null;
  const { min, max } = ref.moments;
  if (cur.moments.min >= min && cur.moments.max <= max) return 0;
  if (!cur.sketch) return null;
  // The sketch places each value within 1% of itself: values that close to an edge may land either side.
  const h = histogramFromSketch(QuantileSketch.fromBase64(cur.sketch), [min, max]);
  return (h.underflow + h.overflow) / present;
}

function newCategories(ref: ColumnProfile, cur: ColumnProfile): { values: string[]; rate: number | null } {
  const present = cur.count - cur.missing;
  // Only an exact reference top-k can say a value was never seen.
  if (!ref.top?.exact || !cur.top || present === 0) return { values: [], rate: null };
  const known = new Set(ref.top.items.map(([k]) => k));
  const fresh = cur.top.items.filter(([k]) => !known.has(k));
  const count = fresh.reduce((s, [, n]) => s + n, 0);
  return { values: fresh.slice(0, MAX_LISTED).map(([k]) => k), rate: count / present };
}

/** Per-feature quality of a window. */
export function columnQuality(ref: ColumnProfile, cur: ColumnProfile): ColumnQuality {
  const numeric = isNumericType(ref.type) && ref.type !== 'boolean';
  const cats = !numeric ? newCategories(ref, cur) : { values: [], rate: null };
  return {
    column: ref.name,
    missingRate: cur.count > 0 ? cur.missing / cur.count : 0,
    outOfRangeRate: numeric ? outOfRange(ref, cur) : null,
    newCategories: cats.values,
    newCategoryRate: cats.rate,
  };
}
