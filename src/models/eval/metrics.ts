/**
 * The metric keys an evaluation reports, with a display name, which direction is better and a
 * one-line definition (shown in model cards). Keys are explicit about averaging, so a binary
 * model's `precision` is never compared with a multiclass model's macro average.
 */

export interface MetricInfo {
  label: string;
  better: 'higher' | 'lower';
  definition: string;
}

export const METRICS: Record<string, MetricInfo> = {
  accuracy: { label: 'Accuracy', better: 'higher', definition: 'share of rows predicted correctly' },
  precision: {
    label: 'Precision',
    better: 'higher',
    definition: 'share of predicted positives that are positive',
  },
  recall: { label: 'Recall', better: 'higher', definition: 'share of actual positives predicted positive' },
  f1: { label: 'F1', better: 'higher', definition: 'harmonic mean of precision and recall' },
  roc_auc: {
    label: 'ROC AUC',
    better: 'higher',
    definition: 'probability a random positive scores above a random negative (ties count ½)',
  },
  pr_auc: {
    label: 'PR AUC',
    better: 'higher',
    definition: 'average precision: step-wise area under the precision–recall curve',
  },
  precision_macro: { label: 'Precision (macro)', better: 'higher', definition: 'mean precision over labels' },
  recall_macro: { label: 'Recall (macro)', better: 'higher', definition: 'mean recall over labels' },
  f1_macro: { label: 'F1 (macro)', better: 'higher', definition: 'mean F1 over labels' },
  f1_weighted: {
    label: 'F1 (weighted)',
    better: 'higher',
    definition: 'F1 over labels weighted by their number of actual rows',
  },
  roc_auc_ovr: {
    label: 'ROC AUC (one-vs-rest, macro)',
    better: 'higher',
    definition: 'mean over classes of the ROC AUC of that class against the rest',
  },
  pr_auc_macro: {
    label: 'PR AUC (one-vs-rest, macro)',
    better: 'higher',
    definition: 'mean over classes of the average precision of that class against the rest',
  },
  log_loss: {
    label: 'Log loss',
    better: 'lower',
    definition: 'mean −log of the probability given to the actual class',
  },
  ece: {
    label: 'Expected calibration error',
    better: 'lower',
    definition: 'Σ (bin rows / rows)·|accuracy − confidence| over 10 equal-width confidence bins',
  },
  rmse: { label: 'RMSE', better: 'lower', definition: 'root of the mean squared error' },
  mae: { label: 'MAE', better: 'lower', definition: 'mean absolute error' },
  r2: { label: 'R²', better: 'higher', definition: '1 − residual sum of squares / total sum of squares' },
  demographic_parity_difference: {
    label: 'Demographic parity difference',
    better: 'lower',
    definition: 'max − min share predicted positive over the groups',
  },
  equal_opportunity_difference: {
    label: 'Equal opportunity difference',
    better: 'lower',
    definition: 'max − min true-positive rate over the groups with positives',
  },
};

/** Binary classification keys, in report order. */
export const BINARY_METRICS = [
  'accuracy',
  'precision',
  'recall',
  'f1',
  'roc_auc',
  'pr_auc',
  'log_loss',
  'ece',
];

/** Multiclass keys, in report order. */
export const MULTICLASS_METRICS = [
  'accuracy',
  'precision_macro',
  'recall_macro',
  'f1_macro',
  'f1_weighted',
  'roc_auc_ovr',
  'pr_auc_macro',
  'log_loss',
  'ece',
];

/** Regression keys, in report order. */
export const REGRESSION_METRICS = ['rmse', 'mae', 'r2'];

/** A metric's display name (the key itself for a metric this table does not know). */
export const metricLabel = (key: string): string => METRICS[key]?.label ?? key;

/** Whether a larger value of the metric is better; null for a metric this table does not know. */
export const higherIsBetter = (key: string): boolean | null => {
  const m = METRICS[key];
  return m ? m.better === 'higher' : null;
};
