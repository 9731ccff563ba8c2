/** Model evaluation: metrics, slices and fairness of a model's predictions (pure functions). */
export { CALIBRATION_BINS } from './calibration.js';
export { evaluate } from './evaluate.js';
export { type FormatOptions, formatCompare, formatDifference, formatEval, formatMetric } from './format.js';
export { MISSING_GROUP } from './labels.js';
export {
  BINARY_METRICS,
  higherIsBetter,
  METRICS,
  type MetricInfo,
  MULTICLASS_METRICS,
  metricLabel,
  REGRESSION_METRICS,
} from './metrics.js';
export type * from './types.js';
