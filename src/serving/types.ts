/**
 * Serving's shared vocabulary: a deployment's routing spec (persisted as JSON), the routes a
 * prediction can take, and what the protocol codecs and the prediction log know about a model.
 */
import type { OnnxValue } from '../models/onnx/read.js';
import type { Task } from '../models/train/types.js';
import type { FeatureSchemaEntry } from '../registry/types.js';
import type { Tensors } from './runtime/types.js';

/** Where a prediction went: the primary, a canary, a shadow (mirrored, discarded), or an A/B variant. */
export type RouteName = 'primary' | 'canary' | 'shadow' | `variant:${string}`;

/** Dynamic batching and worker settings for every version a deployment loads. */
export interface BatchingSpec {
  /** Rows per batch; a larger single request still runs, alone. */
  maxBatchRows: number;
  /** How long the oldest request may wait for a fuller batch (µs); 0 = never wait. */
  maxDelayUs: number;
  /** Rows that may wait; beyond it requests get 503 + Retry-After. */
  maxQueueRows: number;
  /** Per-request timeout, queueing plus compute (ms). */
  timeoutMs: number;
  /** Worker threads (onnxruntime sessions) per loaded version. */
  workers: number;
  /** Intra-op threads per session. */
  threads: number;
}

/** Prediction logging for a deployment. */
export interface LogSpec {
  enabled: boolean;
  /** Event-time window of the stored profiles and sample segments (s). */
  windowSeconds: number;
  /** Raw rows kept per window (reservoir sample) for retraining and exact tests. */
  sampleRows: number;
}

/** Where the sticky-assignment key comes from: a request header or a record field. */
export type StickySpec = { header: string } | { field: string };

/** One arm of an A/B test. */
export interface Variant {
  name: string;
  version: number;
  weight: number;
}

/** A deployment's routes. Every version is a version of `model`. */
export interface DeploymentSpec {
  model: string;
  primary: number;
  /** The primary before the last promote/primary change: rollback's target, kept loaded. */
  previous: number | null;
  /** Weight is a percentage of traffic, 0–100. */
  canary: { version: number; weight: number } | null;
  /** A/B split replacing the primary for traffic (weights sum to 100); empty when none. */
  variants: Variant[];
  /** Mirrored versions: they see every request; responses are logged and discarded. */
  shadows: number[];
  /** Sticky assignment for canary and variants; random per request when null or the key is absent. */
  sticky: StickySpec | null;
  batching: BatchingSpec;
  log: LogSpec;
}

export interface Deployment {
  name: string;
  description: string;
  /** The ref it was created from (e.g. `credit@champion`). */
  sourceRef: string;
  spec: DeploymentSpec;
  /** Increments with every change; replicas reconcile when it moves. */
  revision: number;
  createdAt: number;
  updatedAt: number;
  createdBy: string;
}

export const DEFAULT_BATCHING: BatchingSpec = {
  maxBatchRows: 64,
  maxDelayUs: 0,
  maxQueueRows: 8192,
  timeoutMs: 10_000,
  workers: 1,
  threads: 1,
};

export const DEFAULT_LOG: LogSpec = { enabled: true, windowSeconds: 600, sampleRows: 2000 };

/**
 * What the protocol codecs and the prediction log know about one loaded model version: its typed
 * inputs and outputs (from the ONNX signature), the feature schema recorded at training, and how to
 * read its outputs as a prediction.
 */
export interface ModelIO {
  model: string;
  version: number;
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  /** Training features (name, type, range/categories), or null for foreign models without one. */
  featureSchema: FeatureSchemaEntry[] | null;
  /**
   * For a model with one [N, F] input: the F feature names in order (from the feature schema or
   * metadata); null when inputs are named per feature.
   */
  packedFeatures: string[] | null;
  /** How outputs read as a prediction (classifier label/probabilities, or regression value). */
  task: Task | null;
  classes: (string | number)[] | null;
  labelOutput: string | null;
  probabilitiesOutput: string | null;
  valueOutput: string | null;
}

/** One row's prediction as logged and returned by `/predict`. */
export interface RowPrediction {
  label?: string | number;
  /** Positive-class probability (binary classifiers). */
  score?: number;
  /** Class → probability (classifiers). */
  probabilities?: Record<string, number>;
  /** Regression output. */
  value?: number;
}

/** One request's passage through a route, as handed to the prediction log. */
export interface PredictionEvent {
  deployment: string;
  model: string;
  version: number;
  route: RouteName;
  requestId: string;
  /** Event time (epoch ms): the client's if given, else when the request arrived. */
  eventTime: number;
  latencyUs: number;
  inputs: Tensors;
  outputs: Tensors;
}

/** A loaded version's state in this server process. */
export interface VersionStatus {
  version: number;
  routes: RouteName[];
  state: 'loading' | 'ready' | 'failed' | 'standby';
  error?: string;
}

/** What the serving runtime reports about a deployment in this process (null when not loaded here). */
export interface DeploymentStatus {
  ready: boolean;
  versions: VersionStatus[];
}

/**
 * How the deployments domain talks to the serving runtime without depending on it. `prepare` runs
 * before a change commits and loads and warms every version the new spec routes to; if it throws
 * (a model fails to load), nothing is written and the current routes keep serving. `applied` runs
 * after the commit (with null after a delete).
 */
export interface DeploymentHooks {
  prepare(name: string, spec: DeploymentSpec): Promise<void>;
  applied(name: string, deployment: Deployment | null): Promise<void>;
  status(name: string): DeploymentStatus | null;
}
