/**
 * Threshold-free ranking metrics of scores against a binary truth: ROC AUC and PR AUC (average
 * precision), as sklearn.metrics.roc_auc_score and average_precision_score compute them.
 */

/** Row indices ordered by score, ascending. */
function order(scores: ArrayLike<number>): Uint32Array {
  const idx = new Uint32Array(scores.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return idx.sort((a, b) => scores[a]! - scores[b]!);
}

/**
 * Area under the ROC curve: the Mann–Whitney U statistic over the positives' ranks, tied scores
 * sharing their mean rank — the probability that a random positive scores above a random negative,
 * ties counting one half. This equals the trapezoidal area under sklearn's roc_curve, ties
 * included. Null when either class is absent (sklearn raises "Only one class present").
 */
export function rocAuc(scores: ArrayLike<number>, positive: Uint8Array): number | null {
  const n = scores.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += positive[i]!;
  const neg = n - pos;
  if (pos === 0 || neg === 0) return null;
  const idx = order(scores);
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    let tiedPositives = 0;
    const s = scores[idx[i]!]!;
    while (j < n && scores[idx[j]!]! === s) tiedPositives += positive[idx[j++]!]!;
    // Ranks i+1 … j share their mean.
    rankSum += tiedPositives * ((i + 1 + j) / 2);
    i = j;
  }
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * Average precision: Σₙ (Rₙ − Rₙ₋₁)·Pₙ over the distinct score thresholds, highest first — the
 * step-wise area under the precision-recall curve (sklearn.metrics.average_precision_score), not
 * the trapezoid, which is optimistic. Tied scores form one threshold. Null without positives.
 */
export function averagePrecision(scores: ArrayLike<number>, positive: Uint8Array): number | null {
  const n = scores.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += positive[i]!;
  if (pos === 0) return null;
  const idx = order(scores);
  let tp = 0;
  let seen = 0;
  let prevRecall = 0;
  let ap = 0;
  for (let i = n - 1; i >= 0; ) {
    const s = scores[idx[i]!]!;
    while (i >= 0 && scores[idx[i]!]! === s) {
      tp += positive[idx[i]!]!;
      seen++;
      i--;
    }
    const recall = tp / pos;
    ap += (recall - prevRecall) * (tp / seen);
    prevRecall = recall;
  }
  return ap;
}

/**
 * A one-vs-rest macro average of a binary ranking metric over the model's classes (sklearn's
 * multi_class='ovr', average='macro'): class k's column of the N×C probabilities against
 * "actual is k". Classes where the metric is undefined (absent, or the only one present) are left
 * out of the mean, where sklearn would raise; null when it is undefined for every class.
 */
export function oneVsRestMacro(
  metric: (scores: ArrayLike<number>, positive: Uint8Array) => number | null,
  probabilities: Float64Array,
  classes: number,
  actual: Int32Array,
): number | null {
  const n = actual.length;
  const scores = new Float64Array(n);
  const positive = new Uint8Array(n);
  let sum = 0;
  let defined = 0;
  for (let k = 0; k < classes; k++) {
    for (let i = 0; i < n; i++) {
      scores[i] = probabilities[i * classes + k]!;
      positive[i] = actual[i] === k ? 1 : 0;
    }
    const v = metric(scores, positive);
    if (v === null) continue;
    sum += v;
    defined++;
  }
  return defined === 0 ? null : sum / defined;
}
