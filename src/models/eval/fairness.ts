/**
 * Group fairness of a classifier's decisions, as fairlearn.metrics defines it:
 * selection rate = share of a group predicted positive; demographic parity difference =
 * max − min selection rate over the groups (demographic_parity_difference); equal opportunity
 * difference = max − min true-positive rate (recall) over the groups (equal_opportunity_difference).
 * A multiclass model is judged on one class against the rest.
 */
import type { RowGroup } from './slices.js';
import type { FairnessGroup, FairnessReport } from './types.js';

/**
 * Fairness across `groups` for the class index `positive`. A group without actual positives has
 * no true-positive rate (null) and is left out of the equal opportunity difference, where fairlearn
 * would count its rate as 0 (sklearn's zero_division) and report a spurious gap.
 */
export function fairness(
  attribute: string,
  positiveClass: string | number,
  groups: RowGroup[],
  actual: Int32Array,
  predicted: Int32Array,
  positive: number,
): FairnessReport {
  const out: FairnessGroup[] = groups.map((g) => {
    let selected = 0;
    let positives = 0;
    let truePositives = 0;
    for (const i of g.rows) {
      const p = predicted[i] === positive;
      if (p) selected++;
      if (actual[i] === positive) {
        positives++;
        if (p) truePositives++;
      }
    }
    return {
      value: g.value,
      rows: g.rows.length,
      selectionRate: g.rows.length === 0 ? 0 : selected / g.rows.length,
      truePositiveRate: positives === 0 ? null : truePositives / positives,
    };
  });
  const rates = out.map((g) => g.selectionRate);
  const tprs = out.map((g) => g.truePositiveRate).filter((v): v is number => v !== null);
  return {
    attribute,
    positiveClass,
    groups: out,
    demographicParityDifference: range(rates) ?? 0,
    equalOpportunityDifference: range(tprs),
  };
}

/** max − min, null when empty (a loop: spreading many groups into Math.max overflows the stack). */
function range(xs: number[]): number | null {
  if (xs.length === 0) return null;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const x of xs) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return hi - lo;
}
