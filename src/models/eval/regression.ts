/**
 * Regression metrics as scikit-learn defines them: root mean squared error
 * (sqrt of sklearn.metrics.mean_squared_error), mean_absolute_error and r2_score.
 */

export interface RegressionScores {
  rmse: number | null;
  mae: number | null;
  r2: number | null;
}

/**
 * R² = 1 − SS_res/SS_tot with sklearn's force_finite rule for a constant target (SS_tot = 0):
 * 1.0 when the predictions are perfect, else 0.0. With fewer than two rows sklearn returns NaN
 * ("not well-defined"): null here. Null metrics without rows.
 */
export function regressionScores(actual: Float64Array, predicted: Float64Array): RegressionScores {
  const n = actual.length;
  if (n === 0) return { rmse: null, mae: null, r2: null };
  let mean = 0;
  for (let i = 0; i < n; i++) mean += actual[i]!;
  mean /= n;
  let sse = 0;
  let sae = 0;
  let sst = 0;
  for (let i = 0; i < n; i++) {
    const e = actual[i]! - predicted[i]!;
    sse += e * e;
    sae += Math.abs(e);
    const d = actual[i]! - mean;
    sst += d * d;
  }
  const r2 = n < 2 ? null : sst !== 0 ? (sse !== 0 ? 1 - sse / sst : 1) : sse === 0 ? 1 : 0;
  return { rmse: Math.sqrt(sse / n), mae: sae / n, r2 };
}
