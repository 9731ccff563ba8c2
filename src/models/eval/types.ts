/**
 * The evaluation contract: what `evaluate()` takes (a model's predictions next to the true
 * labels or values) and what it returns (plain JSON, stored with the model version).
 */

/** What the model predicts; the same union as the trainers' `Task` (src/models/train/types.ts). */
export type EvalTask = 'binary' | 'multiclass' | 'regression';

/** One cell of an actual, slice or sensitive column; null, undefined, NaN and '' are missing. */
export type EvalCell = string | number | boolean | null | undefined;

/** A model's predictions for N rows. */
export interface EvalPredictions {
  /** Predicted labels (classification); derived as the argmax of `probabilities` when null. */
  labels: (string | number)[] | null;
  /**
   * Class probabilities, N×C row-major in `classes` order. Binary models may give N×1: the
   * probability of the positive class.
   */
  probabilities: Float64Array | null;
  /** Predicted values (regression). */
  values: Float64Array | null;
}

/** A named column of per-row values (a slice or a sensitive attribute). */
export interface EvalColumn {
  name: string;
  values: ArrayLike<EvalCell>;
}

export interface EvalInput {
  task: EvalTask;
  /**
   * The model's classes, in the order of the probability columns. Null for regression; for
   * classification without probabilities it may be null and is then derived (sorted) from the
   * labels seen in `actual` and `predicted.labels`.
   */
  classes: (string | number)[] | null;
  /** True labels (classification) or values (regression); rows with a missing one are skipped. */
  actual: ArrayLike<EvalCell>;
  predicted: EvalPredictions;
  /**
   * Binary: the class whose precision, recall, F1, ROC AUC and PR AUC are reported; default the
   * second of `classes` (scikit-learn's pos_label=1 for classes [0, 1]). Fairness uses it as the
   * favourable outcome (multiclass: this class against the rest, and then it is required).
   */
  positiveClass?: string | number;
  /** Report the same metrics per value of this column. */
  sliceBy?: EvalColumn;
  /** Report demographic parity and equal opportunity across the values of this column. */
  sensitive?: EvalColumn;
}

/** Named metrics; null where a metric is undefined (e.g. ROC AUC when one class is present). */
export type MetricValues = Record<string, number | null>;

export interface ConfusionMatrix {
  /** The model's classes, then any other label seen in the data. */
  labels: (string | number)[];
  /** matrix[i][j] = rows whose actual label is labels[i] and predicted label is labels[j]. */
  matrix: number[][];
}

/** One equal-width confidence bin of a reliability diagram. */
export interface CalibrationBin {
  /** The bin is (lower, upper]; the first bin also holds confidence 0. */
  lower: number;
  upper: number;
  count: number;
  /** Mean confidence (probability of the predicted class) of the rows in the bin; null when empty. */
  confidence: number | null;
  /** Share of the bin's rows whose predicted class is the actual one; null when empty. */
  accuracy: number | null;
}

export interface Calibration {
  bins: CalibrationBin[];
}

export interface SliceGroup {
  /** The slice value, stringified; missing values form the group "(missing)". */
  value: string;
  rows: number;
  metrics: MetricValues;
}

export interface SliceReport {
  column: string;
  groups: SliceGroup[];
}

export interface FairnessGroup {
  value: string;
  rows: number;
  /** Share of the group's rows predicted as the positive class. */
  selectionRate: number;
  /** Share of the group's actual positives predicted positive; null when the group has none. */
  truePositiveRate: number | null;
}

export interface FairnessReport {
  attribute: string;
  positiveClass: string | number;
  groups: FairnessGroup[];
  /** max − min selection rate over the groups (fairlearn's demographic_parity_difference). */
  demographicParityDifference: number;
  /** max − min true-positive rate over the groups that have positives; null when none has. */
  equalOpportunityDifference: number | null;
}

export interface EvalResult {
  task: EvalTask;
  /** Rows evaluated. */
  rows: number;
  /** Rows left out because their actual label or value is missing. */
  skipped: number;
  metrics: MetricValues;
  confusion?: ConfusionMatrix;
  calibration?: Calibration;
  slices?: SliceReport;
  fairness?: FairnessReport;
}
