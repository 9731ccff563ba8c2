/**
 * Log loss (cross-entropy) as sklearn.metrics.log_loss computes it with `labels` given: every
 * probability is clipped to [ε, 1 − ε] with ε the float64 machine epsilon (sklearn ≥ 1.2, where
 * `eps="auto"` replaced the old 1e-15), each row is renormalised to sum to 1 (sklearn 1.2–1.4;
 * a no-op for rows that already sum to 1), and the loss is the mean of −log p(actual class).
 */

const EPS = Number.EPSILON;

/**
 * `actual[i]` indexes the row's class; a label the model does not know (index ≥ `classes`) got
 * probability 0, clipped to ε. Null without rows.
 */
export function logLoss(probabilities: Float64Array, classes: number, actual: Int32Array): number | null {
  const n = actual.length;
  if (n === 0) return null;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += clip(probabilities[i * classes + k]!);
    const a = actual[i]!;
    const p = a < classes ? clip(probabilities[i * classes + a]!) : EPS;
    total -= Math.log(p / sum);
  }
  return total / n;
}

const clip = (p: number): number => Math.min(Math.max(p, EPS), 1 - EPS);
