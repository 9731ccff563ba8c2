/** Tensors and messages exchanged between the serving runtime and its worker threads. */

/** Input element types (onnxruntime's names) and the array each one travels in. */
export type TensorType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'string';

/** Flat row-major data: a typed array (transferred between threads, not copied) or strings. */
export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | string[];

/** One tensor. Inputs carry a TensorType; outputs carry whatever type onnxruntime reports. */
export interface WireTensor {
  type: string;
  dims: number[];
  data: TensorData;
}

export type Tensors = Record<string, WireTensor>;

/** What each worker starts with: the model, its intra-op threads, and a feed to warm it up. */
export interface WorkerInit {
  bytes: Uint8Array;
  threads: number;
  warmup: Tensors;
}

export interface RunMessage {
  id: number;
  feeds: Tensors;
  outputs?: string[];
}

/** Error codes a run can end with: the caller's feeds, or anything else. */
export type RunErrorCode = 'INVALID_PARAMETER_VALUE' | 'INTERNAL_ERROR';

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'loadError'; message: string }
  | { type: 'result'; id: number; outputs: Tensors; runUs: number }
  | { type: 'error'; id: number; code: RunErrorCode; message: string };
