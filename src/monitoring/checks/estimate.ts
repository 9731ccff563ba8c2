/**
 * Label-free performance estimation (NannyML's CBPE, reference/drift.md §3.1) from a profile:
 * with calibrated scores, a row predicted positive is right with probability q and wrong with
 * 1 − q, so the expected confusion matrix is a sum over the score distribution. The window's
 * quantile sketch gives that distribution (bin values within 1% relative accuracy, weights exact),
 * so no raw rows are read. Binary: accuracy, precision, recall, F1 of the positive class at the
 * 0.5 cut-off; multiclass: accuracy from the predicted class's probability (confidence).
 */
import { QuantileSketch } from '../../stats/quantiles.js';
import type { ColumnProfile } from '../../stats/types.js';
import { scoreBin } from '../baseline/calibration.js';
import type { MetricMap } from '../types.js';

/** Calls `fn(value, weight)` over a score column's distribution (sketch bins, else histogram bins). */
function forEachScore(col: ColumnProfile, fn: (p: number, w: number) => void): boolean {
  if (col.sketch) {
    QuantileSketch.fromBase64(col.sketch).forEachBin((v, c) => fn(Math.min(1, Math.max(0, v)), c));
    return true;
  }
  const h = col.histogram;
  if (!h) return false;
  h.counts.forEach((c, i) => {
    if (c > 0) fn((h.edges[i]! + h.edges[i + 1]!) / 2, c);
  });
  return true;
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

/**
 * Estimated metrics from a score column. `positiveIsScore` is false when the positive class is
 * the first class (the logged score is the second class's probability).
 */
export function estimateBinary(
  score: ColumnProfile,
  calibration: number[] | null,
  positiveIsScore = true,
): MetricMap | null {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  const ok = forEachScore(score, (p, w) => {
    const q = calibration ? calibration[scoreBin(p)]! : p;
    if (p >= 0.5) {
      tp += w * q;
      fp += w * (1 - q);
    } else {
      fn += w * q;
      tn += w * (1 - q);
    }
  });
  const n = tp + fp + fn + tn;
  if (!ok || n === 0) return null;
  if (!positiveIsScore) [tp, fp, fn, tn] = [tn, fn, fp, tp];
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  const f1 =
    precision !== null && recall !== null && precision + recall > 0
      ? (2 * precision * recall) / (precision + recall)
      : null;
  return {
    estimated_accuracy: (tp + tn) / n,
    estimated_precision: precision,
    estimated_recall: recall,
    estimated_f1: f1,
  };
}

/** Estimated accuracy of a multiclass model from the predicted class's probability. */
export function estimateMulticlass(
  confidence: ColumnProfile,
  calibration: number[] | null,
): MetricMap | null {
  let right = 0;
  let n = 0;
  const ok = forEachScore(confidence, (p, w) => {
    right += w * (calibration ? calibration[scoreBin(p)]! : p);
    n += w;
  });
  if (!ok || n === 0) return null;
  return { estimated_accuracy: right / n };
}
