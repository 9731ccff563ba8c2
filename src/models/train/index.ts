/** Keel's built-in tabular trainers: train a pipeline, predict, export it as one ONNX model. */
export { exportOnnx, type OnnxMeta, OPSETS, OUTPUTS, onnxFeeds, readOnnxMeta } from './export.js';
export {
  EARLY_STOPPING_AUTO_ROWS,
  type GbdtTrainParams,
  type LinearParams,
  type LogisticParams,
  PARAM_DEFAULTS,
  type ParamsByKind,
  type ParamsInput,
  paramKeys,
  paramsRecord,
  parseParams,
} from './params.js';
export {
  MAX_CLASSES,
  MAX_INTEGER_CLASSES,
  type Prediction,
  type TrainedPipeline,
  type TrainOptions,
  train,
} from './pipeline.js';
export { MAX_CATEGORIES, type Skipped } from './preprocess.js';
export { subsetRows, type TrainTable } from './table.js';
export type {
  CoreModel,
  FeatureKind,
  FittedFeature,
  IterationMetrics,
  Matrix,
  Task,
  TrainerKind,
} from './types.js';
