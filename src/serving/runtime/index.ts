/** Serving runtime core: model versions in worker threads, dynamic batching, hot swap. */
export {
  type BatchedResult,
  type BatcherOptions,
  type BatcherStats,
  DynamicBatcher,
  type Runner,
} from './batcher.js';
export { QueueFullError, RequestTimeoutError } from './errors.js';
export { ModelPool, type PoolOptions, type PoolResult, workerUrl } from './pool.js';
export { ServedModel, type ServedModelOptions } from './served-model.js';
export type { TensorData, Tensors, TensorType, WireTensor } from './types.js';
