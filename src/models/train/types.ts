/**
 * The contract between Keel's built-in trainers, the preprocessing pipeline and ONNX export.
 *
 * A training table is typed columns (what a dataset version reads as). The pipeline fits a
 * preprocessor (imputation, scaling, encoding) that turns raw named features into a dense float32
 * matrix, trains a model on it, and exports both halves into one ONNX graph whose inputs are the
 * raw named features, so a served model takes the same columns the dataset has.
 */

/** What the model predicts: the task is inferred from the target column unless given. */
export type Task = 'binary' | 'multiclass' | 'regression';

/** The built-in trainers. */
export type TrainerKind = 'logistic' | 'linear' | 'gbdt';

/** A feature as the exported model's input sees it. */
export type FeatureKind = 'numeric' | 'categorical';

/**
 * One feature and how it was fitted: numeric features are imputed (median) and, for linear models,
 * standardised; categorical features are one-hot encoded (linear) or ordinal encoded (trees), with
 * categories unseen in training mapped to all-zeros (one-hot) or -1 (ordinal).
 */
export interface FittedFeature {
  name: string;
  kind: FeatureKind;
  /** The source column's type in the dataset schema ('float', 'integer', 'boolean', 'categorical'). */
  sourceType: string;
  /** Numeric: value substituted for missing (NaN). */
  impute?: number;
  /** Numeric, linear models: standardisation (x - mean) / scale; scale is 1 for a constant column. */
  mean?: number;
  scale?: number;
  /** Categorical: categories seen in training, sorted (the encoding's order). */
  categories?: string[];
  /** Observed range in training (numeric) for the registry's feature schema. */
  min?: number;
  max?: number;
}

/**
 * A dense row-major float matrix; values are already rounded to float32 (Math.fround) so that what
 * the trainer sees is bit-for-bit what onnxruntime sees after the graph's preprocessing.
 */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** Per-iteration figures a trainer reports (logged as run metrics with step = iteration). */
export interface IterationMetrics {
  iteration: number;
  /** Training loss (log loss for classification, mean squared error for regression). */
  trainLoss: number;
  /** Validation loss, when a validation split is used. */
  validLoss?: number;
}

/**
 * A trained core model over a Matrix. `raw(X)` gives raw scores: N×K margins for classification
 * (K = 1 for binary: the positive class's logit; K = classes for multiclass), N×1 for regression.
 */
export interface CoreModel {
  kind: TrainerKind;
  task: Task;
  /** Number of score columns (1 for binary and regression, classes for multiclass). */
  outputs: number;
  raw(X: Matrix): Float64Array;
}
