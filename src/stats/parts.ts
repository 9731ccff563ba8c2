/**
 * What profiling (profile.ts) and merging (merge.ts) share: the kind a column type is profiled as,
 * and the one function that turns a column's decoded parts into its stored JSON form, so profiles
 * from `finish()` and from merges have the same shape.
 */
import { invalidParam } from '../core/errors.js';
import type { Hll } from './hll.js';
import type { QuantileSketch } from './quantiles.js';
import type { ColumnProfile, ColumnType, Histogram, Moments, TopK } from './types.js';

export const NUMERIC = 0;
export const DATETIME = 1;
export const BOOLEAN = 2;
export const CATEGORY = 3;

/** The profiling kind of a column type (INVALID_PARAMETER_VALUE for an unknown type). */
export const kindOf = (type: ColumnType): number => {
  switch (type) {
    case 'integer':
    case 'float':
      return NUMERIC;
    case 'datetime':
      return DATETIME;
    case 'boolean':
      return BOOLEAN;
    case 'categorical':
    case 'text':
      return CATEGORY;
    default:
      throw invalidParam(`unknown column type: ${String(type)}`, 'type');
  }
};

/** Numeric columns keep exact per-value counts up to this many distinct values. */
export const LOW_CARDINALITY = 32;

/** A column profile's parts, decoded. */
export interface ProfileParts {
  name: string;
  type: ColumnType;
  count: number;
  missing: number;
  hll: Hll;
  moments: Moments | undefined;
  sketch: QuantileSketch | undefined;
  histogram: Histogram | undefined;
  top: TopK | undefined;
}

/** The stored (JSON) form of a column profile: sketches encoded, the distinct estimate derived. */
export function assemble(p: ProfileParts): ColumnProfile {
  const out: ColumnProfile = {
    name: p.name,
    type: p.type,
    count: p.count,
    missing: p.missing,
    hll: p.hll.toBase64(),
    distinctEstimate: Math.round(p.hll.estimate()),
  };
  if (p.moments) out.moments = p.moments;
  if (p.sketch) {
    out.sketch = p.sketch.toBase64();
    out.quantileAccuracy = p.sketch.relativeAccuracy;
  }
  if (p.histogram) out.histogram = p.histogram;
  if (p.top) out.top = p.top;
  return out;
}
