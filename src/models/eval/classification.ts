/**
 * Label metrics from a confusion matrix: accuracy, precision, recall and F1, defined as
 * scikit-learn defines them (sklearn.metrics.accuracy_score, precision_recall_fscore_support).
 */

/** matrix[i][j] = rows with actual label i predicted as label j. */
export function confusionMatrix(actual: Int32Array, predicted: Int32Array, labels: number): number[][] {
  const m = Array.from({ length: labels }, () => new Array<number>(labels).fill(0));
  for (let i = 0; i < actual.length; i++) m[actual[i]!]![predicted[i]!]!++;
  return m;
}

/** Share of rows predicted correctly; null without rows. */
export function accuracy(m: number[][]): number | null {
  let right = 0;
  let all = 0;
  for (let i = 0; i < m.length; i++) {
    const row = m[i]!;
    right += row[i]!;
    for (const c of row) all += c;
  }
  return all === 0 ? null : right / all;
}

/** Per-label true positives, actual counts (support, row sums) and predicted counts (column sums). */
function margins(m: number[][]): { tp: number[]; actual: number[]; predicted: number[] } {
  const n = m.length;
  const tp = new Array<number>(n).fill(0);
  const actual = new Array<number>(n).fill(0);
  const predicted = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    const row = m[i]!;
    tp[i] = row[i]!;
    for (let j = 0; j < n; j++) {
      actual[i]! += row[j]!;
      predicted[j]! += row[j]!;
    }
  }
  return { tp, actual, predicted };
}

export interface BinaryScores {
  precision: number | null;
  recall: number | null;
  f1: number | null;
}

/**
 * Precision, recall and F1 of one class (sklearn's average='binary' with pos_label). Where
 * scikit-learn returns 0 with an UndefinedMetricWarning (no predicted positives for precision,
 * no actual positives for recall, neither for F1), these are null.
 */
export function binaryScores(m: number[][], positive: number): BinaryScores {
  const { tp, actual, predicted } = margins(m);
  const t = tp[positive] ?? 0;
  const a = actual[positive] ?? 0;
  const p = predicted[positive] ?? 0;
  return {
    precision: p === 0 ? null : t / p,
    recall: a === 0 ? null : t / a,
    // 2PR/(P+R) written as 2TP/(2TP+FP+FN), which stays defined when only one of P, R is.
    f1: a + p === 0 ? null : (2 * t) / (a + p),
  };
}

export interface AveragedScores {
  precision_macro: number | null;
  recall_macro: number | null;
  f1_macro: number | null;
  f1_weighted: number | null;
}

/**
 * Macro (unweighted mean over labels) precision, recall and F1, and support-weighted F1, over the
 * labels present in the actual or predicted labels — sklearn's default label set
 * (unique_labels(y_true, y_pred)), so a class absent from both does not drag the mean down.
 * A per-label value with a zero denominator counts as 0, as sklearn's zero_division default does.
 */
export function averagedScores(m: number[][]): AveragedScores {
  const { tp, actual, predicted } = margins(m);
  let labels = 0;
  let precision = 0;
  let recall = 0;
  let f1 = 0;
  let weighted = 0;
  let support = 0;
  for (let k = 0; k < m.length; k++) {
    const a = actual[k]!;
    const p = predicted[k]!;
    if (a === 0 && p === 0) continue;
    const t = tp[k]!;
    const f = (2 * t) / (a + p);
    labels++;
    precision += p === 0 ? 0 : t / p;
    recall += a === 0 ? 0 : t / a;
    f1 += f;
    weighted += f * a;
    support += a;
  }
  if (labels === 0) return { precision_macro: null, recall_macro: null, f1_macro: null, f1_weighted: null };
  return {
    precision_macro: precision / labels,
    recall_macro: recall / labels,
    f1_macro: f1 / labels,
    f1_weighted: support === 0 ? null : weighted / support,
  };
}
