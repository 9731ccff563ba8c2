/**
 * Messages between the prediction log (main thread) and its worker. Events travel packed into a
 * few flat arrays (transferred, not cloned): structured-cloning a thousand events of ten small
 * typed arrays each costs tens of milliseconds of main-thread time, the packed form well under one.
 */
import type { StorageConfig } from '../../core/config.js';
import type { ModelIO } from '../types.js';

/** Numbers per event in `PackedBatch.events`. */
export const EV = 13;
export const EV_DEPLOYMENT = 0;
export const EV_MODEL = 1;
export const EV_VERSION = 2;
export const EV_ROUTE = 3;
export const EV_TIME = 4;
export const EV_LATENCY = 5;
export const EV_IO = 6;
export const EV_WINDOW_MS = 7;
export const EV_SAMPLE_ROWS = 8;
export const EV_ROWS = 9;
export const EV_TENSOR_START = 10;
export const EV_INPUTS = 11;
export const EV_OUTPUTS = 12;

/** Int32s per tensor in `PackedBatch.tensors`. */
export const TS = 7;
export const TS_NAME = 0;
export const TS_TYPE = 1;
export const TS_POOL = 2;
export const TS_DIMS_START = 3;
export const TS_DIMS = 4;
export const TS_OFFSET = 5;
export const TS_LENGTH = 6;

/** Which flat array a tensor's data sits in. Anything else is converted into the float64 pool. */
export const POOL_F32 = 0;
export const POOL_F64 = 1;
export const POOL_I32 = 2;
export const POOL_I64 = 3;
export const POOL_U8 = 4;
export const POOL_STR = 5;

/**
 * A request that failed on the route chosen for it (the model errored, timed out, or its queue was
 * full): counted per window so canary analysis can compare error rates on event time.
 */
export interface FailureEvent {
  deployment: string;
  model: string;
  version: number;
  route: string;
  eventTime: number;
  rows: number;
  reason: string;
  windowMs: number;
}

/** A batch of prediction events. Tensors are inputs first, then outputs, per event. */
export interface PackedBatch {
  type: 'batch';
  id: number;
  count: number;
  /** Model IOs first referenced in this batch (the worker keeps them by id). */
  ios: [number, ModelIO][];
  /** Strings referenced by index: deployments, models, routes, tensor names and types. */
  names: string[];
  requestIds: string[];
  events: Float64Array;
  tensors: Int32Array;
  dims: Int32Array;
  f32: Float32Array;
  f64: Float64Array;
  i32: Int32Array;
  i64: BigInt64Array;
  u8: Uint8Array;
  strings: string[];
  /** Failed requests since the last batch (few, so sent as plain objects). */
  failures?: FailureEvent[];
}

export interface WorkerOptions {
  /** Records are written this often (ms). */
  checkpointMs: number;
  /** Window profiles are merged into the database this often (ms); flush and close always do it. */
  profileMs: number;
  /** Sample segments are rewritten this often (ms); flush and close always write them. */
  segmentMs: number;
  /** Record rows held unwritten before new ones are dropped. */
  maxBacklogRows: number;
}

export interface WorkerData {
  config: StorageConfig;
  options: WorkerOptions;
}

export type ToWorker = PackedBatch | { type: 'flush'; id: number } | { type: 'close'; id: number };

/** Rows dropped inside the worker: [deployment, reason, rows]. */
export type DropList = [string, string, number][];

export type FromWorker =
  | { type: 'ack'; id: number; dropped: DropList }
  | { type: 'written'; rows: number; dropped: DropList }
  | { type: 'flushed'; id: number; error?: string }
  | { type: 'closed'; id: number; error?: string }
  | { type: 'error'; message: string };
